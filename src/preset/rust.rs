//! `preset: rust` — crates fetched from the lockfile before the sources are copied, a
//! static release binary built with cached target and registry folders, and the binary
//! alone in the runtime image.

use super::{Generated, Settings, quoted};

pub fn stages(s: &Settings) -> Vec<Generated> {
    let n = &s.stage;
    let version = s.version("rust");
    let binary = s.entry.as_deref().unwrap_or(n);
    let runtime = quoted(s.runtime.as_deref().unwrap_or("scratch"));
    let test = quoted(s.test.as_deref().unwrap_or("cargo test --locked"));
    let description = s.description_or("The Rust binary alone, as a non-root user");
    let expose = s.expose();
    vec![
        Generated {
            name: format!("{n}.deps"),
            text: format!(
                r#"{n}.deps:
  from: rust:{version}-slim
  workdir: /src
  env:
    CARGO_TARGET_DIR: /src/target
  steps:
    # The manifests first, with a placeholder main: crates are fetched once per lockfile.
    - copy: [Cargo.toml, Cargo.lock]
    # The optional `ca` secret: a CA bundle for a registry behind an intercepting proxy.
    - run: >-
        if [ -f /run/secrets/ca ]; then export CARGO_HTTP_CAINFO=/run/secrets/ca; fi &&
        mkdir -p src && echo 'fn main() {{}}' > src/main.rs && cargo fetch --locked
      cache: /usr/local/cargo/registry
      secret: ca
"#
            ),
        },
        Generated {
            name: format!("{n}.build"),
            text: format!(
                r#"{n}.build:
  from: {n}.deps
  steps:
    - copy: .
    # A static binary (C runtime linked in), so the runtime image needs nothing else.
    # The target folder is a cache mount: the binary is copied out in the same step.
    - run: >-
        host=$(rustc -vV | sed -n 's/^host: //p') &&
        RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked --target "$host" &&
        mkdir -p /out && cp "/src/target/$host/release/{binary}" /out/app
      cache: [/usr/local/cargo/registry, /src/target]
"#
            ),
        },
        Generated {
            name: format!("{n}.test"),
            text: format!(
                r#"{n}.test:
  description: The Rust tests, run against the sources
  from: {n}.deps
  steps:
    - copy: .
    - run: {test}
      cache: [/usr/local/cargo/registry, /src/target]
"#
            ),
        },
        Generated {
            name: n.clone(),
            text: format!(
                r#"{n}:
  description: {description}
  from: {runtime}
  steps:
    - copy: /out/app
      from: {n}.build
      to: /app
  user: "65532:65532"
{expose}  entrypoint: [/app]
"#
            ),
        },
    ]
}
