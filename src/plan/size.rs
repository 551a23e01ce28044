//! Sizes as Docker reads them (`docker run --tmpfs /t:size=64m`, `RUN --mount=type=tmpfs,size=64m`):
//! a number of bytes, or a number with a binary unit.

/// `64m`, `1.5g`, `512k`, `64MiB`, `64 MB`, `1048576` → bytes. Units are powers of 1024
/// whatever their spelling, as in Docker's `RAMInBytes`.
pub fn parse_size(text: &str) -> Result<i64, &'static str> {
    const HELP: &str = "write a number of bytes, or one with k, m, g or t (64m, 1.5g)";
    let text = text.trim();
    let digits_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    let valid_number = !number.is_empty()
        && number.split('.').all(|part| !part.is_empty())
        && number.matches('.').count() <= 1;
    if !valid_number {
        return Err(HELP);
    }
    let number: f64 = number.parse().map_err(|_| HELP)?;
    let unit = unit.strip_prefix(' ').unwrap_or(unit).to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    let power = match unit {
        "" => 0,
        "k" => 1,
        "m" => 2,
        "g" => 3,
        "t" => 4,
        "p" => 5,
        _ => return Err(HELP),
    };
    let bytes = number * 1024f64.powi(power);
    if bytes < 1.0 {
        return Err("a size must be at least one byte; leave `size` out for the engine's default");
    }
    if bytes >= i64::MAX as f64 {
        return Err("that is more memory than any machine has; write a smaller size");
    }
    Ok(bytes as i64)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn reads_sizes_as_docker_does() {
        assert_eq!(parse_size("64m"), Ok(64 << 20));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("64mb"), Ok(64 << 20));
        assert_eq!(parse_size("64 MB"), Ok(64 << 20));
        assert_eq!(parse_size("1.5g"), Ok(3 << 29));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("2t"), Ok(2 << 40));
    }

    #[test]
    fn refuses_what_is_not_a_size() {
        for bad in [
            "",
            "m",
            "64x",
            "-1m",
            "1..2m",
            ".5m",
            "64mm",
            "0",
            "0m",
            "99999999p",
            "64 m b",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
