//! A stage's tests as graphs of their own: each `run` test is an exec on the stage's
//! final filesystem, each `stage` test is that stage's filesystem. The main graph never
//! reads them, so nothing a test writes reaches an image; the gateway solves them
//! beside it.

use super::{Lowering, Step};
use crate::image::Image;
use crate::llb::{self, Output};
use crate::plan::{StagePlan, TestKind};
use crate::platform::Platform;

/// One test's graph, for the gateway to solve (and `stagefile llb --tests` to print).
pub struct TestDefinition {
    /// The tested stage.
    pub stage: String,
    /// What the test is, as progress names it: `[build test 1/2] RUN make test`, or
    /// `stage test` for a test stage.
    pub name: String,
    /// The line of its `run` or `stage` key.
    pub line: u32,
    pub definition: llb::Definition,
}

/// A `run` test waiting for every stage to be lowered (its mounts may read a stage
/// built after the one it tests), with what it needs of the tested stage.
pub(super) struct PendingRun {
    stage: usize,
    test: usize,
    fs: Option<Output>,
    image: Image,
    platform: Platform,
    env: Vec<(String, String)>,
}

impl Lowering<'_> {
    /// Records the `run` tests of `stage` (number `index`) on its final state; the
    /// environment each receives is resolved now, while the stage's is at hand.
    pub(super) fn pend_tests(
        &mut self,
        index: usize,
        stage: &StagePlan,
        fs: &Option<Output>,
        image: &Image,
        stage_env: &mut super::env::StageEnv,
    ) {
        for (test, t) in stage.tests.iter().enumerate() {
            let TestKind::Run(run) = &t.kind else {
                continue;
            };
            let Some(env) = stage_env.step(&run.env, image) else {
                continue;
            };
            self.pending.push(PendingRun {
                stage: index,
                test,
                fs: fs.clone(),
                image: image.clone(),
                platform: stage.platform.clone(),
                env,
            });
        }
    }

    /// Every test of every stage built, in stage order; a stage tested by several
    /// stages is solved once.
    pub(super) fn tests(&mut self) -> Vec<TestDefinition> {
        let plan = self.plan;
        let mut pending = std::mem::take(&mut self.pending).into_iter().peekable();
        let mut stage_tests = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for (index, stage) in plan.stages.iter().enumerate() {
            let total = stage.tests.len();
            for (k, t) in stage.tests.iter().enumerate() {
                let (name, fs) = match &t.kind {
                    TestKind::Stage(i) => {
                        if !stage_tests.insert(*i) {
                            continue;
                        }
                        let name = format!("stage {}", plan.stages[*i].name);
                        (name, self.results[*i].fs.clone())
                    }
                    TestKind::Run(run) => {
                        // Absent when its environment failed to resolve (reported).
                        let Some(p) = pending.next_if(|p| p.stage == index && p.test == k) else {
                            continue;
                        };
                        let PendingRun {
                            fs,
                            mut image,
                            platform,
                            env,
                            ..
                        } = p;
                        let prefix = format!("[{} test {}/{total}]", stage.name, k + 1);
                        let name = format!("{prefix} {}", super::run::shown(&run.command));
                        let mut step = Step {
                            fs,
                            image: &mut image,
                            platform: &platform,
                            prefix,
                            line: t.span.line,
                            file: t.span.file,
                            no_cache: stage.no_cache,
                        };
                        self.run(&mut step, run, &env);
                        (name, step.fs)
                    }
                };
                if self.over_budget(t.span) {
                    return out;
                }
                // A test stage with no files has nothing to build.
                let Some(fs) = fs else { continue };
                out.push(TestDefinition {
                    stage: stage.name.clone(),
                    name,
                    line: t.span.line,
                    definition: llb::marshal_with(
                        Some(&fs),
                        self.opts.source.as_ref(),
                        &self.opts.more_sources,
                    ),
                });
            }
        }
        out
    }
}
