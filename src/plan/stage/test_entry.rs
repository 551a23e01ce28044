//! A stage's `tests:` entries: a `run` with the options of a `run` step, or a test stage.
//! Their stage references are kept apart from the stage's own edges: a test stage is
//! usually built `from` the stage it tests, so it is built beside it, never before it.

use super::*;
use crate::spec::Test;

impl Ctx<'_> {
    /// Resolves one test entry; the stages it needs go to `test_edges`.
    pub(super) fn test(&mut self, entry: &Spanned<Test>, this: usize) -> Option<TestPlan> {
        let t = &entry.value;
        match (&t.run, &t.stage) {
            (Some(run), None) => {
                let kind = TestKind::Run(self.run(&t.into())?);
                Some(TestPlan {
                    span: span_of(run),
                    kind,
                })
            }
            (None, Some(stage)) => {
                if let Some(option) = run_option(t) {
                    return self.fail(
                        Diagnostic::error(option, "a `stage` test takes no `run` options")
                            .with_help("set them on the test stage's steps, or write a `run` test"),
                    );
                }
                let index = self.test_stage(stage, this)?;
                Some(TestPlan {
                    span: span_of(stage),
                    kind: TestKind::Stage(index),
                })
            }
            (Some(_), Some(stage)) => self.fail(
                Diagnostic::error(
                    span_of(stage),
                    "a test has one of `run` and `stage`; this one has both",
                )
                .with_help("split it into two tests"),
            ),
            (None, None) => self.fail(
                Diagnostic::error(span_of(entry), "a test needs `run` or `stage`")
                    .with_help("for example `- run: make test` or `- stage: test`"),
            ),
        }
    }

    /// The stage a `stage:` test names (file index), with its edge recorded.
    fn test_stage(&mut self, stage: &Spanned<String>, this: usize) -> Option<usize> {
        let span = span_of(stage);
        let name = self.expand(stage)?;
        match self.stage_index(&name) {
            Some(i) if i == this => self.fail(
                Diagnostic::error(span, format!("stage `{name}` cannot be its own test"))
                    .with_help("name another stage, e.g. one built `from` this one"),
            ),
            Some(i) => {
                self.test_edges.push((i, span));
                Some(i)
            }
            None => {
                let d = Diagnostic::error(span, format!("no stage is named `{name}`"));
                let own: Vec<String> = self.own_names().map(str::to_owned).collect();
                let d = match suggest(&name, own.iter().map(String::as_str)) {
                    Some(s) => d.with_help(format!("did you mean stage `{s}`?")),
                    None => d.with_help(format!(
                        "a `stage` test names a stage of this file; stages are: {}",
                        name_list(&own)
                    )),
                };
                self.fail(d)
            }
        }
    }
}

/// Where the first `run` option of a `stage` test is written, if it has one.
fn run_option(t: &Test) -> Option<Span> {
    [
        t.cache.as_ref().map(span_of),
        t.secret.as_ref().map(span_of),
        t.ssh.as_ref().map(span_of),
        t.tmpfs.as_ref().map(span_of),
        t.mount.as_ref().map(span_of),
        t.network.as_ref().map(span_of),
        t.security.as_ref().map(span_of),
        t.env.0.first().map(|(k, _)| span_of(k)),
        t.workdir.as_ref().map(span_of),
        t.user.as_ref().map(span_of),
        t.args.first().map(span_of),
    ]
    .into_iter()
    .flatten()
    .next()
}

#[cfg(test)]
mod tests {
    use crate::plan::{BuildOptions, TestKind};

    const FILE: &str = "\
stages:
  build:
    from: busybox:1.35
    steps:
      - run: make
    tests:
      - run: make check
        cache: /c
      - stage: unit
  unit:
    from: build
    steps:
      - run: make unit
  lonely:
    from: busybox:1.35
    tests:
      - run: never
  runtime:
    from: scratch
    steps:
      - copy: /app
        from: build
";

    fn target(name: &str) -> BuildOptions {
        BuildOptions {
            target: Some(name.into()),
            ..Default::default()
        }
    }

    fn errors(src: &str) -> Vec<(u32, String, String)> {
        match crate::compile::plan(src.as_bytes(), &Default::default()) {
            Ok(_) => panic!("planned:\n{src}"),
            Err(d) => d
                .into_iter()
                .map(|d| (d.span.line, d.message, d.help.unwrap_or_default()))
                .collect(),
        }
    }

    #[test]
    fn a_test_stage_built_from_the_tested_stage_is_built_after_it() {
        let (_, plan) = crate::compile::plan(FILE.as_bytes(), &target("runtime")).unwrap();
        let names: Vec<&str> = plan.stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["build", "runtime", "unit"]);
        assert_eq!(plan.stages[plan.target].name, "runtime");
        let build = &plan.stages[0];
        assert_eq!(build.tests.len(), 2);
        assert_eq!(build.tests[0].span.line, 7);
        assert!(matches!(build.tests[0].kind, TestKind::Run(ref r) if r.mounts.len() == 1));
        assert!(matches!(build.tests[1].kind, TestKind::Stage(2)));
    }

    #[test]
    fn tests_leave_the_targets_graph_as_it_was() {
        let without = FILE.replace(
            "    tests:\n      - run: make check\n        cache: /c\n      - stage: unit\n",
            "",
        );
        let with =
            crate::compile::compile(FILE.as_bytes(), &target("runtime"), &Default::default())
                .unwrap();
        let plain =
            crate::compile::compile(without.as_bytes(), &target("runtime"), &Default::default())
                .unwrap();
        assert_eq!(with.definition, plain.definition);
        assert!(plain.tests.is_empty());
        let names: Vec<&str> = with.tests.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["[build test 1/2] RUN make check", "stage unit"]);
        assert_eq!(with.tests[0].line, 7);
        // With the file's source map, the test's vertex is placed at its line.
        let mapped = crate::lower::LowerOptions {
            source: Some(crate::llb::SourceMap {
                filename: "Stagefile",
                data: FILE.as_bytes(),
            }),
            ..Default::default()
        };
        let located =
            crate::compile::compile(FILE.as_bytes(), &target("runtime"), &mapped).unwrap();
        let dump = crate::llb::dump(&located.tests[0].definition);
        let exec = dump
            .as_array()
            .unwrap()
            .iter()
            .find(|op| op["name"] == "[build test 1/2] RUN make check")
            .expect("the test's vertex");
        assert_eq!(exec["lines"][0][0], 7);
    }

    #[test]
    fn a_stage_the_target_does_not_need_brings_no_tests() {
        let (_, plan) = crate::compile::plan(FILE.as_bytes(), &target("lonely")).unwrap();
        let names: Vec<&str> = plan.stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["lonely"]);
        let (_, plan) = crate::compile::plan(FILE.as_bytes(), &target("unit")).unwrap();
        let names: Vec<&str> = plan.stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["build", "unit"],
            "the target is the test stage itself"
        );
    }

    #[test]
    fn bad_entries_are_located_with_help() {
        let base = "stages:\n  a:\n    from: busybox:1.35\n    tests:\n";
        let both = errors(&format!(
            "{base}      - run: x\n        stage: b\n  b:\n    from: a\n"
        ));
        assert_eq!(both[0].0, 6);
        assert!(both[0].1.contains("has both"), "{both:?}");
        let neither = errors(&format!("{base}      - network: none\n"));
        assert_eq!(neither[0].0, 5);
        assert!(neither[0].2.contains("- run: make test"), "{neither:?}");
        let unknown = errors(&format!(
            "{base}      - stage: tset\n  test:\n    from: a\n"
        ));
        assert_eq!(unknown[0].0, 5);
        assert_eq!(unknown[0].2, "did you mean stage `test`?");
        let itself = errors(&format!("{base}      - stage: a\n"));
        assert!(itself[0].1.contains("its own test"), "{itself:?}");
        let option = errors(&format!(
            "{base}      - stage: b\n        cache: /c\n  b:\n    from: a\n"
        ));
        assert_eq!(option[0].0, 6);
        assert!(option[0].1.contains("no `run` options"), "{option:?}");
        let misspelt = errors(&format!("{base}      - run: x\n        chache: /c\n"));
        assert_eq!(misspelt[0].0, 6);
        assert!(misspelt[0].2.contains("cache"), "{misspelt:?}");
        let copy_option = errors(&format!("{base}      - run: x\n        to: /c\n"));
        assert_eq!(copy_option[0].0, 6, "{copy_option:?}");
    }
}
