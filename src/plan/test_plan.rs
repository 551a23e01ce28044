//! A stage's tests, resolved: what `lower` turns into graphs solved beside the result.

use super::RunStep;
use crate::diag::Span;

/// A stage's test: a `run` on its final filesystem, or a stage built alongside it.
/// Nothing a test makes reaches the stage.
#[derive(Debug)]
pub struct TestPlan {
    /// Where its `run` or `stage` key is written.
    pub span: Span,
    pub kind: TestKind,
}

#[derive(Debug)]
pub enum TestKind {
    Run(RunStep),
    /// Index into `Plan::stages`.
    Stage(usize),
}
