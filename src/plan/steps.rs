//! The steps of a planned stage: what each kind of step does once its values are
//! expanded and its references resolved.

use super::{BindMount, Command, EnvValue, Owner, RunMount, Source};
use crate::diag::Span;

impl RunStep {
    /// The stages, images and contexts the step's bind and cache mounts read.
    pub(super) fn sources(&self) -> impl Iterator<Item = &Source> {
        self.mounts.iter().filter_map(|m| match m {
            RunMount::Bind(BindMount { from, .. }) => Some(from),
            RunMount::Cache(c) => c.base(),
            _ => None,
        })
    }
}

#[derive(Debug)]
pub struct StepPlan {
    pub span: Span,
    pub kind: StepKind,
}

#[derive(Debug)]
pub enum StepKind {
    Run(RunStep),
    Copy(CopyStep),
    Add(AddStep),
    File(FileStep),
}

#[derive(Debug)]
pub struct RunStep {
    pub command: Command,
    /// Args the step uses and the step's own `env`, in a stable order.
    pub env: Vec<(String, EnvValue)>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub mounts: Vec<RunMount>,
    pub network: Network,
    pub security: Security,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    Default,
    None,
    Host,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    Sandbox,
    Insecure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    Shared,
    Private,
    Locked,
}

#[derive(Debug)]
pub struct CopyStep {
    pub sources: Vec<String>,
    pub from: Source,
    /// Destination as written (expanded); `None` means the workdir.
    pub to: Option<String>,
    pub chown: Option<Owner>,
    pub chmod: Option<u32>,
    pub exclude: Vec<String>,
    pub link: bool,
    pub parents: bool,
}

#[derive(Debug)]
pub struct AddStep {
    /// The URL, or the context path, as written (expanded).
    pub url: String,
    pub kind: AddKind,
    pub to: Option<String>,
    /// `sha256:<hex>` for a download, the commit id for a Git repository.
    pub checksum: Option<String>,
    pub keep_git_dir: bool,
    pub chown: Option<Owner>,
    pub chmod: Option<u32>,
}

/// Where an `add` step's files come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddKind {
    Http,
    Git,
    /// A path in the build context; an archive there is unpacked.
    Context,
}

#[derive(Debug)]
pub struct FileStep {
    pub path: String,
    pub content: String,
    pub mode: u32,
    pub chown: Option<Owner>,
}
