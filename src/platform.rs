//! Target and build platforms: `os/arch[/variant]`, as BuildKit names them.

use crate::diag::suggest;
use std::fmt;

/// Operating systems Go (and so BuildKit and containerd) knows, plus `wasi`.
const KNOWN_OS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "wasi",
    "wasip1",
    "windows",
    "zos",
];

/// Architectures Go knows (`go tool dist list`, and the ones it reserves).
const KNOWN_ARCH: &[&str] = &[
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "armbe",
    "arm64",
    "arm64be",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "ppc64",
    "ppc64le",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
];

/// Why a text is not a platform, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformError {
    pub message: String,
    pub help: String,
}

impl fmt::Display for PlatformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.help)
    }
}

impl From<PlatformError> for String {
    fn from(e: PlatformError) -> String {
        e.to_string()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn linux_amd64() -> Self {
        Platform {
            os: "linux".into(),
            arch: "amd64".into(),
            variant: None,
        }
    }

    /// Parses and normalises `linux/amd64`, `linux/arm64/v8`, `arm64`, `x86_64`, … .
    /// An OS or architecture Go does not know is refused, with the closest known name.
    pub fn parse(s: &str) -> Result<Self, PlatformError> {
        let platform = Self::parse_form(s)?;
        let (part, known) = if !KNOWN_OS.contains(&platform.os.as_str()) {
            (&platform.os, KNOWN_OS)
        } else if !KNOWN_ARCH.contains(&platform.arch.as_str()) {
            (&platform.arch, KNOWN_ARCH)
        } else {
            return Ok(platform);
        };
        let what = if known == KNOWN_OS {
            "operating system"
        } else {
            "architecture"
        };
        let help = match suggest(part, known.iter().copied()) {
            Some(close) => {
                let mut fixed = platform.clone();
                if known == KNOWN_OS {
                    fixed.os = close.to_owned();
                } else {
                    fixed.arch = close.to_owned();
                }
                format!("did you mean `{fixed}`?")
            }
            None => format!("known {what}s: {}", known.join(", ")),
        };
        Err(PlatformError {
            message: format!(
                "`{}` is not a platform: `{part}` is not a known {what}",
                s.trim()
            ),
            help,
        })
    }

    /// The `os/arch[/variant]` shape, normalised, without checking the names.
    fn parse_form(s: &str) -> Result<Self, PlatformError> {
        let malformed = || PlatformError {
            message: format!("`{s}` is not a platform"),
            help: "write os/arch[/variant], e.g. linux/arm64".to_owned(),
        };
        let parts: Vec<&str> = s.trim().split('/').collect();
        let (os, arch, variant) = match parts.as_slice() {
            [arch] if !arch.is_empty() => ("linux", *arch, None),
            [os, arch] => (*os, *arch, None),
            [os, arch, variant] => (*os, *arch, Some(*variant)),
            _ => return Err(malformed()),
        };
        let valid = |p: &str| {
            p.starts_with(|c: char| c.is_ascii_alphanumeric())
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        };
        if !valid(os) || !valid(arch) || variant.is_some_and(|v| !valid(v)) {
            return Err(malformed());
        }
        let os = os.to_ascii_lowercase();
        let (arch, mut variant) = match arch.to_ascii_lowercase().as_str() {
            "x86_64" | "x86-64" | "amd64" => ("amd64".to_owned(), variant.map(str::to_owned)),
            "aarch64" | "arm64" => ("arm64".to_owned(), variant.map(str::to_owned)),
            "armhf" | "arm" => ("arm".to_owned(), Some(variant.unwrap_or("v7").to_owned())),
            "armel" => ("arm".to_owned(), Some("v6".to_owned())),
            "i386" | "i686" | "386" => ("386".to_owned(), variant.map(str::to_owned)),
            other => (other.to_owned(), variant.map(str::to_owned)),
        };
        // arm64's only variant is v8, which BuildKit drops when normalising.
        if arch == "arm64" && variant.as_deref() == Some("v8") {
            variant = None;
        }
        Ok(Platform { os, arch, variant })
    }

    pub fn to_pb(&self) -> bollard_buildkit_proto::pb::Platform {
        bollard_buildkit_proto::pb::Platform {
            os: self.os.clone(),
            architecture: self.arch.clone(),
            variant: self.variant.clone().unwrap_or_default(),
            ..Default::default()
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_common_spellings() {
        assert_eq!(
            Platform::parse("linux/x86_64").unwrap().to_string(),
            "linux/amd64"
        );
        assert_eq!(
            Platform::parse("linux/arm64/v8").unwrap().to_string(),
            "linux/arm64"
        );
        assert_eq!(Platform::parse("arm").unwrap().to_string(), "linux/arm/v7");
        assert_eq!(
            Platform::parse("linux/arm/v6").unwrap().to_string(),
            "linux/arm/v6"
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "linux/", "a/b/c/d", "linux/am d64", "../x"] {
            assert!(Platform::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_names_are_refused_with_the_closest_known_one() {
        let e = Platform::parse("linux/amd46").unwrap_err();
        assert_eq!(
            e.message,
            "`linux/amd46` is not a platform: `amd46` is not a known architecture"
        );
        assert_eq!(e.help, "did you mean `linux/amd64`?");
        let e = Platform::parse("lnux/arm64").unwrap_err();
        assert_eq!(e.help, "did you mean `linux/arm64`?");
        let e = Platform::parse("linux/arm65/v7").unwrap_err();
        assert_eq!(e.help, "did you mean `linux/arm64/v7`?");
        let e = Platform::parse("beos/zzzzzzzz").unwrap_err();
        assert!(
            e.help.starts_with("known operating systems: aix,"),
            "{}",
            e.help
        );
        for good in [
            "windows/amd64",
            "linux/riscv64",
            "linux/s390x",
            "linux/ppc64le",
            "wasi/wasm",
            "darwin/arm64",
            "freebsd/386",
            "linux/arm/v5",
        ] {
            assert!(Platform::parse(good).is_ok(), "{good}");
        }
    }
}
