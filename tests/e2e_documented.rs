//! End-to-end tests of documented behaviour that only an engine shows: `input:` contexts
//! from bake, `--no-cache-filter`, caches seeded from a stage or a named context, a
//! required secret the client does not give, `<Stagefile>.dockerignore`, the
//! `subrequests.describe` query, `link` with and without the engine's merge op,
//! `entrypoint` clearing the base's command, and stage and step `args`.
//!
//! Like the other engine tests, these run only when `STAGEFILE_E2E` is set; the harness
//! is in `tests/common/mod.rs`.

mod common;

use common::*;
use std::process::Command;

#[test]
fn bake_passes_another_targets_result_as_an_input_context() {
    if !engine_enabled() {
        return;
    }
    let app = Image {
        tag: format!("{}:latest", unique("stagefile-e2e-input")),
    };
    // `base` is a bake target of its own; bake hands its result to `app`'s build as the
    // `input:` context named `base`, which replaces the stage of that name.
    let build = Build::new()
        .stagefile(
            "\
stages:
  base:
    from: busybox:1.35
    steps:
      - run: echo from the stage > /origin
  app:
    from: base
    steps:
      - run: cat /origin > /seen
",
        )
        .file(
            "base.Stagefile",
            &format!(
                "{}stages:
  base:
    from: busybox:1.35
    steps:
      - run: echo from the bake target > /origin
",
                syntax_line()
            ),
        )
        .file(
            "docker-bake.hcl",
            &format!(
                "target \"base\" {{\n  dockerfile = \"base.Stagefile\"\n}}\n\
                 target \"app\" {{\n  dockerfile = \"Stagefile\"\n  target = \"app\"\n  \
                 contexts = {{ base = \"target:base\" }}\n  tags = [\"{}\"]\n  \
                 output = [\"type=docker\"]\n}}\n",
                app.tag
            ),
        );
    let baked = run_command(Command::new("docker").current_dir(build.dir()).args([
        "buildx",
        "bake",
        "--progress=plain",
        "-f",
        "docker-bake.hcl",
        "app",
    ]));
    baked.assert_success();
    assert_eq!(app.run_ok(&["cat", "/seen"]), "from the bake target\n");
}

#[test]
fn no_cache_filter_reruns_only_the_named_stages() {
    if !engine_enabled() {
        return;
    }
    let _alone = gate::cache_sensitive();
    let token = unique("no-cache-filter");
    let build = Build::new().stagefile(&format!(
        "\
stages:
  fresh:
    from: busybox:1.35
    steps:
      - run: echo {token} > /fresh
  kept:
    from: busybox:1.35
    steps:
      - run: echo {token} > /kept
  app:
    from: busybox:1.35
    steps:
      - copy: /fresh
        from: fresh
      - copy: /kept
        from: kept
"
    ));
    build.run().success();
    let again = build.run_with(&["--no-cache-filter", "fresh"]).success();
    let output = again.output();
    let (fresh, fresh_cached) = vertex(&output, "> /fresh");
    assert!(!fresh_cached, "{fresh:?} must run again:\n{output}");
    let (kept, kept_cached) = vertex(&output, "> /kept");
    assert!(kept_cached, "{kept:?} must stay CACHED:\n{output}");
}

#[test]
fn a_cache_is_seeded_from_a_stage_or_a_named_context() {
    if !engine_enabled() {
        return;
    }
    // Cache ids of this run only, so that each cache is new and takes its seed.
    let from_stage = unique("seeded-by-stage");
    let from_context = unique("seeded-by-context");
    let build = Build::new()
        .stagefile(&format!(
            "\
stages:
  seed:
    from: busybox:1.35
    steps:
      - run: mkdir -p /data && echo seeded by a stage > /data/seed.txt
  app:
    from: busybox:1.35
    steps:
      - run: cp /c/seed.txt /from-stage
        cache: {{ target: /c, id: {from_stage}, from: seed, source: /data }}
      - run: cp /d/seed.txt /from-context
        cache: {{ target: /d, id: {from_context}, from: seeds }}
"
        ))
        .file("seeds/seed.txt", "seeded by a named context\n");
    let seeds = build.path("seeds");
    let context = format!("seeds={}", seeds.display());
    let built = build
        .run_with(&["--build-context", &context, "--target", "app"])
        .success();
    assert_eq!(
        built.image.run_ok(&["cat", "/from-stage", "/from-context"]),
        "seeded by a stage\nseeded by a named context\n"
    );
}

#[test]
fn a_required_secret_the_client_does_not_give_fails_the_step_at_its_line() {
    if !engine_enabled() {
        return;
    }
    // The token keeps the steps out of an earlier run's cache (secrets are not part of
    // a step's cache key).
    let token = unique("required-secret");
    let build = Build::new().stagefile(&format!(
        "\
stages:
  app:
    from: busybox:1.35
    steps:
      - run: echo {token} && cat /run/secrets/token > /dev/null
        secret: {{ id: token, required: true }}
      - run: echo {token} && test ! -e /run/secrets/optional && echo skipped > /result
        secret: {{ id: optional }}
"
    ));
    let failed = build.run().failure();
    failed.assert_output_contains("secret token");
    if old_engine() {
        // BuildKit v0.8 reports no source lines with errors: the failed step is named.
        notice("this engine reports no source lines with errors; checking the step name");
        failed.assert_output_contains("cat /run/secrets/token > /dev/null\n#");
        failed.assert_output_contains("ERROR: secret token not found");
    } else {
        failed.assert_names_line(&[5, 6]);
    }

    // Given, it is mounted; a secret that is not required and not given is skipped.
    let secret = build.path("token.txt");
    std::fs::write(&secret, "s3cr3t").unwrap();
    let given = format!("id=token,src={}", secret.display());
    let built = build.run_with(&["--secret", &given]).success();
    assert_eq!(built.image.run_ok(&["cat", "/result"]), "skipped\n");
}

#[test]
fn a_stagefiles_own_ignore_file_replaces_the_contexts() {
    if !engine_enabled() {
        return;
    }
    let built = Build::new()
        .stagefile(
            "\
stages:
  app:
    from: busybox:1.35
    steps:
      - copy: .
        to: /ctx/
",
        )
        .file(".dockerignore", "by-context.txt\n")
        .file("Stagefile.dockerignore", "by-stagefile.txt\n")
        .file("by-context.txt", "kept\n")
        .file("by-stagefile.txt", "dropped\n")
        .run()
        .success();
    let mut listed = lines(&built.image.run_ok(&["ls", "/ctx"]));
    listed.sort();
    assert_eq!(
        listed,
        ["Stagefile", "Stagefile.dockerignore", "by-context.txt"]
    );
}

#[test]
fn subrequests_describe_lists_the_queries_the_frontend_answers() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new().stagefile("stages:\n  app:\n    from: busybox:1.35\n");
    let flag = query_flag("subrequests.describe");
    let format = if buildx_version() >= (0, 15) {
        ",format=json"
    } else {
        ""
    };
    let answer = buildx(&build, &[], &[&format!("{flag}{format}")]);
    answer.assert_success();
    let json_start = answer.stdout.find('[').unwrap_or_else(|| {
        panic!("no JSON list in the answer:\n{}", answer.text());
    });
    let listed: serde_json::Value =
        serde_json::from_str(answer.stdout[json_start..].trim()).expect("a JSON list");
    let names: Vec<&str> = listed
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|query| query["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "frontend.outline",
            "frontend.targets",
            "frontend.lint",
            "frontend.subrequests.describe"
        ],
        "{}",
        answer.text()
    );
}

#[test]
fn link_merges_a_layer_where_the_engine_can_and_copies_where_it_cannot() {
    if !engine_enabled() {
        return;
    }
    let built = Build::new()
        .stagefile(
            "\
stages:
  app:
    from: busybox:1.35
    steps:
      - run: mkdir -p /srv && echo below > /srv/below.txt
      - copy: linked.txt
        to: /srv/
        link: true
",
        )
        .file("linked.txt", "linked\n")
        .run()
        .success();
    assert_eq!(
        built
            .image
            .run_ok(&["cat", "/srv/below.txt", "/srv/linked.txt"]),
        "below\nlinked\n"
    );
    let merged = built.output().contains(" (merge)");
    if old_engine() {
        // BuildKit v0.8 has no merge op: the copy lands on the stage like any other.
        assert!(!merged, "no merge op on this engine:\n{}", built.output());
        notice("no merge op on this engine: `link` was lowered as a plain copy");
    } else {
        assert!(merged, "the linked copy is merged:\n{}", built.output());
    }
}

#[test]
fn entrypoint_without_cmd_clears_the_bases_command() {
    if !engine_enabled() {
        return;
    }
    let built = Build::new()
        .stagefile(
            "\
stages:
  app:
    from: busybox:1.35
    entrypoint: [/bin/echo, from the entrypoint]
",
        )
        .run()
        .success();
    // busybox's own config has `Cmd: [sh]`.
    assert_eq!(built.image.inspect("{{json .Config.Cmd}}"), "null");
    assert_eq!(
        built.image.inspect("{{json .Config.Entrypoint}}"),
        r#"["/bin/echo","from the entrypoint"]"#
    );
    assert_eq!(built.image.run_ok(&[]), "from the entrypoint\n");
}

#[test]
fn stage_and_step_args_reach_only_the_run_steps_they_name() {
    if !engine_enabled() {
        return;
    }
    // Neither step mentions an arg, so only the `args` lists make them received.
    let built = Build::new()
        .stagefile(
            "\
args:
  FOR_STAGE: stage-wide
  FOR_STEP: one-step
  UNUSED: never
stages:
  app:
    from: busybox:1.35
    args: [FOR_STAGE]
    steps:
      - run: env | grep -E '^(FOR_|UNUSED)' | sort > /first
      - run: env | grep -E '^(FOR_|UNUSED)' | sort > /second
        args: [FOR_STEP]
",
        )
        .run()
        .success();
    assert_eq!(
        built.image.run_ok(&["cat", "/first"]),
        "FOR_STAGE=stage-wide\n"
    );
    assert_eq!(
        built.image.run_ok(&["cat", "/second"]),
        "FOR_STAGE=stage-wide\nFOR_STEP=one-step\n"
    );
    // Received for the step only: not in the image's environment.
    assert!(!built.image.inspect("{{json .Config.Env}}").contains("FOR_"));
}
