//! `expose` values as Docker's `EXPOSE` reads them: `80`, `80/tcp`, `8000-8002/udp`, the
//! protocol in any case; a range stands for each port in it.

/// One `expose` item: its normalised text (for the image history) and the ports it
/// stands for, as `ExposedPorts` keys (`8000/udp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposed {
    pub spec: String,
    pub ports: Vec<String>,
}

/// Why an item is not a port: the message and what to write instead.
#[derive(Debug, PartialEq, Eq)]
pub struct NotAPort {
    pub message: String,
    pub help: &'static str,
}

pub fn parse(text: &str) -> Result<Exposed, NotAPort> {
    let not_a_port = |help| NotAPort {
        message: format!("`{text}` is not a port"),
        help,
    };
    let usage =
        "write a port from 1 to 65535 or a range (8000-8002), optionally with /tcp, /udp or /sctp";
    let (ports, protocol) = text.split_once('/').unwrap_or((text, ""));
    // An empty protocol means tcp, as in Docker (`80/` is `80/tcp`).
    let protocol = match protocol.to_ascii_lowercase().as_str() {
        "" | "tcp" => "tcp",
        "udp" => "udp",
        "sctp" => "sctp",
        _ => return Err(not_a_port(usage)),
    };
    if ports.contains(':') {
        return Err(not_a_port(
            "an image can only expose a container port; publish it at run time (docker run -p 8080:80)",
        ));
    }
    let (first, last) = ports.split_once('-').unwrap_or((ports, ports));
    let number = |p: &str| p.parse::<u16>().ok().filter(|n| *n > 0);
    let (Some(first), Some(last)) = (number(first), number(last)) else {
        return Err(not_a_port(usage));
    };
    if first > last {
        return Err(NotAPort {
            message: format!("`{text}` is not a port range"),
            help: "write the lower port first (8000-8002)",
        });
    }
    let spec = if first == last {
        format!("{first}/{protocol}")
    } else {
        format!("{first}-{last}/{protocol}")
    };
    Ok(Exposed {
        spec,
        ports: (first..=last).map(|p| format!("{p}/{protocol}")).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(text: &str) -> Vec<String> {
        parse(text).unwrap().ports
    }

    #[test]
    fn single_ports_and_protocols() {
        assert_eq!(ports("8080"), ["8080/tcp"]);
        assert_eq!(ports("53/udp"), ["53/udp"]);
        assert_eq!(ports("80/TCP"), ["80/tcp"]);
        assert_eq!(ports("9/SctP"), ["9/sctp"]);
        assert_eq!(ports("80/"), ["80/tcp"]);
        assert_eq!(parse("80/TCP").unwrap().spec, "80/tcp");
    }

    #[test]
    fn ranges_stand_for_each_port() {
        assert_eq!(ports("8000-8002"), ["8000/tcp", "8001/tcp", "8002/tcp"]);
        assert_eq!(ports("8000-8002/UDP"), ["8000/udp", "8001/udp", "8002/udp"]);
        assert_eq!(ports("7-7"), ["7/tcp"]);
        assert_eq!(parse("8000-8002/udp").unwrap().spec, "8000-8002/udp");
        assert_eq!(ports("1-65535").len(), 65535);
    }

    #[test]
    fn refuses_what_docker_cannot_expose() {
        for bad in [
            "",
            "http",
            "0",
            "65536",
            "80/icmp",
            "8002-8000",
            "8080:80",
            "-1",
            "1-",
            "80/tcp/udp",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse("8002-8000").unwrap_err().message.contains("range"));
        assert!(parse("8080:80").unwrap_err().help.contains("docker run -p"));
    }
}
