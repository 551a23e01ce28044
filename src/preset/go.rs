//! `preset: go` — modules downloaded in their own step, a static binary cross-compiled on
//! the build platform, and the binary alone in the runtime image.

use super::{Generated, Settings, quoted};

pub fn stages(s: &Settings) -> Vec<Generated> {
    let n = &s.stage;
    let version = s.version("go");
    let build = quoted(&format!(
        "GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags='-s -w' -o /out/app {}",
        s.entry.as_deref().unwrap_or(".")
    ));
    let test = quoted(s.test.as_deref().unwrap_or("go test ./..."));
    let runtime = quoted(s.runtime.as_deref().unwrap_or("scratch"));
    let description = s.description_or("The Go app alone, as a non-root user");
    let expose = s.expose();
    vec![
        Generated {
            name: format!("{n}.deps"),
            text: format!(
                r#"{n}.deps:
  from: golang:{version}-trixie
  # Compile on the build platform and cross-compile for the target: no emulation.
  platform: ${{BUILDPLATFORM}}
  workdir: /src
  env:
    CGO_ENABLED: "0"
    GOMODCACHE: /go/pkg/mod
    GOCACHE: /root/.cache/go-build
  steps:
    # The module list first (go.mod, and go.sum when there is one): this step stays
    # cached until they change.
    - copy: go.*
    # The optional `ca` secret: a CA bundle for a proxy that intercepts TLS.
    - run: "if [ -f /run/secrets/ca ]; then export SSL_CERT_FILE=/run/secrets/ca; fi && go mod download"
      cache: /go/pkg/mod
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
    - run: {build}
      cache: [/go/pkg/mod, /root/.cache/go-build]
"#
            ),
        },
        Generated {
            name: format!("{n}.test"),
            text: format!(
                r#"{n}.test:
  description: The Go tests, run against the sources
  from: {n}.deps
  steps:
    - copy: .
    - run: {test}
      cache: [/go/pkg/mod, /root/.cache/go-build]
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
