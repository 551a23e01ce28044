//! Target and build platforms: `os/arch[/variant]`, as BuildKit names them.

use std::fmt;

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
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.trim().split('/').collect();
        let (os, arch, variant) = match parts.as_slice() {
            [arch] if !arch.is_empty() => ("linux", *arch, None),
            [os, arch] => (*os, *arch, None),
            [os, arch, variant] => (*os, *arch, Some(*variant)),
            _ => {
                return Err(format!(
                    "`{s}` is not a platform; write os/arch[/variant], e.g. linux/arm64"
                ));
            }
        };
        let valid = |p: &str| {
            p.starts_with(|c: char| c.is_ascii_alphanumeric())
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        };
        if !valid(os) || !valid(arch) || variant.is_some_and(|v| !valid(v)) {
            return Err(format!(
                "`{s}` is not a platform; write os/arch[/variant], e.g. linux/arm64"
            ));
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
}
