//! A stage's tests through the build sequence: solved beside the result and evaluated,
//! and a failing test's error returned as BuildKit gave it.

use super::fake::Fake;
use super::*;

const TESTED: &str = "\
stages:
  build:
    from: busybox:1.36
    steps:
      - run: echo built > /built
    tests:
      - run: echo unit-check
      - stage: lint
  lint:
    from: build
    steps:
      - run: echo lint-check
  app:
    from: scratch
    steps:
      - copy: /built
        from: build
";

#[test]
fn tests_are_solved_and_evaluated_beside_the_result() {
    let fake = Fake::new(TESTED);
    let result = build(&fake, &[]);
    let s = fake.state();
    assert_eq!(
        s.solved.len(),
        3,
        "the result, the run test, the test stage"
    );
    assert_eq!(s.evaluated, [true, true, true]);
    // The result is the target's graph, which holds no test.
    let Some(fe::result::Result::Ref(r)) = &result.result else {
        panic!("{:?}", result.result)
    };
    let (main, _) = s.solved.iter().find(|(_, id)| *id == r.id).unwrap();
    let text = |def: &pb::Definition| {
        def.def
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect::<String>()
    };
    assert!(!text(main).contains("unit-check") && !text(main).contains("lint-check"));
    let all: String = s.solved.iter().map(|(d, _)| text(d)).collect();
    assert!(all.contains("unit-check") && all.contains("lint-check"));
}

#[test]
fn a_file_without_tests_is_solved_lazily_once() {
    let fake = Fake::new(TWO_STAGES);
    build(&fake, &[]);
    assert_eq!(fake.state().evaluated, [false]);
}

#[test]
fn a_failing_test_fails_the_build_with_the_engines_error() {
    let engine_error = Status {
        code: 2,
        message:
            "process \"/bin/sh -c echo unit-check\" did not complete successfully: exit code: 1"
                .into(),
        details: vec![crate::gateway::errors::source_detail(
            "Stagefile",
            TESTED.as_bytes(),
            7,
        )],
    };
    let status = tonic::Status::with_details(
        tonic::Code::Unknown,
        engine_error.message.clone(),
        engine_error.encode_to_vec().into(),
    );
    let fake = Fake::new(TESTED);
    fake.state().failing = Some(("unit-check".into(), status));
    let error = failure(&fake, &[]);
    assert_eq!(error, engine_error, "forwarded with its details");
    assert_eq!(framed_lines(&error), [7]);
}

#[test]
fn queries_solve_no_tests() {
    let fake = Fake::new(TESTED);
    serve_with(&fake, &[("requestid", "frontend.outline")]);
    assert!(fake.state().solved.is_empty());
}
