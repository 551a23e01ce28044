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
        match self.names.index(&name) {
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
                let d = match suggest(&name, self.names.list.iter().map(String::as_str)) {
                    Some(s) => d.with_help(format!("did you mean stage `{s}`?")),
                    None => d.with_help(format!(
                        "a `stage` test names a stage of this file; stages are: {}",
                        name_list(&self.names.list)
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
