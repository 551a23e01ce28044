//! Docker's predefined proxy args → the proxy settings of every `run` step's process.
//! BuildKit leaves them out of the step's cache key, and they never reach the image
//! config or its history.

use crate::llb::ProxyEnv;
use crate::plan::Proxy;

/// The exec's proxy settings; `None` when the build was given none.
pub(super) fn proxy_env(proxy: &Proxy) -> Option<ProxyEnv> {
    if proxy.is_empty() {
        return None;
    }
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    Some(ProxyEnv {
        http_proxy: text(&proxy.http),
        https_proxy: text(&proxy.https),
        ftp_proxy: text(&proxy.ftp),
        no_proxy: text(&proxy.no),
        all_proxy: text(&proxy.all),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_setting_goes_to_its_field() {
        assert_eq!(proxy_env(&Proxy::default()), None);
        let p = Proxy {
            http: Some("http://h:1".into()),
            no: Some("localhost".into()),
            all: Some("socks5://a:2".into()),
            ..Default::default()
        };
        assert_eq!(
            proxy_env(&p),
            Some(ProxyEnv {
                http_proxy: "http://h:1".into(),
                no_proxy: "localhost".into(),
                all_proxy: "socks5://a:2".into(),
                ..Default::default()
            })
        );
    }
}
