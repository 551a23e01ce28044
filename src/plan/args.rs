//! The values of the file's `args`: a `--build-arg` as given, else the default, which
//! may refer to other args (`IMAGE: ${REPO}:${TAG}`) in any order, as long as no arg
//! ends up referring to itself.

use super::vars::{Scope, referenced_names};
use super::{BuildOptions, expand_at};
use crate::diag::Diagnostic;
use crate::spec::{Stagefile, span_of};
use std::collections::HashMap;

/// Adds every arg to `scope` (which holds the platform args already). Errors are the
/// args' own (a cycle, an undefined name in a default); the rest of the file is not
/// worth checking with args that have no value.
pub(super) fn resolve(
    file: &Stagefile,
    opts: &BuildOptions,
    scope: &mut Scope,
) -> Result<(), Vec<Diagnostic>> {
    let args = &file.args.0;
    // Until its turn comes, each default stands in as written; the order below makes
    // sure no default is read before it is expanded.
    let mut pending = vec![false; args.len()];
    for (i, (name, default)) in args.iter().enumerate() {
        let value = match opts.build_args.get(&name.value) {
            Some(given) => Some(given.clone()),
            None => {
                pending[i] = default.is_some();
                default.as_ref().map(|t| t.0.clone())
            }
        };
        scope.set(name.value.clone(), value);
    }
    if !pending.contains(&true) {
        return Ok(());
    }
    let index: HashMap<&str, usize> = args
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.value.as_str(), i))
        .collect();
    let uses: Vec<Vec<usize>> = args
        .iter()
        .enumerate()
        .map(|(i, (_, default))| match default {
            Some(text) if pending[i] => referenced_names(&text.0)
                .iter()
                .filter_map(|n| index.get(n.as_str()).copied())
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    let order = dependencies_first(&uses).map_err(|cycle| vec![cycle_error(file, &cycle)])?;
    let mut diags = Vec::new();
    for i in order.into_iter().filter(|&i| pending[i]) {
        let (name, default) = &args[i];
        let text = default.as_ref().map_or("", |t| t.0.as_str());
        match expand_at(scope, text, span_of(name)) {
            Ok(value) => scope.set(name.value.clone(), Some(value)),
            Err(d) => diags.push(d),
        }
    }
    if diags.is_empty() { Ok(()) } else { Err(diags) }
}

/// Every arg after the args it uses (a post-order walk, without recursion: a generated
/// file can chain thousands), or the first cycle met, in the order it is walked.
fn dependencies_first(uses: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; uses.len()];
    let mut order = Vec::with_capacity(uses.len());
    for root in 0..uses.len() {
        if mark[root] != Mark::New {
            continue;
        }
        // The path from `root`, each arg with the next of its uses to visit.
        let mut path: Vec<(usize, usize)> = vec![(root, 0)];
        mark[root] = Mark::Open;
        while let Some(top) = path.len().checked_sub(1) {
            let (arg, next) = path[top];
            let Some(&used) = uses[arg].get(next) else {
                mark[arg] = Mark::Done;
                order.push(arg);
                path.pop();
                continue;
            };
            path[top].1 += 1;
            match mark[used] {
                Mark::Done => {}
                Mark::New => {
                    mark[used] = Mark::Open;
                    path.push((used, 0));
                }
                Mark::Open => {
                    let from = path.iter().position(|&(a, _)| a == used).unwrap_or(0);
                    let mut cycle: Vec<usize> = path[from..].iter().map(|&(a, _)| a).collect();
                    cycle.push(used);
                    return Err(cycle);
                }
            }
        }
    }
    Ok(order)
}

fn cycle_error(file: &Stagefile, cycle: &[usize]) -> Diagnostic {
    let args = &file.args.0;
    let names: Vec<&str> = cycle.iter().map(|&i| args[i].0.value.as_str()).collect();
    let first = &args[cycle[0]].0;
    let message = if cycle.len() == 2 {
        format!("the default of arg `{}` refers to itself", names[0])
    } else {
        format!(
            "the defaults of args {} refer to each other: {}",
            crate::diag::name_list(
                &names[..names.len() - 1]
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
            ),
            names.join(" → ")
        )
    };
    Diagnostic::error(span_of(first), message)
        .with_help("give one of them a default that does not use the others")
}

#[cfg(test)]
mod tests {
    use super::dependencies_first;

    #[test]
    fn orders_dependencies_first_and_finds_cycles() {
        // 0 uses 2, 2 uses 1.
        assert_eq!(
            dependencies_first(&[vec![2], vec![], vec![1]]),
            Ok(vec![1, 2, 0])
        );
        assert_eq!(
            dependencies_first(&[vec![1], vec![2], vec![0]]),
            Err(vec![0, 1, 2, 0])
        );
        assert_eq!(dependencies_first(&[vec![], vec![1]]), Err(vec![1, 1]));
        // A chain far deeper than the stack would allow recursion for.
        let chain: Vec<Vec<usize>> = (0..200_000)
            .map(|i| if i + 1 < 200_000 { vec![i + 1] } else { vec![] })
            .collect();
        let order = dependencies_first(&chain).unwrap();
        assert_eq!(order.first(), Some(&199_999));
        assert_eq!(order.last(), Some(&0));
    }
}
