//! One stage: its base (a stage, an image, the context, an input), its environment,
//! shell, user and workdir, then each step handed to the lowering of its kind.

use super::paths::{current_dir, join};
use super::{Lowering, Step, budget, config, env, owner};
use crate::diag::Diagnostic;
use crate::image::Image;
use crate::llb::{self, FileOp, MkDir, Output};
use crate::plan::{Owner, Source, StagePlan, StepKind};

impl Lowering<'_> {
    pub(super) fn stage(
        &mut self,
        index: usize,
        stage: &StagePlan,
    ) -> (Option<Output>, Image, env::Inherited) {
        let total = stage.steps.len() + 1;
        let prefix = |k: usize| format!("[{} {k}/{total}]", stage.name);
        let platform = &stage.platform;
        let mut inherited = env::Inherited::default();
        let (fs, mut image) = match &stage.base {
            Source::Scratch => (None, Image::scratch(platform)),
            Source::Context | Source::Local(_) => (
                self.source_fs(&stage.base, platform),
                Image::scratch(platform),
            ),
            Source::Input(name) => {
                let image = self.opts.input_configs.get(name).cloned();
                if image.is_none() {
                    inherited = env::Inherited::unknown(format!("input `{name}`"));
                }
                let image = image.unwrap_or_else(|| Image::scratch(platform));
                self.graph_bytes += budget::weight(&image);
                (self.source_fs(&stage.base, platform), image)
            }
            Source::Stage(i) => {
                let base = &mut self.results[*i];
                base.config_users -= 1;
                inherited = base.inherited.clone();
                let image = match base.config_users {
                    0 => base.image.take(),
                    _ => {
                        let copy = base.image.clone();
                        self.graph_bytes += copy.as_ref().map_or(0, budget::weight);
                        copy
                    }
                };
                (
                    base.fs.clone(),
                    image.expect("a base's config is kept until its last user"),
                )
            }
            Source::Image(r) => {
                let meta = llb::Meta::named(format!("{} FROM {r}", prefix(1)))
                    .at_line(stage.from_span.line)
                    .in_file(stage.from_span.file);
                let fs = self.image_source(r, platform, meta);
                let image = self.opts.base_configs.get(&(r.clone(), platform.clone()));
                if image.is_none() {
                    inherited = env::Inherited::unknown(format!("image `{r}`"));
                }
                let image = image.cloned().unwrap_or_else(|| Image::scratch(platform));
                self.graph_bytes += budget::weight(&image);
                (Some(fs), image)
            }
        };
        image.set_platform(platform);
        // As the Dockerfile frontend does: a base without a search path gets BuildKit's.
        if image.env("PATH").is_none() && platform.os != "windows" {
            image.config.env.push(format!("PATH={}", llb::DEFAULT_PATH));
        }
        if self.over_budget(stage.from_span) {
            return (fs, image, inherited);
        }
        let mut stage_env = env::StageEnv::new(
            self.plan
                .file_args
                .get(&stage.span.file)
                .unwrap_or(&self.plan.args),
            inherited,
        );
        for (k, v) in &stage.env {
            if let Some(v) = stage_env.stage_entry(k, v, &image) {
                image.set_env(k, &v);
                image.add_history(format!("ENV {k}={v}"), true);
            }
        }
        if let Some(shell) = &stage.shell {
            image.config.shell = Some(shell.clone());
            image.add_history(format!("SHELL {shell:?}"), true);
        }
        if let Some(user) = &stage.user {
            image.config.user = user.clone();
            image.add_history(format!("USER {user}"), true);
        }
        let mut step = Step {
            fs,
            image: &mut image,
            platform,
            prefix: format!("[{}]", stage.name),
            line: stage.span.line,
            file: stage.span.file,
            no_cache: stage.no_cache,
        };
        if let Some(w) = &stage.workdir {
            self.workdir(&mut step, w, stage);
        }
        for (k, s) in stage.steps.iter().enumerate() {
            step.prefix = prefix(k + 2);
            step.line = s.span.line;
            let owner = match &s.kind {
                StepKind::Copy(c) if !c.link => c.chown.as_ref(),
                StepKind::Add(a) => a.chown.as_ref(),
                StepKind::File(f) => f.chown.as_ref(),
                _ => None,
            };
            if step.fs.is_none() && owner.is_some_and(Owner::has_names) {
                // BuildKit reads names from the files below the step: here there are none.
                self.diags.push(
                    Diagnostic::error(
                        s.span,
                        format!("`chown` names a user or group, but stage `{}` has no files yet to look it up in (no /etc/passwd)", stage.name),
                    )
                    .with_help("give numeric ids (65532:65532)"),
                );
                continue;
            }
            match &s.kind {
                StepKind::Run(run) => {
                    let Some(env) = stage_env.step(&run.env, step.image) else {
                        continue;
                    };
                    self.run(&mut step, run, &env);
                }
                StepKind::Copy(copy) => self.copy(&mut step, copy),
                StepKind::Add(add) => self.add(&mut step, add),
                StepKind::File(file) => self.file(&mut step, file),
            }
            if self.over_budget(s.span) {
                break;
            }
        }
        let fs = step.fs;
        if !stage.tests.is_empty() {
            self.pend_tests(index, stage, &fs, &image, &mut stage_env);
        }
        config::apply_config(&mut image, stage);
        let inherited = stage_env.inherited();
        self.diags.append(&mut stage_env.diags);
        self.warnings.append(&mut stage_env.warnings);
        (fs, image, inherited)
    }

    /// The stage's `workdir`, created (as Docker's WORKDIR does) and made the image's.
    fn workdir(&mut self, step: &mut Step, workdir: &str, stage: &StagePlan) {
        let dir = join(&current_dir(step.image), workdir);
        let user = self.workdir_owner(step.image, step.fs.is_some(), stage);
        let mut op = FileOp::on(step.fs.take());
        op.mkdir(MkDir {
            owner: user.as_ref().map(owner),
            ..MkDir::new(dir.clone())
        });
        step.fs = Some(op.done(step.meta(&format!("WORKDIR {dir}"))));
        step.image.config.working_dir = dir.clone();
        step.image.add_history(format!("WORKDIR {dir}"), false);
    }

    /// The stage's user (its own or the base's) owns the workdir it creates, as Docker's
    /// WORKDIR does, so a non-root step can write there. A name is looked up in the
    /// stage's /etc/passwd, which a stage without files does not have.
    fn workdir_owner(
        &mut self,
        image: &Image,
        has_files: bool,
        stage: &StagePlan,
    ) -> Option<Owner> {
        let user = image.config.user.as_str();
        if user.is_empty() {
            return None;
        }
        let owner = Owner::parse(user)?;
        if owner.has_names() && !has_files {
            self.diags.push(
                Diagnostic::error(
                    stage.span,
                    format!(
                        "stage `{}` creates its workdir as user `{user}`, but it has no files yet to look the name up in (no /etc/passwd)",
                        stage.name
                    ),
                )
                .with_help("give the user as numeric ids (`user: \"65532:65532\"`)"),
            );
            return None;
        }
        Some(owner)
    }
}
