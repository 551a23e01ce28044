//! Docker's predefined proxy args: given with `--build-arg`, they reach every `run`
//! step without a declaration, and stay out of the image and the cache keys.

use std::collections::BTreeMap;

/// The proxy settings of a build; each is unset unless given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proxy {
    pub http: Option<String>,
    pub https: Option<String>,
    pub ftp: Option<String>,
    pub no: Option<String>,
    pub all: Option<String>,
}

/// The args as Docker names them; like Docker, any case is accepted.
const NAMES: [&str; 5] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "FTP_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
];

pub(super) fn is_proxy_arg(name: &str) -> bool {
    NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

impl Proxy {
    /// Reads the proxy args from the build args. When one is given in several cases,
    /// upper case wins, then lower case.
    pub fn from_build_args(args: &BTreeMap<String, String>) -> Proxy {
        let get = |upper: &str| {
            args.get(upper)
                .or_else(|| args.get(&upper.to_ascii_lowercase()))
                .or_else(|| {
                    args.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(upper))
                        .map(|(_, v)| v)
                })
                .cloned()
        };
        let [http, https, ftp, no, all] = NAMES.map(get);
        Proxy {
            http,
            https,
            ftp,
            no,
            all,
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Proxy::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_either_case_and_prefers_upper_case() {
        let args: BTreeMap<String, String> = [
            ("http_proxy", "http://lower:1"),
            ("HTTP_PROXY", "http://upper:1"),
            ("no_proxy", "localhost"),
            ("Ftp_Proxy", "ftp://mixed"),
            ("OTHER", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let p = Proxy::from_build_args(&args);
        assert_eq!(p.http.as_deref(), Some("http://upper:1"));
        assert_eq!(p.no.as_deref(), Some("localhost"));
        assert_eq!(p.ftp.as_deref(), Some("ftp://mixed"));
        assert!(p.https.is_none() && p.all.is_none());
        assert!(Proxy::from_build_args(&BTreeMap::new()).is_empty());
        assert!(is_proxy_arg("all_proxy") && is_proxy_arg("All_Proxy"));
        assert!(!is_proxy_arg("PROXY") && !is_proxy_arg("HTTP_PROXY_X"));
    }
}
