//! Checks of an app image the examples and the presets share: it answers over HTTP, it
//! runs as a user other than root, and which files it holds; and the builds they make
//! (a copy of an example, given the host's CA bundle as the optional `ca` secret).

use super::*;

/// A hang guard, not a time assertion: a server that has not answered by then never will.
const SERVER_START: Duration = Duration::from_secs(60);

/// A copy of the example, given the host's CA bundle as the optional `ca` secret, as a
/// user behind an intercepting proxy passes it (the examples fetch nothing from package
/// registries, so it must not change what they build).
pub fn example_build(name: &str) -> Build {
    let build = Build::example(name);
    let bundle = "/etc/ssl/certs/ca-certificates.crt";
    if Path::new(bundle).is_file() {
        build.arg("--secret").arg(&format!("id=ca,src={bundle}"))
    } else {
        build
    }
}

/// Fails, naming the script that makes them, unless the base images `what` needs are
/// loaded.
pub fn require_bases(what: &str, bases: &[&str]) {
    let missing: Vec<&str> = bases
        .iter()
        .copied()
        .filter(|base| !docker(&["image", "inspect", base]).status.success())
        .collect();
    assert!(
        missing.is_empty(),
        "{what} needs {missing:?}: run hack/base-images --examples"
    );
}

/// The image's user must not be root: a uid other than 0, or a name whose uid in the
/// image is not 0.
pub fn assert_non_root(image: &Image, what: &str) {
    let user = image.inspect("{{.Config.User}}");
    let name = user.split(':').next().unwrap_or("");
    assert!(!name.is_empty(), "{what}: no user set, so it runs as root");
    let uid = if name.chars().all(|c| c.is_ascii_digit()) {
        name.to_owned()
    } else {
        let id = docker(&[
            "run",
            "--rm",
            "--network",
            "none",
            "--entrypoint",
            "id",
            &image.tag,
            "-u",
        ]);
        id.assert_success();
        id.stdout.trim().to_owned()
    };
    assert_ne!(
        uid.parse::<u32>().ok(),
        Some(0),
        "{what}: user {user:?} is root"
    );
}

/// Every path in the image's filesystem (`docker export` of a created container).
pub fn image_files(image: &Image) -> Vec<String> {
    let dir = TempDir::new("export");
    let tar = dir.path().join("rootfs.tar");
    let created = docker(&["create", &image.tag]);
    created.assert_success();
    let id = created.stdout.trim().to_owned();
    let exported = docker(&["export", "-o", tar.to_str().unwrap(), &id]);
    let _ = docker(&["rm", "-f", &id]);
    exported.assert_success();
    lines(&host(
        std::process::Command::new("tar").arg("-tf").arg(&tar),
    ))
}

/// Starts the image with its port 8080 published on 127.0.0.1 and returns the body of
/// its answer to `GET /`; the container is removed after.
pub fn http_answer(image: &Image) -> String {
    let started = docker(&["run", "-d", "-p", "127.0.0.1::8080", &image.tag]);
    started.assert_success();
    let container = Container(started.stdout.trim().to_owned());
    let port = docker(&["port", &container.0, "8080/tcp"]);
    port.assert_success();
    let address = lines(&port.stdout)
        .into_iter()
        .find(|line| line.starts_with("127.0.0.1:"))
        .unwrap_or_else(|| panic!("no 127.0.0.1 port in {:?}", port.stdout));
    let deadline = Instant::now() + SERVER_START;
    loop {
        match get(&address) {
            Ok(response) if response.starts_with("HTTP/1.") => {
                let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
                assert!(
                    head.split_whitespace().nth(1) == Some("200"),
                    "GET / answered {head:?}"
                );
                return body.to_owned();
            }
            // The port is published before the server listens: try again.
            _ if Instant::now() < deadline => thread::sleep(Duration::from_millis(200)),
            other => {
                let logs = docker(&["logs", &container.0]);
                panic!(
                    "{} did not answer GET / on {address}: {other:?}\n{}",
                    image.tag,
                    logs.text()
                );
            }
        }
    }
}

fn get(address: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

/// A running container, removed (killed) on drop.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker(&["rm", "-f", &self.0]);
    }
}
