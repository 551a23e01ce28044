//! The same file and options give the same bytes: across many runs, and whatever order
//! the keys of each base image's config JSON come in (registries write them differently).

use prost::Message;
use stagefile::compile;
use stagefile::image::Image;
use stagefile::llb::SourceMap;
use stagefile::lower::LowerOptions;
use stagefile::plan::BuildOptions;
use stagefile::platform::Platform;
use std::collections::BTreeMap;

/// A file that uses most of the format: args, cross-compilation, caches, secrets, ssh,
/// bind mounts from a stage, linked copies, downloads, inline files and image config.
const REALISTIC: &str = r#"# syntax=stagefile:dev
args:
  GO_VERSION: "1.22"
  APP_VERSION: dev
  REGISTRY: ghcr.io/acme
stages:
  deps:
    from: golang:${GO_VERSION}-alpine
    platform: ${BUILDPLATFORM}
    workdir: /src
    env: { CGO_ENABLED: "0", GOFLAGS: -mod=readonly }
    steps:
      - copy: [go.mod, go.sum]
      - run: go mod download
        cache: { target: /go/pkg/mod, id: gomod, sharing: locked }
  generate:
    from: ${REGISTRY}/protoc:3.21
    platform: ${BUILDPLATFORM}
    steps:
      - copy: proto/
        to: /proto/
      - run: protoc --go_out=/gen /proto/*.proto
  build:
    from: deps
    steps:
      - copy: .
        exclude: ["*.md", docs/]
      - run: GOOS=$TARGETOS GOARCH=$TARGETARCH go build -ldflags="-X main.version=$APP_VERSION" -o /out/server ./cmd/server
        cache: [/go/pkg/mod, /root/.cache/go-build]
        mount:
          - { from: generate, source: /gen, target: /src/gen }
        secret: [{ id: netrc, target: /root/.netrc }, { id: token, env: GITHUB_TOKEN }]
        ssh: true
        tmpfs: /tmp
  test:
    from: build
    description: runs the unit tests
    steps:
      - run: [go, test, ./...]
        network: none
        env: { GOTRACEBACK: all }
  runtime:
    from: gcr.io/distroless/static:nonroot
    steps:
      - copy: /out/server
        from: build
        to: /server
        link: true
        chmod: "0755"
      - add: https://example.com/ca-certificates-2024.crt
        checksum: sha256:0f4b84e40c1b2d1d8d0c1a5d0e8c6f6b3c9e2a1b0c4d5e6f7a8b9c0d1e2f3a4b
        to: /etc/ssl/certs/extra.crt
      - file: /etc/app/config.yaml
        content: |
          listen: :8080
          version: ${APP_VERSION}
        mode: "0644"
    user: "65532:65532"
    expose: [8080, "9090/udp"]
    labels:
      org.opencontainers.image.version: ${APP_VERSION}
    volumes: [/data]
    entrypoint: [/server]
    cmd: [--config, /etc/app/config.yaml]
    healthcheck:
      test: [/server, health]
      interval: 30s
      timeout: 5s
      retries: 3
labels:
  org.opencontainers.image.source: https://example.com/acme/server
"#;

fn options() -> BuildOptions {
    BuildOptions {
        target_platform: Platform::parse("linux/arm64").unwrap(),
        build_args: BTreeMap::from([("APP_VERSION".to_owned(), "1.4.2".to_owned())]),
        ..Default::default()
    }
}

/// A distinct config per image, so a config landing on the wrong stage changes the bytes.
fn config_for(reference: &str, platform: &Platform, n: usize) -> Image {
    let json = serde_json::json!({
        "architecture": platform.arch,
        "os": platform.os,
        "created": "2024-01-01T00:00:00Z",
        "config": {
            "Env": [
                "PATH=/usr/local/go/bin:/usr/local/bin:/usr/bin:/bin",
                format!("IMAGE_{n}={reference}"),
            ],
            "WorkingDir": format!("/home/image{n}"),
            "User": format!("{}", 1000 + n),
            "Labels": { "from": reference },
        },
        "rootfs": { "type": "layers", "diff_ids": [format!("sha256:{n:064x}")] },
        "history": [{ "created_by": format!("image {n}") }],
    });
    Image::from_json(json.to_string().as_bytes()).unwrap()
}

/// The base configs this file needs, as (key, config) pairs in the plan's order.
fn configs() -> Vec<((String, Platform), Image)> {
    let (_, plan) = compile::plan(REALISTIC.as_bytes(), &options()).unwrap();
    assert!(plan.images.len() >= 3, "{:?}", plan.images);
    let platforms: std::collections::BTreeSet<_> = plan.images.iter().map(|(_, p)| p).collect();
    assert!(
        platforms.len() >= 2,
        "want images for two platforms: {platforms:?}"
    );
    plan.images
        .iter()
        .enumerate()
        .map(|(n, (r, p))| ((r.clone(), p.clone()), config_for(r, p, n)))
        .collect()
}

/// The definition's bytes and the image config's, for one set of base configs.
fn compile_with(base_configs: BTreeMap<(String, Platform), Image>) -> (Vec<u8>, Vec<u8>) {
    let lower = LowerOptions {
        session_id: Some("local-context-7f3a".into()),
        excludes: vec!["*.log".into(), "node_modules".into()],
        source: Some(SourceMap {
            filename: "Stagefile",
            data: REALISTIC.as_bytes(),
        }),
        base_configs,
        ..Default::default()
    };
    let lowered = compile::compile(REALISTIC.as_bytes(), &options(), &lower).unwrap();
    (lowered.definition.encode_to_vec(), lowered.image.to_json())
}

#[test]
fn a_realistic_file_compiles_to_identical_bytes_a_hundred_times() {
    let base: BTreeMap<_, _> = configs().into_iter().collect();
    let first = compile_with(base.clone());
    assert!(
        first.0.len() > 1_000,
        "a real graph: {} bytes",
        first.0.len()
    );
    for run in 1..100 {
        assert!(compile_with(base.clone()) == first, "run {run} differs");
    }
}

/// JSON text of `value` with every object's keys in the order `order` gives them.
fn json_with_key_order(value: &serde_json::Value, order: &dyn Fn(&mut Vec<&String>)) -> String {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            order(&mut keys);
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        Value::String(k.clone()),
                        json_with_key_order(&map[k], order)
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|v| json_with_key_order(v, order))
                .collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// The gateway resolves base images concurrently and inserts each config into a sorted map
/// as its answer arrives (`resolve_images` in `src/gateway/mod.rs`), so arrival order is
/// gone before lowering sees the map: that holds by type, and a test of it would compare
/// equal maps. What does arrive in any order is each config's JSON text: registries and
/// the tools that push to them write an image config's keys in different orders. The
/// gateway parses that text with `Image::from_json`; this test does the same with every
/// object's keys sorted, reversed and rotated, and wants the same bytes each time.
#[test]
fn base_config_json_with_its_keys_in_any_order_gives_the_same_bytes() {
    let pairs = configs();
    let with_order = |order: &dyn Fn(&mut Vec<&String>)| -> BTreeMap<_, _> {
        pairs
            .iter()
            .map(|(key, image)| {
                let value: serde_json::Value = serde_json::from_slice(&image.to_json()).unwrap();
                let text = json_with_key_order(&value, order);
                (key.clone(), Image::from_json(text.as_bytes()).unwrap())
            })
            .collect()
    };
    let sorted = with_order(&|keys| keys.sort());
    let reversed = with_order(&|keys| {
        keys.sort();
        keys.reverse()
    });
    let rotated = with_order(&|keys| {
        keys.sort();
        let half = keys.len() / 2;
        keys.rotate_left(half)
    });

    // The texts really differ, so the comparison below is not vacuous.
    let (key, image) = &pairs[0];
    let value: serde_json::Value = serde_json::from_slice(&image.to_json()).unwrap();
    let forward_text = json_with_key_order(&value, &|keys| keys.sort());
    let reversed_text = json_with_key_order(&value, &|keys| {
        keys.sort();
        keys.reverse()
    });
    assert_ne!(forward_text, reversed_text, "config of {key:?}");

    let a = compile_with(sorted);
    let b = compile_with(reversed);
    let c = compile_with(rotated);
    assert!(a == b, "sorted and reversed keys give different bytes");
    assert!(a == c, "sorted and rotated keys give different bytes");

    // The configs do reach the output, so the comparison above is not vacuous.
    let without = compile_with(BTreeMap::new());
    assert!(
        without.0 != a.0,
        "base configs had no effect on the definition"
    );
    assert!(
        without.1 != a.1,
        "base configs had no effect on the image config"
    );
}

#[test]
fn the_config_of_each_image_lands_on_its_own_stage() {
    let pairs = configs();
    let (_, image) = compile_with(pairs.iter().cloned().collect());
    let image: serde_json::Value = serde_json::from_slice(&image).unwrap();
    // The runtime stage is built on distroless: its config, not another image's.
    let n = pairs
        .iter()
        .position(|((r, _), _)| r.contains("distroless"))
        .expect("distroless is a base");
    let env = image["config"]["Env"].to_string();
    assert!(env.contains(&format!("IMAGE_{n}=")), "{env}");
    assert_eq!(image["architecture"], "arm64");
}
