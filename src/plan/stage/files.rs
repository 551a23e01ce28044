//! `copy` and `file` steps: sources inside the context, the destination, owner and
//! mode, the exclude patterns; a file's content and its expansion.

use super::*;

impl Ctx<'_> {
    pub(super) fn copy(&mut self, s: &Step) -> Option<CopyStep> {
        let copy = s.copy.as_ref().expect("checked by caller");
        let from = match &s.from {
            Some(f) => self.source(f, None, true),
            None => Source::Context,
        };
        let mut sources = Vec::new();
        let mut ok = true;
        for (src, span) in copy
            .value
            .0
            .iter()
            .map(|(t, sp)| (t, sp.unwrap_or(span_of(copy))))
        {
            let inside = self
                .expand_text(src, span)
                .and_then(|text| self.inside(&text, span));
            ok &= inside.is_some();
            sources.extend(inside);
        }
        if ok && sources.is_empty() {
            return self.fail(
                Diagnostic::error(span_of(copy), "`copy` names no source")
                    .with_help("give a path or a list of paths"),
            );
        }
        let to = s.to.as_ref().and_then(|t| self.expand(t));
        let chown = s.chown.as_ref().and_then(|c| self.chown(c));
        let chmod = s.chmod.as_ref().map(|m| self.octal(&m.value.0, span_of(m)));
        ok &= !matches!(chmod, Some(None));
        let exclude = s
            .exclude
            .iter()
            .flat_map(spec::items)
            .filter_map(|(e, span)| self.expand_text(e, span))
            .collect();
        let link = s.link.as_ref().is_some_and(|l| l.value);
        if let (true, Some(c), Some(owner)) = (link, &s.chown, &chown)
            && owner.has_names()
        {
            return self.fail(
                Diagnostic::error(
                    span_of(c),
                    "`chown` names a user or group, which a `link: true` copy cannot look up: its layer starts empty",
                )
                .with_help("give numeric ids (65532:65532), or drop `link`"),
            );
        }
        if !ok {
            return None;
        }
        Some(CopyStep {
            sources,
            from,
            to,
            chown,
            chmod: chmod.flatten(),
            exclude,
            link,
            parents: s.parents.as_ref().is_some_and(|p| p.value),
        })
    }

    pub(super) fn file(&mut self, s: &Step) -> Option<FileStep> {
        let file = s.file.as_ref().expect("checked by caller");
        let path = self.expand(file);
        let verbatim = s.expand.as_ref().is_some_and(|e| !e.value);
        let content = match &s.content {
            Some(c) if verbatim => Some(c.value.clone()),
            Some(c) => match super::content::expand(&self.scope, c, self.source) {
                Ok(text) => Some(text),
                Err(d) => self.fail(d),
            },
            None => Some(String::new()),
        };
        let mode = match &s.mode {
            Some(m) => self.octal(&m.value.0, span_of(m)),
            None => Some(0o644),
        };
        let chown = s.chown.as_ref().and_then(|c| self.chown(c));
        Some(FileStep {
            path: path?,
            content: content?,
            mode: mode?,
            chown,
        })
    }
}
