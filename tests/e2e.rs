//! End-to-end tests: real builds through a real engine, with the frontend image loaded
//! locally and named by the `# syntax=` line of each fixture.
//!
//! The engine tests run only when `STAGEFILE_E2E` is set (`hack/test` sets it after
//! `hack/engine`, `hack/base-images` and `hack/image`). Without it each one prints a notice
//! and passes; with it, a missing engine or frontend image is a failure.
//! `STAGEFILE_IMAGE` names the frontend image (default `stagefile:dev`).
//!
//! Each test writes its fixture into a temporary directory, tags its images uniquely and
//! removes them when done. A few tests need no engine and always run. The harness is in
//! `tests/common/mod.rs`; the format's features are covered by `tests/e2e_format.rs`,
//! `tests/e2e_context.rs` and `tests/e2e_config.rs`.

mod common;

use common::*;
use std::fs;
use std::process::Command;

// ---------------------------------------------------------------------------------------
// The Go example
// ---------------------------------------------------------------------------------------

#[test]
fn go_example_builds_and_runs() {
    if !engine_enabled() {
        return;
    }
    let built = Build::example("go").run().success();
    assert_eq!(
        built.image.run_ok(&["hello"]).trim(),
        "hello from stagefile"
    );
    assert_eq!(
        built.image.inspect("{{json .Config.Entrypoint}}"),
        r#"["/server"]"#
    );
    assert_eq!(built.image.inspect("{{.Config.User}}"), "65532:65532");
    assert_eq!(
        built.image.inspect("{{json .Config.ExposedPorts}}"),
        r#"{"8080/tcp":{}}"#
    );
    // FROM scratch plus one copy: the runtime image is a single layer.
    assert_eq!(built.image.inspect("{{len .RootFS.Layers}}"), "1");
}

#[test]
fn go_example_builds_with_classic_docker_build() {
    if !engine_enabled() {
        return;
    }
    let built = Build::example("go").classic().run().success();
    assert_eq!(
        built.image.run_ok(&["hello"]).trim(),
        "hello from stagefile"
    );
    assert_eq!(
        built.image.inspect("{{json .Config.Entrypoint}}"),
        r#"["/server"]"#
    );
}

#[test]
fn target_builds_an_intermediate_stage() {
    if !engine_enabled() {
        return;
    }
    let built = Build::example("go").target("build").run().success();
    assert_eq!(
        built.image.run_ok(&["ls", "/out/server"]).trim(),
        "/out/server"
    );
    assert_eq!(
        built.image.run_ok(&["/out/server", "hello"]).trim(),
        "hello from stagefile"
    );
}

#[test]
fn editing_a_source_reruns_only_the_compile_step() {
    if !engine_enabled() {
        return;
    }
    // No other build of this binary shares the graph meanwhile (see common::gate).
    let _alone = gate::cache_sensitive();
    let build = Build::example("go");
    let records = TempDir::new("metadata");
    let metadata = |name: &str| records.path().join(name).to_str().unwrap().to_owned();
    let warm = metadata("warm.json");
    build.run_with(&["--metadata-file", &warm]).success();

    // An unchanged rebuild must be CACHED throughout: if it is not, the cache was lost
    // (or the base moved), which says nothing of what an edit invalidates.
    let same = metadata("unchanged.json");
    let unchanged = build.run_with(&["--metadata-file", &same]).success();
    let rerun = ran(&unchanged.output());
    assert!(
        rerun.is_empty(),
        "an unchanged rebuild ran {rerun:?} again: the cache was lost between two builds \
         (base images resolved: {:?}, then {:?}):\n{}",
        base_materials(&warm),
        base_materials(&same),
        unchanged.output()
    );

    // A greeting no earlier run has compiled, so the layer cache cannot hold the result.
    let greeting = format!("hello from {}", unique("an edited stagefile"));
    let main_go = build.path("main.go");
    let source = fs::read_to_string(&main_go).unwrap();
    assert!(source.contains("\"hello from stagefile\""));
    let edited = source.replace("\"hello from stagefile\"", &format!("{greeting:?}"));
    fs::write(&main_go, edited).unwrap();

    let after = metadata("edited.json");
    let second = build.run_with(&["--metadata-file", &after]).success();
    assert_eq!(base_materials(&after), base_materials(&same));
    let output = second.output();
    // The edited file's copy, the compile and the final copy of its binary; not the
    // package install nor `go mod download`.
    assert_eq!(
        ran(&output),
        [
            "[build 5/6] COPY . /src/",
            "[build 6/6] RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/server .",
            "[runtime 2/2] COPY --from=build /out/server /server",
        ],
        "{output}"
    );
    assert_eq!(second.image.run_ok(&["hello"]).trim(), greeting);
}

/// The steps a build ran rather than loaded from the cache.
fn ran(output: &str) -> Vec<String> {
    steps(output, false)
        .into_iter()
        .filter(|(_, state)| *state != StepState::Cached)
        .map(|(name, _)| name)
        .collect()
}

/// The base images a build resolved, from its `--metadata-file` provenance materials:
/// `uri@sha256:…`, or a note when the record has none.
fn base_materials(path: &str) -> Vec<String> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let record: serde_json::Value = serde_json::from_str(&text).expect("the metadata is JSON");
    let Some(materials) = record["buildx.build.provenance"]["materials"].as_array() else {
        return vec!["no provenance materials".to_owned()];
    };
    materials
        .iter()
        .filter_map(|m| {
            let uri = m["uri"].as_str()?;
            let digest = m["digest"]["sha256"].as_str()?;
            uri.starts_with("pkg:docker/debian")
                .then(|| format!("{uri}@sha256:{digest}"))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Build semantics
// ---------------------------------------------------------------------------------------

#[test]
fn unreachable_stages_are_not_built() {
    if !engine_enabled() {
        return;
    }
    let built = Build::new()
        .stagefile(
            "\
stages:
  broken:
    from: busybox:1.35
    steps:
      - run: exit 1
  app:
    from: busybox:1.35
    steps:
      - run: echo built > /result
",
        )
        .run()
        .success();
    assert_eq!(built.image.run_ok(&["cat", "/result"]).trim(), "built");
}

#[test]
fn cache_mount_keeps_content_between_builds() {
    if !engine_enabled() {
        return;
    }
    // A cache id of this run only, so that no other build has touched the cache; TOKEN is
    // used by both steps, so each build runs its step whatever the layer cache holds.
    let cache_id = unique("stagefile-e2e-cache");
    let build = Build::new().stagefile(&format!(
        "\
args:
  TOKEN: none
stages:
  write:
    from: busybox:1.35
    steps:
      - run: echo \"$TOKEN $(date)\" > /cache/stamp && cp /cache/stamp /written
        cache: {{ target: /cache, id: {cache_id} }}
  read:
    from: busybox:1.35
    steps:
      - run: echo \"reading for $TOKEN\" && cp /cache/stamp /stamp
        cache: {{ target: /cache, id: {cache_id} }}
"
    ));
    let first_token = unique("first");
    let first = build
        .run_with(&[
            "--target",
            "write",
            "--build-arg",
            &format!("TOKEN={first_token}"),
        ])
        .success();
    let written = first.image.run_ok(&["cat", "/written"]);
    assert!(
        written.starts_with(&format!("{first_token} ")),
        "unexpected stamp {written:?}"
    );

    let second_token = unique("second");
    let second = build
        .run_with(&[
            "--target",
            "read",
            "--build-arg",
            &format!("TOKEN={second_token}"),
        ])
        .success();
    let read = second.image.run_ok(&["cat", "/stamp"]);
    assert_eq!(
        read, written,
        "the second build should see the file the first one left in the cache mount"
    );
}

// ---------------------------------------------------------------------------------------
// Errors, as `docker buildx build` shows them
// ---------------------------------------------------------------------------------------

#[test]
fn misspelt_key_names_the_line_and_suggests_the_key() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new().stagefile(
        "\
stages:
  app:
    form: busybox:1.35
    steps:
      - run: echo hi
",
    );
    let line = line_of(&build.stagefile_text(), "form:");
    let built = build.run().failure();
    built.assert_names_line(&[line]);
    // The frontend's one-line error, as buildx prints it: place, message and hint.
    built.assert_output_contains(&format!(
        "Stagefile:{line}:5: unknown key `form` (did you mean `from`?)"
    ));
}

#[test]
fn unknown_copy_from_stage_names_the_line() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new().stagefile(
        "\
stages:
  build:
    from: busybox:1.35
    steps:
      - run: echo hi > /hi
  app:
    from: busybox:1.35
    steps:
      - copy: /hi
        from: biuld
        to: /hi
",
    );
    let text = build.stagefile_text();
    let lines = [line_of(&text, "- copy: /hi"), line_of(&text, "from: biuld")];
    let built = build.run().failure();
    built.assert_names_line(&lines);
    // The message and its hint, not just the name (the code frame prints that anyway).
    built.assert_output_contains(&format!(
        "Stagefile:{}:15: no stage is named `biuld` (did you mean stage `build`? \
         (for an image of that name, add a tag: `biuld:<tag>`))",
        lines[1]
    ));
}

#[test]
fn stage_cycle_names_the_line() {
    if !engine_enabled() {
        return;
    }
    // The target (the last stage) is on the cycle, so the cycle is reachable.
    let build = Build::new().stagefile(
        "\
stages:
  first:
    from: second
  second:
    from: first
",
    );
    let text = build.stagefile_text();
    let lines = [
        line_of(&text, "first:"),
        line_of(&text, "from: second"),
        line_of(&text, "second:"),
        line_of(&text, "from: first"),
    ];
    let built = build.run().failure();
    built.assert_names_line(&lines);
    built.assert_output_contains("cycle");
}

#[test]
fn failing_run_names_its_line() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new().stagefile(
        "\
stages:
  app:
    from: busybox:1.35
    steps:
      - run: echo before
      - run: echo failing && exit 3
      - run: echo after
",
    );
    let line = line_of(&build.stagefile_text(), "exit 3");
    let built = build.run().failure();
    if old_engine() {
        // Docker 20.10 (BuildKit v0.8) reports no source locations with a failed step's
        // error: the output names the step, not the Stagefile line.
        notice("this engine reports no source lines with errors; checking the step name");
        built.assert_output_contains("[app 3/4] RUN echo failing && exit 3");
    } else {
        built.assert_names_line(&[line]);
    }
    built.assert_output_contains("exit code: 3");
}

// ---------------------------------------------------------------------------------------
// The CLI (no engine needed)
// ---------------------------------------------------------------------------------------

fn stagefile(args: &[&str]) -> Finished {
    run_command(
        Command::new(env!("CARGO_BIN_EXE_stagefile"))
            .args(args)
            .current_dir(repo_root()),
    )
}

#[test]
fn go_example_passes_check() {
    stagefile(&["check", "examples/go/Stagefile"]).assert_success();
}

#[test]
fn llb_output_is_deterministic() {
    let dir = TempDir::new("llb");
    let multi = dir.path().join("Stagefile");
    fs::write(
        &multi,
        "\
args:
  GREETING: hello
stages:
  base:
    from: busybox:1.35
    env: { A: \"1\", B: \"2\", C: \"3\" }
    steps:
      - run: echo $GREETING > /greeting
  left:
    from: base
    steps:
      - run: echo left > /left
  right:
    from: base
    steps:
      - run: echo right > /right
  app:
    from: busybox:1.35
    labels: { z: last, a: first, m: middle }
    steps:
      - copy: /left
        from: left
      - copy: /right
        from: right
      - copy: /greeting
        from: base
",
    )
    .unwrap();
    let multi = multi.to_str().unwrap();
    for args in [
        vec!["llb", "examples/go/Stagefile"],
        vec!["llb", "examples/go/Stagefile", "--target", "build"],
        vec!["llb", multi],
        vec!["llb", multi, "--build-arg", "GREETING=bonjour"],
    ] {
        let first = stagefile(&args);
        first.assert_success();
        assert!(
            !first.stdout.is_empty(),
            "`stagefile {}` printed nothing",
            args.join(" ")
        );
        for _ in 0..2 {
            let again = stagefile(&args);
            again.assert_success();
            assert!(
                again.stdout == first.stdout,
                "`stagefile {}` printed different bytes on another run",
                args.join(" ")
            );
        }
    }
    let hello = stagefile(&["llb", multi]);
    let bonjour = stagefile(&["llb", multi, "--build-arg", "GREETING=bonjour"]);
    assert!(
        hello.stdout != bonjour.stdout,
        "a build arg used by a step must change the LLB"
    );
}

#[test]
fn line_helpers_parse_build_output() {
    assert_eq!(
        named_lines("Stagefile:12\n--------\n  12 | >>> x\nerror at line 3, column 4"),
        vec![3, 12]
    );
    assert_eq!(named_lines("Stagefile:\nline x"), Vec::<usize>::new());
    let plain = "#5 [build 3/5] RUN go mod download\n#5 CACHED\n\n#6 [build 5/5] RUN go build -o /out/server .\n#6 0.1 compiling\n#6 DONE 2.0s\n";
    assert_eq!(
        vertex(plain, "go mod download"),
        ("[build 3/5] RUN go mod download".to_owned(), true)
    );
    assert_eq!(
        vertex(plain, "go build"),
        (
            "[build 5/5] RUN go build -o /out/server .".to_owned(),
            false
        )
    );
    assert_eq!(line_of("a\nb: x\nc", "b:"), 2);

    // Steps in the order they appear; base sources and internal vertices left out.
    let build = "#9 [build 5/5] RUN go build\n#9 DONE 2.0s\n#4 [internal] load metadata\n#4 DONE 0.1s\n\
                 #3 [build 1/5] FROM docker.io/library/debian:bookworm\n#3 DONE 0.0s\n\
                 #5 [build 3/5] RUN go mod download\n#5 CACHED\n#7 [runtime 2/2] COPY /x /x\n\
                 #7 ERROR: failed\n#10 exporting to image\n#10 DONE 0.1s\n";
    let named = |with_export| -> Vec<(String, StepState)> { steps(build, with_export) };
    assert_eq!(
        named(true),
        [
            ("[build 5/5] RUN go build".to_owned(), StepState::Ran),
            (
                "[build 3/5] RUN go mod download".to_owned(),
                StepState::Cached
            ),
            ("[runtime 2/2] COPY /x /x".to_owned(), StepState::Other),
            ("exporting to image".to_owned(), StepState::Ran),
        ]
    );
    assert_eq!(named(false).len(), 3);
}
