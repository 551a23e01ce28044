//! Lowering of `copy` and `file` steps: file ops on the stage, a merge for `link`.

use super::*;

impl Lowering<'_> {
    pub(super) fn copy(
        &mut self,
        fs: Option<Output>,
        image: &mut Image,
        copy: &CopyStep,
        platform: &pb::Platform,
        meta: impl Fn(String) -> Meta,
    ) -> Option<Output> {
        // Each copied path carries the whole exclude list: charge it before building.
        let excludes: usize = copy.exclude.iter().map(|e| cost(e)).sum();
        self.graph_bytes += copy
            .sources
            .iter()
            .map(|s| cost(s) + excludes)
            .sum::<usize>();
        if self.graph_bytes > MAX_GRAPH_BYTES {
            return fs;
        }
        let from = self.source_fs(&copy.from, platform);
        let dest = dest_path(
            &current_dir(image),
            copy.to.as_deref(),
            copy.sources.len() > 1 || copy.parents,
        );
        let owner = copy.chown.as_ref().map(owner_opt);
        // `link`: copy onto an empty layer and merge it, so the layer does not depend on
        // (and stays cached across changes to) what is below it.
        let linked = copy.link && !self.opts.no_merge;
        let mut op = FileOp::on(if linked { None } else { fs.clone() });
        for src in &copy.sources {
            let mut action = pb::FileActionCopy {
                src: clean_abs(src),
                dest: dest.clone(),
                owner: owner.clone(),
                mode: copy.chmod.map_or(-1, |m| m as i32),
                follow_symlink: true,
                dir_copy_contents: true,
                create_dest_path: true,
                allow_wildcard: true,
                allow_empty_wildcard: false,
                timestamp: -1,
                exclude_patterns: copy.exclude.clone(),
                ..Default::default()
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
        image.add_history(format!("{shown} # stagefile"), false);
        let copied = op.done(meta(shown.clone()));
        match fs {
            Some(base) if linked => Some(llb::merge(
                vec![base, copied],
                meta(format!("{shown} (merge)")),
            )),
            _ => Some(copied),
        }
    }

    pub(super) fn file(
        &mut self,
        fs: Option<Output>,
        image: &mut Image,
        file: &FileStep,
        meta: impl Fn(String) -> Meta,
    ) -> Option<Output> {
        let path = join(&current_dir(image), &file.path);
        let owner = file.chown.as_ref().map(owner_opt);
        let mut op = FileOp::on(fs);
        if let Some((parent, _)) = path.rsplit_once('/')
            && !parent.is_empty()
        {
            op.mkdir(pb::FileActionMkDir {
                path: parent.to_owned(),
                mode: 0o755,
                make_parents: true,
                owner: None,
                timestamp: -1,
            });
        }
        op.mkfile(pb::FileActionMkFile {
            path: path.clone(),
            mode: file.mode as i32,
            data: file.content.clone().into_bytes(),
            owner,
            timestamp: -1,
        });
        let shown = format!("FILE {path}");
        image.add_history(format!("{shown} # stagefile"), false);
        Some(op.done(meta(shown)))
    }
}
