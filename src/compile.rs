//! The pure compiler entry points: bytes and options in, plan or LLB out.

use crate::diag::{Diagnostic, Severity};
use crate::include::Files;
use crate::lower::{self, LowerOptions, Lowered};
use crate::plan::{self, BuildOptions, Included, Plan};
use crate::spec::{self, Stagefile};

/// Parses and plans a Stagefile; the plan names the base images to resolve and carries
/// the lint settings (the file's, or the `BUILDKIT_DOCKERFILE_CHECK` build arg's).
pub fn plan(bytes: &[u8], opts: &BuildOptions) -> Result<(Stagefile, Plan), Vec<Diagnostic>> {
    let file = spec::parse(bytes)?;
    plan_parsed(file, bytes, opts)
}

/// `plan` of a file already parsed from `bytes`.
fn plan_parsed(
    file: Stagefile,
    bytes: &[u8],
    opts: &BuildOptions,
) -> Result<(Stagefile, Plan), Vec<Diagnostic>> {
    let planned = plan::plan(&file, opts);
    with_lint(file, bytes, opts, planned)
}

/// A plan with the file's lint settings (from `bytes`), or the problems of both.
fn with_lint(
    file: Stagefile,
    bytes: &[u8],
    opts: &BuildOptions,
    planned: Result<Plan, Vec<Diagnostic>>,
) -> Result<(Stagefile, Plan), Vec<Diagnostic>> {
    let text = String::from_utf8_lossy(bytes);
    let lint = crate::lint::control::read(&file, &text, &opts.build_args);
    match (planned, lint) {
        (Ok(mut plan), Ok((control, warnings))) => {
            plan.lint = control;
            plan.warnings.extend(warnings);
            Ok((file, plan))
        }
        (Err(mut diags), Err(more)) => {
            diags.extend(more);
            Err(diags)
        }
        (Err(diags), Ok(_)) | (Ok(_), Err(diags)) => Err(diags),
    }
}

/// `plan` of a Stagefile and the files it includes (`files`, gathered by the caller).
/// Without included files it is `plan` of the Stagefile.
pub fn plan_files(
    files: &Files,
    opts: &BuildOptions,
) -> Result<(Stagefile, Plan), Vec<Diagnostic>> {
    let data = &files.main().data;
    if files.len() == 1 {
        return plan(data, opts);
    }
    let (file, included) = parse_all(files)?;
    let planned = plan::plan_with(&file, &included, opts, false);
    with_lint(file, data, opts, planned)
}

/// `check` of a Stagefile and the files it includes, each file parsed once.
pub fn check_files(
    files: &Files,
    opts: &BuildOptions,
) -> Result<(Stagefile, Plan), Vec<Diagnostic>> {
    let data = &files.main().data;
    if files.len() == 1 {
        return check(data, opts);
    }
    let (file, included) = parse_all(files)?;
    let everything = plan::plan_with(&file, &included, opts, true)
        .and_then(|all| lower::lower(&all, &LowerOptions::default()).map(|_| ()));
    let planned = plan::plan_with(&file, &included, opts, false);
    with_everything(with_lint(file, data, opts, planned), everything)
}

/// Every file of the build parsed, each with its id in its spans; all their errors.
pub fn parse_all(files: &Files) -> Result<(Stagefile, Included<'_>), Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let main = spec::parse(&files.main().data).map_err(|d| diags.extend(d));
    let mut parsed = Vec::new();
    for (id, file, _) in files.included() {
        match spec::parse_in(&file.data, id) {
            Ok(f) => parsed.push((id, f)),
            Err(d) => diags.extend(d),
        }
    }
    match main {
        Ok(main) if diags.is_empty() => Ok((main, Included::new(files, parsed))),
        _ => Err(diags),
    }
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
    let file = spec::parse(bytes)?;
    let everything = plan::plan_every_stage(&file, opts)
        .and_then(|all| lower::lower(&all, &LowerOptions::default()).map(|_| ()));
    with_everything(plan_parsed(file, bytes, opts), everything)
}

/// The target's plan when every stage planned and lowered too; else the target's
/// problems first, then those only the whole file shows.
fn with_everything(
    planned: Result<(Stagefile, Plan), Vec<Diagnostic>>,
    everything: Result<(), Vec<Diagnostic>>,
) -> Result<(Stagefile, Plan), Vec<Diagnostic>> {
    match (planned, everything) {
        (Ok(planned), Ok(())) => Ok(planned),
        (Ok(_), Err(diags)) => Err(diags),
        (Err(mut diags), everything) => {
            for d in everything.err().into_iter().flatten() {
                if !diags.contains(&d) {
                    diags.push(d);
                }
            }
            Err(diags)
        }
    }
}

/// Everything worth a warning: the plan's own and the lint rules' findings, each
/// finding carrying its rule name as its code.
pub fn warnings(file: &Stagefile, plan: &Plan, bytes: &[u8]) -> Vec<Diagnostic> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = plan.warnings.clone();
    out.extend(
        crate::lint::lint(file, plan, &text)
            .into_iter()
            .map(|f| f.diagnostic),
    );
    out
}

/// When the lint settings say `error: true` and a rule found something: the warnings
/// with those findings made errors, which fail the build. `None` otherwise.
pub fn lint_failure(plan: &Plan, warnings: &[Diagnostic]) -> Option<Vec<Diagnostic>> {
    if !plan.lint.error || !warnings.iter().any(|w| w.rule().is_some()) {
        return None;
    }
    let help = "the file's lint settings make findings errors (`check: {error: true}`); fix it, or skip the rule";
    Some(
        warnings
            .iter()
            .cloned()
            .map(|mut w| {
                if w.rule().is_some() {
                    w.severity = Severity::Error;
                    w.help = Some(match w.help.take() {
                        Some(fix) => format!("{fix}; {help}"),
                        None => help.to_owned(),
                    });
                }
                w
            })
            .collect(),
    )
}
