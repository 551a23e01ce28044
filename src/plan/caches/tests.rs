use crate::compile::compile;
use crate::diag::Diagnostic;
use crate::llb;
use crate::plan::{BuildOptions, RunMount, Source, StepKind, cache_key};
use serde_json::Value;

fn opts(target: Option<&str>, contexts: &[(&str, Source)]) -> BuildOptions {
    BuildOptions {
        target: target.map(str::to_owned),
        named_contexts: contexts
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        ..Default::default()
    }
}

fn ops(src: &str, opts: &BuildOptions) -> Vec<Value> {
    let out = compile(src.as_bytes(), opts, &Default::default()).expect("compiles");
    llb::dump(&out.definition).as_array().unwrap().clone()
}

fn errors(src: &str, opts: &BuildOptions) -> Vec<Diagnostic> {
    match compile(src.as_bytes(), opts, &Default::default()) {
        Ok(_) => panic!("compiled"),
        Err(e) => e,
    }
}

fn bytes(src: &str, opts: &BuildOptions) -> Vec<Vec<u8>> {
    compile(src.as_bytes(), opts, &Default::default())
        .expect("compiles")
        .definition
        .def
}

fn named<'a>(ops: &'a [Value], prefix: &str) -> Vec<&'a Value> {
    ops.iter()
        .filter(|o| o["name"].as_str().is_some_and(|n| n.starts_with(prefix)))
        .collect()
}

const SEEDED: &str = "
stages:
  app:
    from: busybox:1.35
    steps:
      - run: go build
        cache: {target: /root/.cache/go-build, seed: gocache}
";

#[test]
fn keys_are_ids_without_outer_slashes_and_with_dashes_inside() {
    assert_eq!(cache_key("/root/.cache/go-build"), "root-.cache-go-build");
    assert_eq!(cache_key("/go/pkg/mod"), "go-pkg-mod");
    assert_eq!(cache_key("gomod"), "gomod");
}

#[test]
fn a_seed_that_names_nothing_lowers_as_a_cache_without_one() {
    let plain = SEEDED.replace(", seed: gocache", "");
    assert_eq!(
        bytes(SEEDED, &opts(None, &[])),
        bytes(&plain, &opts(None, &[]))
    );
}

#[test]
fn a_named_context_seeds_the_cache_from_its_directory_made_when_missing() {
    let ctx = [("gocache", Source::Local("gocache".into()))];
    let ops = ops(SEEDED, &opts(None, &ctx));
    let seed = named(
        &ops,
        "[internal] seed cache /root/.cache/go-build from gocache",
    );
    assert_eq!(seed.len(), 1);
    assert_eq!(seed[0]["file"][0]["mkdir"]["path"], "/root-.cache-go-build");
    assert_eq!(seed[0]["file"][0]["mkdir"]["parents"], true);
    let run = named(&ops, "[app 2/2] RUN go build")[0];
    let mount = &run["exec"]["mounts"][1];
    assert_eq!(mount["selector"], "/root-.cache-go-build");
    assert_eq!(mount["cache"]["id"], "/root/.cache/go-build");
    assert!(
        ops.iter()
            .any(|o| o["source"].as_str() == Some("local://gocache"))
    );
}

#[test]
fn a_seed_names_a_stage_or_an_image_and_source_picks_its_directory() {
    let src = "
stages:
  warm:
    from: busybox:1.35
  app:
    from: busybox:1.35
    steps:
      - run: make
        cache: {target: /c, seed: warm}
      - run: make
        cache: {target: /d, seed: 'docker-image://busybox:1.35', source: /}
";
    let (_, plan) = crate::compile::plan(src.as_bytes(), &opts(None, &[])).unwrap();
    assert_eq!(plan.stages.len(), 2, "the seed stage is reachable");
    let seeds: Vec<_> = plan.stages[1]
        .steps
        .iter()
        .filter_map(|s| match &s.kind {
            StepKind::Run(r) => match &r.mounts[0] {
                RunMount::Cache(c) => c.seed.as_ref().map(|s| (s.from.clone(), s.dir.clone())),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(
        seeds,
        [
            (Some(Source::Stage(0)), "/c".to_owned()),
            (
                Some(Source::Image("docker.io/library/busybox:1.35".into())),
                "/".to_owned()
            )
        ]
    );
    // A whole folder as the seed (`source: /`) is mounted as it is, without a mkdir.
    let ops = ops(src, &opts(None, &[]));
    assert_eq!(named(&ops, "[internal] seed cache").len(), 1);
}

#[test]
fn seed_and_from_together_are_refused_at_seed() {
    let src = "
stages:
  app:
    from: busybox:1.35
    steps:
      - run: make
        cache:
          target: /c
          from: busybox:1.35
          seed: warm
";
    let errs = errors(src, &opts(None, &[]));
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].span.line, 10);
    assert!(errs[0].message.contains("`seed` or `from`, not both"));
}

#[test]
fn mounts_of_one_cache_with_different_seeds_are_refused_naming_both_lines() {
    let src = "
stages:
  a:
    from: busybox:1.35
    steps:
      - run: make
        cache: {target: /c, seed: warm}
  b:
    from: a
    steps:
      - run: make
        cache: /c
      - run: make
        cache: {target: /x, id: /c, seed: cold}
";
    // Whether the seed names something or not: the next CI run would give it.
    for given in [&[][..], &[("warm", Source::Scratch)][..]] {
        let errs = errors(src, &opts(None, given));
        let found: Vec<(u32, &str)> = errs
            .iter()
            .map(|e| (e.span.line, e.message.as_str()))
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, 12);
        assert!(
            found[0]
                .1
                .contains("is not seeded here but seeded from `warm`")
        );
        assert!(found[0].1.ends_with("at line 7"), "{}", found[0].1);
        assert_eq!(found[1].0, 14);
        assert!(found[1].1.contains("from `cold`"));
    }
    // The same seed everywhere is one cache.
    let same = src.replace("cache: /c", "cache: {target: /c, seed: warm}");
    let same = same.replace("seed: cold", "seed: warm");
    assert!(compile(same.as_bytes(), &opts(None, &[]), &Default::default()).is_ok());
}

const EXPORTED: &str = "
stages:
  deps:
    from: busybox:1.35
    steps:
      - run: fetch
        cache: [/go/pkg/mod, {target: /tmp/x, id: xid, sharing: locked}]
  app:
    from: deps
    steps:
      - run: build
        cache: /go/pkg/mod
";

#[test]
fn the_caches_target_copies_each_cache_after_the_stage_into_one_chained_output() {
    let ops = ops(EXPORTED, &opts(Some("app.caches"), &[]));
    let exports = named(&ops, "[app.caches] export cache ");
    let names: Vec<&str> = exports
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    // In key order: `go-pkg-mod`, then `xid`.
    assert_eq!(
        names,
        [
            "[app.caches] export cache /go/pkg/mod",
            "[app.caches] export cache xid"
        ]
    );
    for (op, (dest, key)) in exports
        .iter()
        .zip([("/go/pkg/mod", "go-pkg-mod"), ("/tmp/x", "xid")])
    {
        assert_eq!(op["ignore_cache"], true);
        let args: Vec<&str> = op["exec"]["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(
            args,
            ["cp", "-a", dest, &format!("/.stagefile-caches/{key}")]
        );
        let mounts = op["exec"]["mounts"].as_array().unwrap();
        let by_dest = |d: &str| mounts.iter().find(|m| m["dest"] == d).unwrap();
        assert_eq!(by_dest("/.stagefile-caches")["output"], 1);
        assert_eq!(by_dest("/.stagefile-target")["readonly"], true);
        assert_eq!(by_dest(dest)["type"], "cache");
    }
    let sharing = &exports[1]["exec"]["mounts"].as_array().unwrap()[3]["cache"]["sharing"];
    assert_eq!(sharing, "locked");
    // The second export writes on the first one's output; the result is the last output.
    let out = exports[1]["exec"]["mounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["dest"] == "/.stagefile-caches")
        .unwrap();
    let input = out["input"].as_u64().unwrap() as usize;
    assert_eq!(exports[1]["inputs"][input][1], 1);
    assert_eq!(ops.last().unwrap()["inputs"][0][1], 1);
}

#[test]
fn a_stage_named_like_the_generated_target_wins_and_unknown_ones_are_refused() {
    let src = format!("{EXPORTED}  app.caches:\n    from: scratch\n");
    let (_, plan) = crate::compile::plan(src.as_bytes(), &opts(Some("app.caches"), &[])).unwrap();
    assert!(!plan.export_caches);
    assert_eq!(plan.stages[plan.target].name, "app.caches");
    let (_, plan) =
        crate::compile::plan(EXPORTED.as_bytes(), &opts(Some("deps.caches"), &[])).unwrap();
    assert!(plan.export_caches);
    assert_eq!(plan.stages[plan.target].name, "deps");
    let errs = errors(EXPORTED, &opts(Some("nope.caches"), &[]));
    assert!(
        errs[0]
            .message
            .contains("target stage `nope.caches` is not defined")
    );
}

#[test]
fn a_stage_without_caches_exports_an_empty_result() {
    let src = "stages:\n  a:\n    from: busybox:1.35\n    steps:\n      - run: make\n";
    let out = compile(
        src.as_bytes(),
        &opts(Some("a.caches"), &[]),
        &Default::default(),
    )
    .unwrap();
    assert!(out.definition.def.is_empty());
}

#[test]
fn caches_exported_under_one_directory_are_refused() {
    let src = "
stages:
  a:
    from: busybox:1.35
    steps:
      - run: make
        cache: [{target: /x, id: a/b}, {target: /y, id: a-b}]
";
    let errs = errors(src, &opts(Some("a.caches"), &[]));
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].message.contains("would both be exported as `/a-b`"));
    // Only the generated target cares.
    assert!(compile(src.as_bytes(), &opts(None, &[]), &Default::default()).is_ok());
}

#[test]
fn the_caches_target_is_not_an_image_run_as_root() {
    let src =
        "stages:\n  a:\n    from: busybox:1.35\n    steps:\n      - run: make\n        cache: /c\n";
    let root_user = |target: &str| {
        let (file, plan) = crate::compile::plan(src.as_bytes(), &opts(Some(target), &[])).unwrap();
        crate::compile::warnings(&file, &plan, src.as_bytes())
            .iter()
            .any(|d| d.rule() == Some("RootUser"))
    };
    assert!(root_user("a"));
    assert!(!root_user("a.caches"));
}
