//! The pure compiler entry points: bytes and options in, plan or LLB out.

use crate::diag::Diagnostic;
use crate::lower::{self, LowerOptions, Lowered};
use crate::plan::{self, BuildOptions, Plan};
use crate::spec::{self, Stagefile};

/// Parses and plans a Stagefile; the plan names the base images to resolve.
pub fn plan(bytes: &[u8], opts: &BuildOptions) -> Result<(Stagefile, Plan), Vec<Diagnostic>> {
    let file = spec::parse(bytes).map_err(|d| vec![d])?;
    let plan = plan::plan(&file, opts)?;
    Ok((file, plan))
}

/// The whole pipeline for callers that have no engine to ask for base configs.
pub fn compile(
    bytes: &[u8],
    opts: &BuildOptions,
    lower_opts: &LowerOptions,
) -> Result<Lowered, Vec<Diagnostic>> {
    let (_, plan) = plan(bytes, opts)?;
    lower::lower(&plan, lower_opts)
}

/// What a build of any target would refuse: the target's plan (its problems first), then
/// every stage of the file planned and lowered together, which finds cycles and lowering
/// problems in stages the target does not reach. On success, the target's file and plan.
pub fn check(bytes: &[u8], opts: &BuildOptions) -> Result<(Stagefile, Plan), Vec<Diagnostic>> {
    let file = spec::parse(bytes).map_err(|d| vec![d])?;
    let everything = plan::plan_every_stage(&file, opts)
        .and_then(|all| lower::lower(&all, &LowerOptions::default()).map(|_| ()));
    match (plan::plan(&file, opts), everything) {
        (Ok(plan), Ok(())) => Ok((file, plan)),
        (Ok(_), Err(diags)) => Err(diags),
        (Err(mut diags), everything) => {
            for d in everything.err().into_iter().flatten() {
                if !diags
                    .iter()
                    .any(|seen| seen.span == d.span && seen.message == d.message)
                {
                    diags.push(d);
                }
            }
            Err(diags)
        }
    }
}

/// Everything worth a warning: the plan's own and the lint rules' findings, each
/// message led by its rule name.
pub fn warnings(file: &Stagefile, plan: &Plan, bytes: &[u8]) -> Vec<Diagnostic> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = plan.warnings.clone();
    for f in crate::lint::lint(file, plan, &text) {
        let mut d = f.diagnostic;
        d.message = format!("{}: {}", f.rule, d.message);
        out.push(d);
    }
    out
}
