//! `copy` and `file` steps: file ops on the stage, and a merge for `link`.

use super::budget::{MAX_GRAPH_BYTES, cost};
use super::paths::{clean_abs, current_dir, dest_path, has_wildcard, join, split_last};
use super::{Lowering, Step, owner};
use crate::llb::{self, FileOp, MkDir, MkFile};
use crate::plan::{CopyStep, FileStep, Source};

impl Lowering<'_> {
    pub(super) fn copy(&mut self, step: &mut Step, copy: &CopyStep) {
        // Each copied path carries the whole exclude list: charge it before building.
        let excludes: usize = copy.exclude.iter().map(|e| cost(e)).sum();
        self.graph_bytes += copy
            .sources
            .iter()
            .map(|s| cost(s) + excludes)
            .sum::<usize>();
        if self.graph_bytes > MAX_GRAPH_BYTES {
            return;
        }
        let from = self.source_fs(&copy.from, step.platform);
        let dest = dest_path(
            &current_dir(step.image),
            copy.to.as_deref(),
            copy.sources.len() > 1 || copy.parents,
        );
        let owner = copy.chown.as_ref().map(owner);
        // `link`: copy onto an empty layer and merge it, so the layer does not depend on
        // (and stays cached across changes to) what is below it.
        let linked = copy.link && !self.opts.no_merge;
        let mut op = FileOp::on(if linked { None } else { step.fs.clone() });
        for src in &copy.sources {
            let mut action = llb::Copy {
                owner: owner.clone(),
                mode: copy.chmod,
                exclude_patterns: copy.exclude.clone(),
                ..llb::Copy::new(clean_abs(src), dest.clone())
            };
            let (dir, last) = split_last(&action.src);
            if !copy.exclude.is_empty() && has_wildcard(last) {
                // Excludes apply to what is found under `src`, so match the glob as an
                // include pattern under its directory instead of expanding it first.
                action.include_patterns = vec![last.to_owned()];
                action.src = dir.to_owned();
                action.allow_wildcard = false;
            }
            if copy.parents {
                // Copy from the root with the path as a pattern, so its parents are kept.
                action.src = "/".into();
                action.include_patterns = vec![
                    src.trim_start_matches("./")
                        .trim_start_matches('/')
                        .to_owned(),
                ];
            }
            op.copy(from.clone(), action);
        }
        let from_note = match &copy.from {
            Source::Stage(i) => format!("--from={} ", self.plan.stages[*i].name),
            Source::Image(r) => format!("--from={r} "),
            Source::Local(n) | Source::Input(n) => format!("--from={n} "),
            _ => String::new(),
        };
        let link_note = if copy.link { "--link " } else { "" };
        let shown = format!(
            "COPY {link_note}{from_note}{} {dest}",
            copy.sources.join(" ")
        );
        step.image
            .add_history(format!("{shown} # stagefile"), false);
        let copied = op.done(step.meta(&shown));
        step.fs = match step.fs.take() {
            Some(base) if linked => Some(llb::merge(
                vec![base, copied],
                step.meta(&format!("{shown} (merge)")),
            )),
            _ => Some(copied),
        };
    }

    pub(super) fn file(&mut self, step: &mut Step, file: &FileStep) {
        let path = join(&current_dir(step.image), &file.path);
        let mut op = FileOp::on(step.fs.take());
        if let Some((parent, _)) = path.rsplit_once('/')
            && !parent.is_empty()
        {
            op.mkdir(MkDir::new(parent.to_owned()));
        }
        op.mkfile(MkFile {
            path: path.clone(),
            mode: file.mode,
            data: file.content.clone().into_bytes(),
            owner: file.chown.as_ref().map(owner),
        });
        let shown = format!("FILE {path}");
        step.image
            .add_history(format!("{shown} # stagefile"), false);
        step.fs = Some(op.done(step.meta(&shown)));
    }
}
