//! `include:` in the offline commands: `check`, `outline` and `llb` read the included
//! files from `--context` and `--build-context NAME=DIR`, render an included file's
//! errors in that file with where it was included, and refuse cycles and deep nesting.

mod common;

use common::cli::{Test, text};

const BASE: &str = "args:\n  GREETING: hello\nstages:\n  builder:\n    from: busybox:1.35\n    description: the shared builder\n    steps:\n      - run: echo \"$GREETING\" > /greeting\n";

const MAIN: &str = "include:\n  - path: ci/base.yaml\n    args: {GREETING: hi}\nstages:\n  app:\n    from: base.builder\n";

#[test]
fn check_and_outline_read_included_files_from_the_context() {
    let out = Test::new("inc-check", MAIN)
        .file("ci/base.yaml", BASE)
        .args(&["check", "Stagefile"])
        .run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("ok (2 stages to build for target `app`)"));

    let out = Test::new("inc-outline", MAIN)
        .file("ci/base.yaml", BASE)
        .args(&["outline", "Stagefile"])
        .run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("base.builder   the shared builder (ci/base.yaml)"),
        "{table}"
    );
}

#[test]
fn a_named_context_directory_serves_includes() {
    let main =
        "include:\n  - {path: base.yaml, from: shared}\nstages:\n  app:\n    from: base.builder\n";
    let out = Test::new("inc-named", main)
        .file("elsewhere/base.yaml", BASE)
        .args(&["check", "Stagefile", "--build-context", "shared=elsewhere"])
        .run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = Test::new("inc-named-missing", main)
        .args(&["check", "Stagefile"])
        .run();
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("cannot read `base.yaml` from the named context `shared`"),
        "{err}"
    );
    assert!(err.contains("--> Stagefile:2:12"), "{err}");
}

#[test]
fn an_included_files_error_is_framed_in_that_file() {
    let out = Test::new("inc-frame", MAIN)
        .file(
            "ci/base.yaml",
            "stages:\n  builder:\n    from: busybox:1.35\n    workdri: /src\n",
        )
        .args(&["check", "Stagefile"])
        .run();
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("error: unknown key `workdri`"), "{err}");
    assert!(err.contains("--> ci/base.yaml:4:5"), "{err}");
    assert!(err.contains("4 |     workdri: /src"), "{err}");
    assert!(
        err.contains("= note: included from Stagefile:2:11"),
        "{err}"
    );
}

#[test]
fn cycles_and_deep_nesting_are_refused() {
    let out = Test::new(
        "inc-cycle",
        "include: [a.yaml]\nstages:\n  app:\n    from: a.x\n",
    )
    .file(
        "a.yaml",
        "include: [b.yaml]\nstages:\n  x:\n    from: busybox:1.35\n",
    )
    .file(
        "b.yaml",
        "include: [a.yaml]\nstages:\n  y:\n    from: busybox:1.35\n",
    )
    .args(&["check", "Stagefile"])
    .run();
    let err = text(&out.stderr);
    assert!(
        err.contains("`a.yaml` includes itself: a.yaml:1:11 → b.yaml:1:11"),
        "{err}"
    );

    let mut deep = Test::new(
        "inc-deep",
        "include: [f0.yaml]\nstages:\n  app:\n    from: busybox:1.35\n",
    );
    for i in 0..20 {
        deep = deep.file(
            &format!("f{i}.yaml"),
            &format!(
                "include: [f{}.yaml]\nstages:\n  s:\n    from: busybox:1.35\n",
                i + 1
            ),
        );
    }
    let out = deep.args(&["check", "Stagefile"]).run();
    let err = text(&out.stderr);
    assert!(err.contains("error[IncludesTooDeep]"), "{err}");
}

#[test]
fn llb_carries_each_file_as_a_source() {
    let out = Test::new("inc-llb", MAIN)
        .file("ci/base.yaml", BASE)
        .args(&["llb", "--dump", "Stagefile", "--target", "base.builder"])
        .run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dump = text(&out.stdout);
    assert!(dump.contains("GREETING=hi"), "{dump}");
    assert!(dump.contains("[base.builder 2/2] RUN"), "{dump}");
}

#[test]
fn an_included_files_tests_and_seeds_name_its_own_stages() {
    let base = "args:\n  GREETING: x\nstages:\n  warm:\n    from: busybox:1.35\n  builder:\n    from: busybox:1.35\n    steps:\n      - run: touch /built\n        cache: {target: /root/cache, seed: warm}\n    tests:\n      - stage: check\n  check:\n    from: builder\n";
    let out = Test::new("inc-tests", MAIN)
        .file("ci/base.yaml", base)
        .args(&["outline", "Stagefile"])
        .run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("stage: base.check"), "{table}");

    let out = Test::new("inc-tests-llb", MAIN)
        .file("ci/base.yaml", base)
        .args(&["llb", "--dump", "Stagefile"])
        .run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("seed cache /root/cache from warm"),
        "the seed names the included file's own stage"
    );

    let out = Test::new("inc-tests-unknown", MAIN)
        .file("ci/base.yaml", &base.replace("stage: check", "stage: chek"))
        .args(&["check", "Stagefile"])
        .run();
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("did you mean stage `check`?"), "{err}");
    assert!(err.contains("--> ci/base.yaml:12:16"), "{err}");
}
