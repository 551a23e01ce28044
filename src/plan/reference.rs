//! Image references: validation and the normalised form BuildKit's image source expects.

/// Normalises `golang:1.22` to `docker.io/library/golang:1.22`, adds `:latest` when no tag
/// or digest is given, and rejects what no registry would accept.
pub fn normalize(reference: &str) -> Result<String, String> {
    let r = reference.trim();
    let bad = |why: &str| {
        Err(format!(
            "`{}` is not a valid image reference: {why}",
            crate::diag::shorten(reference)
        ))
    };
    if r.is_empty() {
        return bad("it is empty");
    }
    if r.len() > 512 {
        return bad("it is longer than 512 characters");
    }
    if r.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("it contains white space");
    }
    let (name_tag, digest) = match r.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (r, None),
    };
    if let Some(d) = digest {
        let ok = d.split_once(':').is_some_and(|(alg, hex)| {
            !alg.is_empty() && hex.len() >= 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
        });
        if !ok {
            return bad("the digest must look like sha256:<hex>");
        }
    }
    // A tag is after the last ':' that comes after the last '/'.
    let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_tag[last_slash..].rfind(':') {
        Some(i) => (
            &name_tag[..last_slash + i],
            Some(&name_tag[last_slash + i + 1..]),
        ),
        None => (name_tag, None),
    };
    if let Some(t) = tag
        && (t.is_empty()
            || t.len() > 128
            || !t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)))
    {
        return bad("the tag may only hold letters, digits, `_`, `.` and `-`");
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    let has_domain = parts.len() > 1
        && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost");
    let domain = if has_domain {
        parts.remove(0)
    } else {
        "docker.io"
    };
    if !valid_domain(domain) {
        return bad(
            "the registry must be a host name with an optional numeric port, e.g. registry.example.com:5000",
        );
    }
    if parts.len() == 1 && domain == "docker.io" {
        parts.insert(0, "library");
    }
    for p in &parts {
        let ok = !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
            && p.starts_with(|c: char| c.is_ascii_alphanumeric());
        if !ok {
            return bad("path parts may only hold lowercase letters, digits, `.`, `_` and `-`");
        }
    }
    let mut out = format!("{domain}/{}", parts.join("/"));
    match (tag, digest) {
        (Some(t), _) => {
            out.push(':');
            out.push_str(t);
        }
        (None, None) => out.push_str(":latest"),
        (None, Some(_)) => {}
    }
    if let Some(d) = digest {
        out.push('@');
        out.push_str(d);
    }
    Ok(out)
}

/// `host[:port]` as Docker's reference grammar has it: dot-separated components of
/// letters, digits and inner `-`, or a bracketed IPv6 address; the port is digits.
fn valid_domain(domain: &str) -> bool {
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ip, port))
                if !ip.is_empty() && ip.chars().all(|c| c.is_ascii_hexdigit() || c == ':') =>
            {
                (None, port)
            }
            _ => return false,
        }
    } else {
        // The port keeps its `:`, so `host:` (an empty port) is told from `host`.
        let host = domain.split(':').next().unwrap_or(domain);
        (Some(host), &domain[host.len()..])
    };
    let host_ok = host.is_none_or(|h| {
        h.split('.').all(|part| {
            !part.is_empty()
                && !part.starts_with('-')
                && !part.ends_with('-')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    });
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn normalises_like_docker() {
        assert_eq!(
            normalize("busybox").unwrap(),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(
            normalize("golang:1.22-alpine").unwrap(),
            "docker.io/library/golang:1.22-alpine"
        );
        assert_eq!(normalize("me/app:1").unwrap(), "docker.io/me/app:1");
        assert_eq!(
            normalize("localhost:5000/x/y").unwrap(),
            "localhost:5000/x/y:latest"
        );
        assert_eq!(normalize("ghcr.io/o/r:v1").unwrap(), "ghcr.io/o/r:v1");
        assert_eq!(
            normalize("Registry.Example.com:443/o/r").unwrap(),
            "Registry.Example.com:443/o/r:latest"
        );
        assert_eq!(normalize("[::1]:5000/x:1").unwrap(), "[::1]:5000/x:1");
        let d = format!("alpine@sha256:{}", "a".repeat(64));
        assert_eq!(normalize(&d).unwrap(), format!("docker.io/library/{d}"));
    }

    #[test]
    fn rejects_bad_references() {
        for bad in [
            "",
            "Busybox",
            "a b",
            "x:",
            "x@md5",
            "x:t@g",
            "/x",
            "x//y",
            "busybox:1.36/x",
            "exa_mple.com/x",
            "example.com:/x",
            "-bad.example.com/x",
            "example..com/x",
            "[zz]:5000/x",
        ] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }
}
