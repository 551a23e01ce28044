//! Dockerfile habits, compiled without an engine: `env` values that extend the
//! inherited environment, proxy build args, and arg defaults built from other args.
//! `tests/e2e_habits.rs` builds the same habits and their Dockerfile twins on an engine.

use bollard_buildkit_proto::pb;
use prost::Message;
use stagefile::image::Image;
use stagefile::lower::{LowerOptions, Lowered};
use stagefile::plan::BuildOptions;
use stagefile::platform::Platform;
use std::collections::BTreeMap;

const BUSYBOX: &str = "docker.io/library/busybox:1.35";

/// A base image config with this environment.
fn base(env: &[&str]) -> Image {
    let json = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": { "Env": env, "Cmd": ["sh"] },
        "rootfs": { "type": "layers", "diff_ids": [] },
    });
    Image::from_json(&serde_json::to_vec(&json).unwrap()).unwrap()
}

fn with_base(env: &[&str]) -> LowerOptions<'static> {
    let mut configs = BTreeMap::new();
    configs.insert((BUSYBOX.to_owned(), Platform::linux_amd64()), base(env));
    LowerOptions {
        base_configs: configs,
        ..Default::default()
    }
}

fn compile(src: &str, opts: &BuildOptions, lower: &LowerOptions) -> Lowered {
    stagefile::compile::compile(src.as_bytes(), opts, lower)
        .unwrap_or_else(|d| panic!("{src}\n{d:?}"))
}

/// The exec ops of a definition, in graph order.
fn execs(l: &Lowered) -> Vec<(pb::ExecOp, BTreeMap<String, bool>)> {
    l.definition
        .def
        .iter()
        .filter_map(|bytes| {
            let op = pb::Op::decode(bytes.as_slice()).unwrap();
            let digest = stagefile::llb::digest_of(bytes);
            match op.op {
                Some(pb::op::Op::Exec(e)) => Some((e, l.definition.metadata[&digest].caps.clone())),
                _ => None,
            }
        })
        .collect()
}

fn env_of(exec: &pb::ExecOp) -> Vec<String> {
    exec.meta.clone().unwrap().env
}

#[test]
fn env_extends_the_base_images_path_in_the_config_and_in_steps() {
    let src = "stages:\n  tool:\n    from: busybox:1.35\n    env:\n      TOOL: /opt/tool\n      PATH: ${TOOL}/bin:${PATH}\n    steps:\n      - run: echo $PATH\n  app:\n    from: tool\n    env:\n      PATH: /app/bin:$PATH\n      SHELLS: ${SHELL:-none}\n    steps:\n      - run: echo $PATH\n        env: { PATH: \"/step:${PATH}\" }\n";
    let lowered = compile(
        src,
        &BuildOptions::default(),
        &with_base(&["PATH=/usr/bin:/bin", "SHELL=/bin/ash"]),
    );
    assert!(lowered.warnings.is_empty(), "{:?}", lowered.warnings);
    assert_eq!(
        lowered.image.config.env,
        [
            "PATH=/app/bin:/opt/tool/bin:/usr/bin:/bin",
            "SHELL=/bin/ash",
            "TOOL=/opt/tool",
            "SHELLS=/bin/ash"
        ]
    );
    let history: Vec<&str> = lowered
        .image
        .history
        .iter()
        .map(|h| h.created_by.as_str())
        .collect();
    assert!(
        history.contains(&"ENV PATH=/opt/tool/bin:/usr/bin:/bin"),
        "{history:?}"
    );
    let execs = execs(&lowered);
    assert_eq!(execs.len(), 2);
    assert!(env_of(&execs[0].0).contains(&"PATH=/opt/tool/bin:/usr/bin:/bin".to_owned()));
    assert!(
        env_of(&execs[1].0).contains(&"PATH=/step:/app/bin:/opt/tool/bin:/usr/bin:/bin".to_owned()),
        "{:?}",
        env_of(&execs[1].0)
    );
}

#[test]
fn a_name_no_base_defines_is_a_located_error() {
    let src = "stages:\n  app:\n    from: busybox:1.35\n    env:\n      GOBIN: ${GOPATH}/bin\n";
    let errs = stagefile::compile::compile(
        src.as_bytes(),
        &BuildOptions::default(),
        &with_base(&["PATH=/bin", "GOPAHT=/go"]),
    )
    .err()
    .expect("GOPATH is defined nowhere");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!((errs[0].span.line, errs[0].span.column), (5, 7));
    assert_eq!(errs[0].message, "variable `GOPATH` is not defined");
    assert!(
        errs[0]
            .help
            .as_deref()
            .unwrap()
            .contains("did you mean `GOPAHT`"),
        "{errs:?}"
    );
    // The base defines it: fine.
    let ok = compile(
        src,
        &BuildOptions::default(),
        &with_base(&["PATH=/bin", "GOPATH=/go"]),
    );
    assert!(ok.image.config.env.contains(&"GOBIN=/go/bin".to_owned()));
}

#[test]
fn a_base_without_path_gets_buildkits_default() {
    let src = "stages:\n  app:\n    from: busybox:1.35\n    env:\n      PATH: /x:${PATH}\n";
    let lowered = compile(src, &BuildOptions::default(), &with_base(&["A=1"]));
    assert_eq!(
        lowered.image.config.env,
        ["A=1", &format!("PATH=/x:{}", stagefile::llb::DEFAULT_PATH)]
    );
}

#[test]
fn offline_the_assumed_environment_is_a_warning() {
    let src = "stages:\n  app:\n    from: busybox:1.35\n    env:\n      PATH: /x:${PATH}\n    steps:\n      - run: \"true\"\n";
    let lowered = compile(src, &BuildOptions::default(), &LowerOptions::default());
    assert_eq!(lowered.warnings.len(), 1, "{:?}", lowered.warnings);
    let w = &lowered.warnings[0];
    assert_eq!((w.span.line, w.span.column), (5, 7));
    assert!(
        w.message.contains(&format!(
            "`PATH` is assumed BuildKit's default `{}`",
            stagefile::llb::DEFAULT_PATH
        )),
        "{}",
        w.message
    );
    assert_eq!(
        lowered.image.config.env,
        [format!("PATH=/x:{}", stagefile::llb::DEFAULT_PATH)]
    );
}

#[test]
fn proxy_args_reach_run_steps_but_not_the_image() {
    let src = "stages:\n  app:\n    from: busybox:1.35\n    steps:\n      - run: echo \"$HTTP_PROXY\" > /p\n";
    let build = |proxy: &str| {
        let opts = BuildOptions {
            build_args: [
                ("HTTP_PROXY".to_owned(), proxy.to_owned()),
                ("no_proxy".to_owned(), "localhost".to_owned()),
            ]
            .into(),
            ..Default::default()
        };
        compile(src, &opts, &with_base(&["PATH=/bin"]))
    };
    let lowered = build("http://proxy.test:3128");
    let ops = execs(&lowered);
    let (exec, caps) = &ops[0];
    let proxy = exec.meta.clone().unwrap().proxy_env.expect("proxy env");
    assert_eq!(proxy.http_proxy, "http://proxy.test:3128");
    assert_eq!(proxy.no_proxy, "localhost");
    assert!(proxy.https_proxy.is_empty() && proxy.all_proxy.is_empty());
    assert!(caps.contains_key("exec.meta.proxyenv"));
    assert!(
        !env_of(exec)
            .iter()
            .any(|e| e.to_lowercase().contains("proxy"))
    );
    let config = String::from_utf8(lowered.image.to_json()).unwrap();
    assert!(!config.contains("proxy.test"), "{config}");
    // Without proxy args the step has no proxy env at all.
    let plain = compile(src, &BuildOptions::default(), &with_base(&["PATH=/bin"]));
    assert!(execs(&plain)[0].0.meta.clone().unwrap().proxy_env.is_none());
}

#[test]
fn arg_defaults_built_from_args_name_the_base() {
    let src = "args:\n  REPO: docker.io/library/busybox\n  TAG: \"1.35\"\n  IMAGE: ${REPO}:${TAG}\nstages:\n  app:\n    from: ${IMAGE}\n    env: { BASE: $IMAGE }\n";
    let lowered = compile(src, &BuildOptions::default(), &with_base(&["PATH=/bin"]));
    assert!(
        lowered
            .image
            .config
            .env
            .contains(&"BASE=docker.io/library/busybox:1.35".to_owned())
    );
    let (_, plan) = stagefile::compile::plan(src.as_bytes(), &BuildOptions::default()).unwrap();
    assert_eq!(plan.images[0].0, BUSYBOX);
}
