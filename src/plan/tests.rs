use super::*;
use crate::spec::parse;

fn plan_of(src: &str, opts: &BuildOptions) -> Result<Plan, Vec<Diagnostic>> {
    let file = parse(src.as_bytes())?;
    plan(&file, opts)
}

fn ok(src: &str) -> Plan {
    plan_of(src, &BuildOptions::default()).expect("plans")
}

fn errs(src: &str) -> Vec<Diagnostic> {
    plan_of(src, &BuildOptions::default()).expect_err("fails")
}

fn names(p: &Plan) -> Vec<&str> {
    p.stages.iter().map(|s| s.name.as_str()).collect()
}

const THREE: &str = "
stages:
  deps:
    from: busybox:1.35
  build:
    from: deps
    steps:
      - run: make
  broken:
    from: busybox:1.35
    steps:
      - run: exit 1
  app:
    from: scratch
    steps:
      - copy: /out
        from: build
";

#[test]
fn only_stages_reachable_from_the_target_are_planned() {
    let p = ok(THREE);
    assert_eq!(names(&p), ["deps", "build", "app"]);
    assert_eq!(p.target, 2);
    assert!(matches!(p.stages[1].base, Source::Stage(0)));
}

#[test]
fn target_option_overrides_the_default() {
    let opts = BuildOptions {
        target: Some("build".into()),
        ..Default::default()
    };
    let p = plan_of(THREE, &opts).unwrap();
    assert_eq!(names(&p), ["deps", "build"]);
    let opts = BuildOptions {
        target: Some("biuld".into()),
        ..Default::default()
    };
    let d = plan_of(THREE, &opts).unwrap_err();
    assert_eq!(d[0].message, "target stage `biuld` is not defined");
    assert_eq!(d[0].help.as_deref(), Some("did you mean `build`?"));
}

#[test]
fn file_target_is_the_default_target() {
    let p = ok(&format!("{THREE}target: deps\n"));
    assert_eq!(names(&p), ["deps"]);
}

#[test]
fn a_cycle_is_an_error_that_prints_it() {
    let d = errs("stages:\n  a:\n    from: b\n  b:\n    from: c\n  c:\n    from: a\n");
    assert_eq!(d.len(), 1);
    assert!(d[0].message.contains("cycle"), "{:?}", d[0]);
    assert!(d[0].message.contains("c → a → b → c"), "{}", d[0].message);
    assert_eq!(d[0].span.line, 5);
}

#[test]
fn a_copy_cycle_is_found_too() {
    let d = errs(
        "stages:\n  a:\n    from: scratch\n    steps:\n      - copy: /x\n        from: b\n  b:\n    from: a\n",
    );
    assert!(d[0].message.contains("b → a → b"), "{}", d[0].message);
    assert_eq!(d[0].span.line, 6);
}

#[test]
fn self_reference_is_an_error() {
    let d = errs("stages:\n  a:\n    from: a\n");
    assert!(d[0].message.contains("cannot be built from itself"));
    assert_eq!((d[0].span.line, d[0].span.column), (3, 11));
}

#[test]
fn an_unknown_stage_looks_like_a_bad_image_and_gets_a_suggestion() {
    let d = errs(
        "stages:\n  build:\n    from: scratch\n  app:\n    from: scratch\n    steps:\n      - copy: /x\n        from: Build\n",
    );
    assert_eq!(d[0].span.line, 8);
    assert_eq!(d[0].message, "no stage is named `Build`");
    assert!(
        d[0].help
            .as_deref()
            .unwrap()
            .contains("did you mean stage `build`"),
        "{:?}",
        d[0]
    );
    let d = errs("stages:\n  build:\n    from: scratch\n  app:\n    from: biuld\n");
    assert_eq!(d[0].message, "no stage is named `biuld`");
    // A bare image name far from every stage name stays an image.
    assert_eq!(
        ok("stages:\n  build:\n    from: busybox\n").images[0].0,
        "docker.io/library/busybox:latest"
    );
}

#[test]
fn args_expand_in_from_and_build_args_override() {
    let src = "args:\n  V: '1.0'\nstages:\n  a:\n    from: busybox:${V}\n";
    assert_eq!(ok(src).images[0].0, "docker.io/library/busybox:1.0");
    let mut opts = BuildOptions::default();
    opts.build_args.insert("V".into(), "2.0".into());
    assert_eq!(
        plan_of(src, &opts).unwrap().images[0].0,
        "docker.io/library/busybox:2.0"
    );
}

#[test]
fn undefined_variable_lists_defined_ones() {
    let d = errs("args:\n  VERSION: '1'\nstages:\n  a:\n    from: busybox:${VERSOIN}\n");
    assert_eq!(d[0].message, "variable `VERSOIN` is not defined");
    assert_eq!(d[0].span.line, 5);
    assert!(
        d[0].help
            .as_deref()
            .unwrap()
            .contains("did you mean `VERSION`")
    );
}

#[test]
fn run_gets_only_the_args_it_uses() {
    let src = "args:\n  A: one\n  B: two\nstages:\n  s:\n    from: scratch\n    steps:\n      - run: echo $A ${TARGETARCH}\n";
    let p = ok(src);
    let StepKind::Run(r) = &p.stages[0].steps[0].kind else {
        panic!()
    };
    assert_eq!(
        r.env,
        vec![
            ("A".to_owned(), EnvValue::Fixed("one".to_owned())),
            ("TARGETARCH".to_owned(), EnvValue::Fixed("amd64".to_owned()))
        ]
    );
}

#[test]
fn options_of_another_step_kind_are_refused() {
    let d =
        errs("stages:\n  s:\n    from: scratch\n    steps:\n      - copy: x\n        cache: /c\n");
    assert_eq!(d[0].message, "`cache` is not an option of a `copy` step");
    assert_eq!(d[0].span.line, 6);
}

#[test]
fn a_step_needs_exactly_one_kind() {
    let d = errs("stages:\n  s:\n    from: scratch\n    steps:\n      - run: a\n        copy: b\n");
    assert!(d[0].message.contains("exactly one"), "{:?}", d[0]);
    let d = errs("stages:\n  s:\n    from: scratch\n    steps:\n      - to: /x\n");
    assert!(d[0].message.contains("needs one of"), "{:?}", d[0]);
}

#[test]
fn paths_may_not_leave_the_context() {
    let d = errs("stages:\n  s:\n    from: scratch\n    steps:\n      - copy: ../secret\n");
    assert!(d[0].message.contains("leads outside"), "{:?}", d[0]);
    assert_eq!(d[0].span.line, 5);
}

#[test]
fn context_paths_follow_what_is_copied() {
    let p = ok("stages:\n  s:\n    from: scratch\n    steps:\n      - copy: [go.mod, ./src/]\n");
    assert_eq!(
        p.context_paths,
        Some(vec!["go.mod".to_owned(), "src".to_owned()])
    );
    let p = ok("stages:\n  s:\n    from: scratch\n    steps:\n      - copy: .\n");
    assert_eq!(p.context_paths, None);
}

#[test]
fn cache_mount_forms() {
    let p = ok(
        "stages:\n  s:\n    from: scratch\n    steps:\n      - run: x\n        cache:\n          - /a\n          - { target: /b, id: bee, sharing: locked }\n",
    );
    let StepKind::Run(r) = &p.stages[0].steps[0].kind else {
        panic!()
    };
    assert!(
        matches!(&r.mounts[0], RunMount::Cache(CacheMount { target, id, sharing: Sharing::Shared, .. }) if target == "/a" && id == "/a")
    );
    assert!(
        matches!(&r.mounts[1], RunMount::Cache(CacheMount { target, id, sharing: Sharing::Locked, .. }) if target == "/b" && id == "bee")
    );
    let d = errs(
        "stages:\n  s:\n    from: scratch\n    steps:\n      - run: x\n        cache: { target: /b, sharing: sometimes }\n",
    );
    assert!(d[0].message.contains("sharing mode"));
}

#[test]
fn a_long_chain_does_not_overflow() {
    let mut src = String::from("stages:\n  s0:\n    from: scratch\n");
    for i in 1..5000 {
        src.push_str(&format!("  s{i}:\n    from: s{}\n", i - 1));
    }
    assert_eq!(ok(&src).stages.len(), 5000);
}

#[test]
fn bad_expose_and_platform_are_located() {
    let d = errs("stages:\n  s:\n    from: scratch\n    platform: linux/\n    expose: [http]\n");
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].span.line, 4);
    assert_eq!(d[1].span.line, 5);
}

#[test]
fn named_contexts_win_over_stages_and_images() {
    let src = "stages:\n  base:\n    from: busybox:1.35\n  app:\n    from: base\n    steps:\n      - copy: /x\n        from: assets\n      - copy: /y\n        from: alpine:3.20\n";
    let mut opts = BuildOptions::default();
    opts.named_contexts.insert(
        "base".into(),
        named_context("docker-image://debian:bookworm").unwrap(),
    );
    opts.named_contexts
        .insert("assets".into(), named_context("local:assets").unwrap());
    opts.named_contexts.insert(
        "docker.io/library/alpine:3.20".into(),
        named_context("input:alp").unwrap(),
    );
    let p = plan_of(src, &opts).unwrap();
    assert_eq!(names(&p), ["app"], "the replaced stage is no longer needed");
    assert_eq!(
        p.stages[0].base,
        Source::Image("docker.io/library/debian:bookworm".into())
    );
    let froms: Vec<&Source> = p.stages[0].sources().collect();
    assert_eq!(froms[1], &Source::Local("assets".into()));
    assert_eq!(froms[2], &Source::Input("alp".into()));
    assert!(named_context("git://x").is_err());
}

#[test]
fn env_without_value_is_empty_and_version_must_be_one() {
    let p = ok("version: 1\nstages:\n  s:\n    from: scratch\n    env:\n      A:\n");
    assert_eq!(
        p.stages[0].env,
        vec![("A".to_owned(), EnvValue::Fixed(String::new()))]
    );
    let d = errs("version: 2\nstages:\n  s:\n    from: scratch\n");
    assert_eq!(d[0].message, "version `2` is not supported");
}

#[test]
fn ssh_forms() {
    let ssh = |v: &str| {
        let p = ok(&format!(
            "stages:\n  s:\n    from: scratch\n    steps:\n      - run: x\n        ssh: {v}\n"
        ));
        let StepKind::Run(r) = &p.stages[0].steps[0].kind else {
            panic!()
        };
        r.mounts.iter().find_map(|m| match m {
            RunMount::Ssh(SshMount { id, target, .. }) => Some((id.clone(), target.clone())),
            _ => None,
        })
    };
    assert_eq!(ssh("true"), Some(("default".into(), None)));
    assert_eq!(ssh("false"), None);
    assert_eq!(ssh("github"), Some(("github".into(), None)));
    assert_eq!(
        ssh("{ target: /agent }"),
        Some(("default".into(), Some("/agent".into())))
    );
}

fn owners(src: &str) -> Vec<Option<Owner>> {
    ok(src).stages[0]
        .steps
        .iter()
        .map(|s| match &s.kind {
            StepKind::Copy(c) => c.chown.clone(),
            StepKind::Add(a) => a.chown.clone(),
            StepKind::File(f) => f.chown.clone(),
            StepKind::Run(_) => None,
        })
        .collect()
}

#[test]
fn chown_takes_numbers_names_and_a_mix() {
    let num = |n| Id::Number(n);
    let name = |s: &str| Id::Name(s.to_owned());
    let got = owners(
        r#"
args:
  OWNER: app
stages:
  a:
    from: busybox:1.35
    steps:
      - { copy: x, chown: "1000:2000" }
      - { copy: x, chown: "1000" }
      - { copy: x, chown: root }
      - { copy: x, chown: "app:crew" }
      - { copy: x, chown: "www-data:50" }
      - { file: /f, content: y, chown: "${OWNER}" }
"#,
    );
    let owner = |user, group| Some(Owner { user, group });
    assert_eq!(
        got,
        [
            owner(num(1000), Some(num(2000))),
            // A lone number is both ids; a lone name leaves the group to the user's entry.
            owner(num(1000), Some(num(1000))),
            // `root` is id 0 without a lookup.
            owner(num(0), Some(num(0))),
            owner(name("app"), Some(name("crew"))),
            owner(name("www-data"), Some(num(50))),
            owner(name("app"), None),
        ]
    );
}

#[test]
fn chown_refuses_what_is_not_a_name_and_names_on_a_linked_copy() {
    for bad in ["app user", "app:", ":app", "-app", "a:b:c", "app/x"] {
        let e = errs(&format!(
            "stages:\n  a:\n    from: busybox:1.35\n    steps:\n      - copy: x\n        chown: \"{bad}\"\n"
        ));
        assert_eq!(e.len(), 1, "{bad}: {e:?}");
        assert_eq!(
            e[0].message,
            format!("`chown: {bad}` is not a user or user:group")
        );
        assert_eq!((e[0].span.line, e[0].span.column), (6, 16), "{bad}");
    }
    let e = errs(
        "stages:\n  a:\n    from: busybox:1.35\n    steps:\n      - copy: x\n        chown: app\n        link: true\n",
    );
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].message
            .contains("which a `link: true` copy cannot look up"),
        "{}",
        e[0].message
    );
    assert_eq!(e[0].span.line, 6);
    // Numbers need no lookup, so a linked copy takes them.
    let numeric = "stages:\n  a:\n    from: busybox:1.35\n    steps:\n      - copy: x\n        chown: \"10:20\"\n        link: true\n";
    assert_eq!(owners(numeric).len(), 1);
}

#[test]
fn arg_defaults_use_other_args_in_any_order() {
    let src = "args:\n  IMAGE: ${REPO}:${TAG}\n  REPO: docker.io/library/busybox\n  TAG: \"1.35\"\nstages:\n  s:\n    from: ${IMAGE}\n";
    let p = ok(src);
    assert_eq!(
        p.stages[0].base,
        Source::Image("docker.io/library/busybox:1.35".into())
    );
    // A --build-arg replaces a default, and the args built on it use it.
    let opts = BuildOptions {
        build_args: [("TAG".to_owned(), "1.36".to_owned())].into(),
        ..Default::default()
    };
    let p = plan_of(src, &opts).unwrap();
    assert_eq!(
        p.stages[0].base,
        Source::Image("docker.io/library/busybox:1.36".into())
    );
    // A --build-arg is taken as given, not expanded.
    let opts = BuildOptions {
        build_args: [("IMAGE".to_owned(), "busybox:${TAG}".to_owned())].into(),
        ..Default::default()
    };
    assert!(plan_of(src, &opts).is_err());
}

#[test]
fn arg_default_cycles_and_undefined_names_are_located() {
    let d = errs("args:\n  A: ${B}x\n  B: ${C:-}\n  C: $A\nstages:\n  s:\n    from: scratch\n");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].span.line, d[0].span.column), (2, 3));
    assert!(d[0].message.contains("A → B → C → A"), "{}", d[0].message);
    let d = errs("args:\n  A: ${A}\nstages:\n  s:\n    from: scratch\n");
    assert_eq!(d[0].message, "the default of arg `A` refers to itself");
    let d = errs(
        "args:\n  A: x\n  B: ${NOPE}\n  C: ${UNSET}\n  UNSET:\nstages:\n  s:\n    from: scratch\n",
    );
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(d[0].span.line, 3);
    assert_eq!(d[0].message, "variable `NOPE` is not defined");
    assert_eq!(d[1].span.line, 4);
    assert_eq!(d[1].message, "arg `UNSET` has no value");
}

#[test]
fn file_content_errors_are_placed_inside_the_block() {
    let src = "stages:\n  s:\n    from: scratch\n    steps:\n      - file: /run.sh\n        content: |\n          #!/bin/sh\n          cd $$HOME\n          exec /app \"$HOME\"\n";
    let d = errs(src);
    assert_eq!(
        (d[0].span.line, d[0].span.column, d[0].span.len),
        (9, 22, 5)
    );
    let help = d[0].help.as_deref().unwrap();
    assert!(
        help.starts_with("for the script to read it when it runs, write `$$HOME`"),
        "{help}"
    );
    assert!(help.contains("expand: false"), "{help}");
    // `expand: false` writes the content as it is.
    let p = ok(&format!("{src}        expand: false\n"));
    let StepKind::File(f) = &p.stages[0].steps[0].kind else {
        panic!()
    };
    assert_eq!(f.content, "#!/bin/sh\ncd $$HOME\nexec /app \"$HOME\"\n");
    let d = errs(
        "stages:\n  s:\n    from: scratch\n    steps:\n      - copy: x\n        expand: false\n",
    );
    assert_eq!(d[0].message, "`expand` is not an option of a `copy` step");
}

#[test]
fn proxy_build_args_need_no_declaration() {
    let opts = BuildOptions {
        build_args: [
            ("http_proxy".to_owned(), "http://p:3128".to_owned()),
            ("NO_PROXY".to_owned(), "localhost".to_owned()),
        ]
        .into(),
        ..Default::default()
    };
    let p = plan_of("stages:\n  s:\n    from: scratch\n", &opts).unwrap();
    assert_eq!(p.proxy.http.as_deref(), Some("http://p:3128"));
    assert_eq!(p.proxy.no.as_deref(), Some("localhost"));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}
