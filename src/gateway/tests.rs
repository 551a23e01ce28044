//! The build sequence without an engine: a fake answers the calls, and each test looks at
//! what the frontend sent and returned.

mod fake;
mod tested;

use super::errors::errdefs;
use super::options::Env;
use super::timing::Clock;
use crate::platform::Platform;
use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend as fe;
use bollard_buildkit_proto::pb;
use fake::Fake;
use prost::Message;
use std::collections::BTreeSet;
use std::time::Instant;

/// Serves one build with these options on the fake; returns what was returned and the
/// build's clock.
fn serve_with(fake: &Fake, opts: &[(&str, &str)]) -> (fe::ReturnRequest, Clock) {
    let mut env = Env {
        session_id: "session".to_owned(),
        worker_platform: Some(Platform::linux_amd64()),
        ..Default::default()
    };
    env.opts
        .insert("filename".to_owned(), "Stagefile".to_owned());
    for (k, v) in opts {
        env.opts.insert((*k).to_owned(), (*v).to_owned());
    }
    let clock = Clock::new(Instant::now());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let code = runtime.block_on(super::serve(fake.clone(), env, clock.clone()));
    assert_eq!(code, 0, "Return was not delivered");
    let mut returned = std::mem::take(&mut fake.state().returned);
    assert_eq!(returned.len(), 1, "Return is called exactly once");
    (returned.remove(0), clock)
}

fn build(fake: &Fake, opts: &[(&str, &str)]) -> fe::Result {
    match serve_with(fake, opts).0 {
        fe::ReturnRequest {
            result: Some(r),
            error: None,
        } => r,
        other => panic!("the build failed: {:?}", other.error),
    }
}

fn failure(fake: &Fake, opts: &[(&str, &str)]) -> Status {
    match serve_with(fake, opts).0 {
        fe::ReturnRequest {
            result: None,
            error: Some(e),
        } => e,
        other => panic!("the build did not fail: {:?}", other.result),
    }
}

/// The lines the error's source details frame.
fn framed_lines(status: &Status) -> Vec<i32> {
    status
        .details
        .iter()
        .map(|d| {
            assert_eq!(d.type_url, "errdefs.Source");
            let source = errdefs::Source::decode(d.value.as_slice()).unwrap();
            assert_eq!(source.info.as_ref().unwrap().filename, "Stagefile");
            source.ranges[0].start.unwrap().line
        })
        .collect()
}

fn ops(def: &pb::Definition) -> Vec<pb::Op> {
    def.def
        .iter()
        .map(|b| pb::Op::decode(b.as_slice()).unwrap())
        .collect()
}

const TWO_STAGES: &str = "\
stages:
  assets:
    from: busybox:1.36
    steps:
      - run: mkdir -p /srv && echo hi > /srv/index.html
  web:
    from: busybox:1.36
    user: www
    steps:
      - copy: /srv
        from: assets
        to: /var/www/
        link: true
";

#[test]
fn several_platforms_give_a_ref_and_a_config_each() {
    let fake = Fake::new(TWO_STAGES);
    let result = build(&fake, &[("platform", "linux/amd64,linux/arm64")]);

    // Each base image is resolved once per platform.
    let resolved: BTreeSet<(String, String)> = fake
        .state()
        .resolves
        .iter()
        .map(|r| (r.r#ref.clone(), r.platform.clone().unwrap().architecture))
        .collect();
    let expected: BTreeSet<(String, String)> = [
        (
            "docker.io/library/busybox:1.36".to_owned(),
            "amd64".to_owned(),
        ),
        (
            "docker.io/library/busybox:1.36".to_owned(),
            "arm64".to_owned(),
        ),
    ]
    .into();
    assert_eq!(resolved, expected);

    // One graph per platform, each for its own platform, each with its own ref.
    let solved = fake.state().solved.clone();
    assert_eq!(solved.len(), 2);
    for ((def, _), arch) in solved.iter().zip(["amd64", "arm64"]) {
        let platforms: BTreeSet<String> = ops(def)
            .iter()
            .filter_map(|op| op.platform.as_ref())
            .map(|p| p.architecture.clone())
            .collect();
        assert_eq!(platforms, [arch.to_owned()].into());
    }
    let Some(fe::result::Result::Refs(map)) = &result.result else {
        panic!("not a ref per platform: {:?}", result.result)
    };
    assert_eq!(map.refs["linux/amd64"].id, solved[0].1);
    assert_eq!(map.refs["linux/arm64"].id, solved[1].1);
    for (id, arch) in [("linux/amd64", "amd64"), ("linux/arm64", "arm64")] {
        let config: serde_json::Value =
            serde_json::from_slice(&result.metadata[&format!("containerimage.config/{id}")])
                .unwrap();
        assert_eq!(config["architecture"], arch);
        assert_eq!(config["config"]["User"], "www");
    }
    let listed: serde_json::Value =
        serde_json::from_slice(&result.metadata["refs.platforms"]).unwrap();
    assert_eq!(listed["Platforms"][1]["ID"], "linux/arm64");
    assert_eq!(listed["Platforms"][1]["Platform"]["architecture"], "arm64");
}

#[test]
fn one_platform_gives_one_ref_and_config() {
    let fake = Fake::new(TWO_STAGES);
    let result = build(&fake, &[]);
    let solved = fake.state().solved.clone();
    assert_eq!(solved.len(), 1);
    assert!(matches!(&result.result, Some(fe::result::Result::Ref(r)) if r.id == solved[0].1));
    assert!(result.metadata.contains_key("containerimage.config"));
    assert!(!result.metadata.contains_key("refs.platforms"));
}

fn uses_merge(def: &pb::Definition) -> bool {
    ops(def)
        .iter()
        .any(|op| matches!(op.op, Some(pb::op::Op::Merge(_))))
}

#[test]
fn an_engine_without_merge_gets_a_plain_copy_for_link() {
    let with = Fake::new(TWO_STAGES);
    build(&with, &[]);
    assert!(uses_merge(&with.state().solved[0].0));

    let without = Fake::new(TWO_STAGES).without_llb_cap("mergeop");
    build(&without, &[]);
    let def = without.state().solved[0].0.clone();
    assert!(!uses_merge(&def));
    let caps: BTreeSet<&String> = def.metadata.values().flat_map(|m| m.caps.keys()).collect();
    assert!(!caps.contains(&"mergeop".to_owned()), "{caps:?}");
}

#[test]
fn a_feature_the_engine_lacks_is_refused_at_its_line() {
    let file = "\
stages:
  app:
    from: busybox:1.36
    user: app
    steps:
      - run: df -k /scratch
        tmpfs:
          - { target: /scratch, size: 64m }
";
    let fake = Fake::new(file).without_llb_cap("exec.mount.tmpfs.size");
    let error = failure(&fake, &[]);
    assert_eq!(
        error.message,
        "Stagefile:6: this build uses a `tmpfs` with `size`, which needs BuildKit v0.10 or newer; \
         the engine's BuildKit does not have `exec.mount.tmpfs.size`: upgrade the engine"
    );
    assert_eq!(framed_lines(&error), [6]);
    assert!(fake.state().solved.is_empty(), "nothing is solved");
}

#[test]
fn a_base_image_that_cannot_be_resolved_is_framed_at_its_from_line() {
    let file = "\
stages:
  build:
    from: busybox:1.36
    user: app
  app:
    from: registry.example/none:1
    user: app
    steps:
      - copy: /bin/sh
        from: build
";
    let fake = Fake::new(file).refusing(
        "registry.example/none:1",
        tonic::Status::not_found("registry.example/none:1: not found"),
    );
    let error = failure(&fake, &[]);
    assert_eq!(
        error.message,
        "cannot load base image registry.example/none:1: registry.example/none:1: not found"
    );
    assert_eq!(error.code, tonic::Code::NotFound as i32);
    assert_eq!(framed_lines(&error), [6]);
    assert!(fake.state().solved.is_empty(), "nothing is solved");
}

#[test]
fn warnings_are_attached_to_the_vertex_that_loaded_the_stagefile() {
    let file = "\
stages:
  app:
    from: busybox
    steps:
      - run: echo hi
";
    let fake = Fake::new(file);
    build(&fake, &[]);
    let s = fake.state();
    let stagefile_vertex = s
        .locals
        .values()
        .find(|(local, _)| local == "dockerfile")
        .map(|(_, digest)| digest.clone())
        .unwrap();
    let shown: Vec<(String, i32)> = s
        .warns
        .iter()
        .map(|w| {
            assert_eq!(w.digest, stagefile_vertex);
            assert_eq!(w.info.as_ref().unwrap().data, file.as_bytes());
            (
                String::from_utf8(w.short.clone()).unwrap(),
                w.ranges[0].start.unwrap().line,
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (
                "Stagefile:2:3: RootUser: the final image (stage `app`) runs as root \
                 (add `user: \"65532:65532\"` (or another non-root uid) to the final stage)".to_owned(),
                2
            ),
            (
                "Stagefile:3:11: UnpinnedBaseImage: `busybox` has no tag, so it means `latest` \
                 (pin a version tag (e.g. debian:bookworm) or a digest, so rebuilds get the same base)".to_owned(),
                3
            ),
        ]
    );

    // Source locations are keyed by the digest of each op's bytes as sent: the digest
    // BuildKit names the vertex by.
    let (def, _) = &s.solved[0];
    let digests: BTreeSet<String> = def.def.iter().map(|b| crate::llb::digest_of(b)).collect();
    let located = &def.source.as_ref().unwrap().locations;
    assert!(!located.is_empty());
    for digest in located.keys() {
        assert!(digests.contains(digest), "{digest} is no op of the graph");
    }
    let run = def
        .def
        .iter()
        .find(|b| {
            matches!(
                pb::Op::decode(b.as_slice()).unwrap().op,
                Some(pb::op::Op::Exec(_))
            )
        })
        .unwrap();
    let line = located[&crate::llb::digest_of(run)].locations[0].ranges[0]
        .start
        .unwrap()
        .line;
    assert_eq!(line, 5, "the run step is located at its line");
}

#[test]
fn an_engine_without_warnings_gets_none() {
    let fake = Fake::new("stages:\n  app:\n    from: busybox\n").without_warnings();
    build(&fake, &[]);
    assert!(fake.state().warns.is_empty());
}

#[test]
fn diagnostics_are_returned_as_located_errors() {
    let fake = Fake::new("stages:\n  app:\n    form: busybox:1.36\n");
    let error = failure(&fake, &[]);
    assert_eq!(
        error.message,
        "Stagefile:3:5: unknown key `form` (did you mean `from`?)"
    );
    assert_eq!(error.code, 2);
    assert_eq!(framed_lines(&error), [3]);

    let fake = Fake::new(
        "stages:\n  app:\n    from: busybox:1.36\n    user: app\n    steps:\n      - copy: x\n        from: nope\n",
    );
    let error = failure(&fake, &[("target", "ap")]);
    assert_eq!(
        error.message,
        "2 problems in Stagefile:\n\
         Stagefile:7:15: no stage is named `nope` (stages are: app; for an image, add a tag: `nope:<tag>`)\n\
         Stagefile:2:3: target stage `ap` is not defined (did you mean `app`?)"
    );
    assert_eq!(framed_lines(&error), [7, 2]);
}

#[test]
fn a_missing_stagefile_is_named() {
    let fake = Fake::new("stages: {}\n");
    fake.state().files.clear();
    let error = failure(&fake, &[]);
    assert_eq!(
        error.message,
        "cannot read Stagefile from the build definition: Stagefile: Stagefile: not found"
    );
}

#[test]
fn each_round_trip_is_timed() {
    let fake = Fake::new(TWO_STAGES);
    let (_, clock) = serve_with(&fake, &[("platform", "linux/amd64,linux/arm64")]);
    let line = clock.summary("result");
    let count = |key: &str| {
        let value = line
            .split(' ')
            .find_map(|kv| kv.strip_prefix(&format!("{key}_ms=")))
            .unwrap();
        if value == "-" {
            0
        } else {
            value.split(',').count()
        }
    };
    assert_eq!(count("ping"), 1, "{line}");
    // One transfer of the Stagefile and the ignore file beside it, one of the context's
    // `.dockerignore`; a read of each of the three files.
    assert_eq!(count("transfer"), 2, "{line}");
    assert_eq!(count("read"), 3, "{line}");
    assert_eq!(count("resolve"), 2, "{line}");
    assert_eq!(count("inputs"), 0, "{line}");
    assert_eq!(count("solve"), 2, "{line}");
    assert_eq!(count("return"), 1, "{line}");
    assert!(line.starts_with("frontend time: total_ms="), "{line}");
}

#[test]
fn codes_lead_the_messages_of_a_failed_build() {
    // A lint finding made an error by the file's settings: the rule's name.
    let fake = Fake::new("# check=error=true\nstages:\n  app:\n    from: busybox:1.36\n");
    let error = failure(&fake, &[]);
    assert_eq!(
        error.message,
        "Stagefile:3:3: RootUser: the final image (stage `app`) runs as root \
         (add `user: \"65532:65532\"` (or another non-root uid) to the final stage; \
         the file's lint settings make findings errors (`check: {error: true}`); fix it, or skip the rule)"
    );
    assert_eq!(framed_lines(&error), [3]);

    // A limit: which one was hit.
    let fake = Fake::new(
        "stages:\n  app:\n    from: scratch\n    user: app\n    expose: [1-65535/tcp, 1-65535/udp, 1-65535/sctp, 1-65535]\n",
    );
    let error = failure(&fake, &[]);
    assert_eq!(
        error.message,
        "Stagefile:5:54: TooManyPorts: the stage exposes too many ports \
         (a stage can expose each port of each protocol once; merge the ranges)"
    );
    assert_eq!(framed_lines(&error), [5]);
    assert!(fake.state().solved.is_empty(), "nothing is solved");
}
