//! Dockerfile habits, built through the engine: each test builds a Stagefile and its
//! Dockerfile twin (with the engine's builtin Dockerfile frontend) from one fixture and
//! compares what the engine made of them: the image config's `Env`, files written by
//! `run` steps, history and cache hits. Also the located errors around those habits.
//!
//! Runs only when `STAGEFILE_E2E` is set (hack/test sets it); the harness is in
//! `tests/common/mod.rs`. Base images: busybox:1.35 and debian:bookworm (hack/base-images).

mod common;

use common::*;

/// The image config's environment, one entry a line.
fn env_of(image: &Image) -> Vec<String> {
    let json = image.inspect("{{json .Config.Env}}");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("Env of {}: {e}: {json}", image.tag))
}

/// Every history entry's `CreatedBy`, joined.
fn history_of(image: &Image) -> String {
    let history = docker(&[
        "image",
        "history",
        "--no-trunc",
        "--format",
        "{{.CreatedBy}}",
        &image.tag,
    ]);
    history.assert_success();
    history.stdout
}

fn cat(image: &Image, path: &str) -> String {
    image.run_ok(&["cat", path])
}

// ---------------------------------------------------------------------------------------
// env extends the inherited environment
// ---------------------------------------------------------------------------------------

#[test]
fn env_extends_the_inherited_path_like_env_path_in_a_dockerfile() {
    if !engine_enabled() {
        return;
    }
    let token = random_token();
    let build = Build::new()
        .stagefile(&format!(
            r#"stages:
  tool:
    from: busybox:1.35
    env:
      TOOL: /opt/tool
      PATH: ${{TOOL}}/bin:${{PATH}}
    steps:
      - run: mkdir -p /opt/tool/bin && printf '#!/bin/sh\necho tool-%s\n' {token} > /opt/tool/bin/hello && chmod 755 /opt/tool/bin/hello
  app:
    from: tool
    env:
      PATH: /app/bin:$PATH
    steps:
      - run: hello > /out && echo "$PATH" > /path
"#
        ))
        .file(
            "Dockerfile",
            &format!(
                r#"FROM busybox:1.35 AS tool
ENV TOOL=/opt/tool
ENV PATH=${{TOOL}}/bin:${{PATH}}
RUN mkdir -p /opt/tool/bin && printf '#!/bin/sh\necho tool-%s\n' {token} > /opt/tool/bin/hello && chmod 755 /opt/tool/bin/hello

FROM tool AS app
ENV PATH=/app/bin:$PATH
RUN hello > /out && echo "$PATH" > /path
"#
            ),
        );
    let ours = build.run().success();
    let twin = build.run_file("Dockerfile", &[]).success();

    let want_path =
        "/app/bin:/opt/tool/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for built in [&ours, &twin] {
        assert!(
            env_of(&built.image).contains(&format!("PATH={want_path}")),
            "{}: {:?}",
            built.image.tag,
            env_of(&built.image)
        );
        assert_eq!(cat(&built.image, "/path").trim(), want_path);
        assert_eq!(cat(&built.image, "/out").trim(), format!("tool-{token}"));
        // The extended PATH is the image's: a container finds the tool by name.
        assert_eq!(
            built.image.run_ok(&["hello"]).trim(),
            format!("tool-{token}")
        );
    }
    let mut ours_env = env_of(&ours.image);
    let mut twin_env = env_of(&twin.image);
    ours_env.sort();
    twin_env.sort();
    assert_eq!(
        ours_env, twin_env,
        "the Stagefile's Env and the Dockerfile's"
    );
}

#[test]
fn an_env_name_no_base_defines_is_refused_at_its_line() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new().stagefile(
        "stages:\n  app:\n    from: busybox:1.35\n    env:\n      GOBIN: ${GOPATH}/bin\n",
    );
    let built = build.run().failure();
    built.assert_output_contains("variable `GOPATH` is not defined");
    let line = line_of(&build.stagefile_text(), "GOBIN:");
    built.assert_names_line(&[line]);
}

// ---------------------------------------------------------------------------------------
// Proxy build args
// ---------------------------------------------------------------------------------------

#[test]
fn proxy_args_reach_run_steps_stay_out_of_the_image_and_keep_the_cache() {
    if !engine_enabled() {
        return;
    }
    // Asserts cache hits: no other build of this binary meanwhile (common::gate).
    let _alone = gate::cache_sensitive();
    // The token keeps this step out of any earlier run's cache.
    let token = random_token();
    let run = format!(r#"echo "$HTTP_PROXY|$http_proxy|$NO_PROXY|{token}" > /p"#);
    let build = Build::new()
        .stagefile(&format!(
            "stages:\n  app:\n    from: busybox:1.35\n    steps:\n      - run: '{run}'\n"
        ))
        .file("Dockerfile", &format!("FROM busybox:1.35\nRUN {run}\n"));
    let first = [
        "--build-arg",
        "HTTP_PROXY=http://one.proxy.test:3128",
        "--build-arg",
        "no_proxy=internal.test",
    ];
    let second = [
        "--build-arg",
        "HTTP_PROXY=http://two.proxy.test:3128",
        "--build-arg",
        "no_proxy=internal.test",
    ];
    let mut written = Vec::new();
    for file in ["Stagefile", "Dockerfile"] {
        let built = build.run_file(file, &first).success();
        let p = cat(&built.image, "/p");
        assert_eq!(
            p.trim(),
            format!("http://one.proxy.test:3128|http://one.proxy.test:3128|internal.test|{token}"),
            "{file}"
        );
        written.push(p);
        let env = env_of(&built.image).join("\n");
        assert!(!env.contains("proxy.test"), "{file}: Env {env}");
        let history = history_of(&built.image);
        assert!(!history.contains("proxy.test"), "{file}: history {history}");
        // A new proxy value does not invalidate the step.
        let again = build.run_file(file, &second).success();
        let (name, cached) = vertex(&again.output(), "RUN");
        assert!(cached, "{file}: `{name}` ran again:\n{}", again.output());
        assert_eq!(cat(&again.image, "/p"), written[written.len() - 1]);
    }
    assert_eq!(
        written[0], written[1],
        "the Stagefile's step and the Dockerfile's"
    );
}

// ---------------------------------------------------------------------------------------
// Arg defaults built from other args
// ---------------------------------------------------------------------------------------

#[test]
fn arg_defaults_use_other_args_like_arg_defaults_in_a_dockerfile() {
    if !engine_enabled() {
        return;
    }
    let token = random_token();
    let build = Build::new()
        .stagefile(&format!(
            "args:\n  IMAGE: ${{REPO}}:${{TAG}}\n  REPO: busybox\n  TAG: \"1.35\"\nstages:\n  app:\n    from: ${{IMAGE}}\n    steps:\n      - run: echo \"$IMAGE {token}\" > /image\n"
        ))
        .file(
            "Dockerfile",
            &format!(
                "ARG REPO=busybox\nARG TAG=1.35\nARG IMAGE=${{REPO}}:${{TAG}}\nFROM ${{IMAGE}}\nARG IMAGE\nRUN echo \"$IMAGE {token}\" > /image\n"
            ),
        );
    for file in ["Stagefile", "Dockerfile"] {
        let built = build.run_file(file, &[]).success();
        assert_eq!(
            cat(&built.image, "/image").trim(),
            format!("busybox:1.35 {token}"),
            "{file}"
        );
        // A --build-arg replaces a default, and the args built on it follow.
        let debian = build
            .run_file(
                file,
                &["--build-arg", "REPO=debian", "--build-arg", "TAG=bookworm"],
            )
            .success();
        assert_eq!(
            cat(&debian.image, "/image").trim(),
            format!("debian:bookworm {token}"),
            "{file}"
        );
        assert!(
            debian
                .image
                .run_ok(&["cat", "/etc/debian_version"])
                .starts_with("12"),
            "{file}: not built on debian:bookworm"
        );
    }
}

#[test]
fn an_arg_default_cycle_is_refused_at_its_line() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new()
        .stagefile("args:\n  A: ${B}-a\n  B: ${A}-b\nstages:\n  app:\n    from: busybox:1.35\n");
    let built = build.run().failure();
    built.assert_output_contains("refer to each other: A → B → A");
    built.assert_names_line(&[line_of(&build.stagefile_text(), "A: ${B}")]);
}

// ---------------------------------------------------------------------------------------
// `file` content and shell variables
// ---------------------------------------------------------------------------------------

#[test]
fn file_content_is_written_as_is_with_expand_false_like_a_quoted_heredoc() {
    if !engine_enabled() {
        return;
    }
    let script = "#!/bin/sh\necho \"home=$HOME first=${1:-none} dollar=$$\" | sed 's/dollar=[0-9]*/dollar=n/'\n";
    let indented: String = script.lines().map(|l| format!("          {l}\n")).collect();
    let build = Build::new()
        .stagefile(&format!(
            "stages:\n  app:\n    from: busybox:1.35\n    steps:\n      - file: /entry.sh\n        mode: \"0755\"\n        expand: false\n        content: |\n{indented}"
        ))
        .file(
            "Dockerfile",
            &format!("FROM busybox:1.35\nCOPY --chmod=755 <<'EOF' /entry.sh\n{script}EOF\n"),
        );
    let ours = build.run().success();
    assert_eq!(cat(&ours.image, "/entry.sh"), script);
    let out = ours.image.run_ok(&["/entry.sh", "x"]);
    assert_eq!(out.trim(), "home=/root first=x dollar=n");
    if old_engine() {
        notice("Docker 20.10's Dockerfile frontend has no heredocs: no twin to compare");
        return;
    }
    let twin = build.run_file("Dockerfile", &[]).success();
    assert_eq!(cat(&ours.image, "/entry.sh"), cat(&twin.image, "/entry.sh"));
    assert_eq!(out, twin.image.run_ok(&["/entry.sh", "x"]));
}

#[test]
fn a_shell_variable_in_file_content_is_refused_at_its_own_line() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new().stagefile(
        "stages:\n  app:\n    from: busybox:1.35\n    steps:\n      - file: /entry.sh\n        content: |\n          #!/bin/sh\n          cd /srv\n          exec /server --home \"$HOME\"\n",
    );
    let built = build.run().failure();
    built.assert_output_contains("variable `HOME` is not defined");
    built.assert_output_contains("$$HOME");
    built.assert_names_line(&[line_of(&build.stagefile_text(), "--home")]);
}
