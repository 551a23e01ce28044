//! The graph budget: some parts of the graph grow with a product of the file's parts,
//! so lowering counts what it builds and refuses a graph past [`MAX_GRAPH_BYTES`].

use super::Lowering;
use crate::diag::{Diagnostic, Limit, Span};
use crate::image::Image;

/// Every `run` op carries the whole environment and shell, every copied path the copy's
/// `exclude` list, every stage a copy of its base's config. A few hundred kilobytes of
/// Stagefile can so ask for gigabytes (10,000 env entries and 10,000 steps took 6 GB),
/// which BuildKit could not receive anyway: past this many bytes the build is refused.
pub(super) const MAX_GRAPH_BYTES: usize = 64 << 20;

/// How a refused, too large graph is announced.
const TOO_LARGE: &str = "the build graph is too large";

impl Lowering<'_> {
    /// Past the budget, says so once, at `span`; true when the work should stop.
    pub(super) fn over_budget(&mut self, span: Span) -> bool {
        if self.graph_bytes <= MAX_GRAPH_BYTES {
            return false;
        }
        let said = self.diags.iter().any(|d| d.hit(Limit::GraphSize));
        if !said {
            self.diags.push(
                Diagnostic::error(span, format!("{TOO_LARGE}: more than {} MiB of commands, environments, copy patterns and image configs", MAX_GRAPH_BYTES >> 20))
                    .with_help("each `run` step carries the whole `env` and `shell`, each copied path the `exclude` list, each stage its base's config; use fewer of them")
                    .with_limit(Limit::GraphSize),
            );
        }
        true
    }
}

/// What a string costs in memory: its bytes and its allocation. The budget counts this
/// rather than text, as millions of short strings are what a hostile file makes.
pub(super) fn cost(s: &str) -> usize {
    s.len() + 32
}

/// Roughly the memory an image config holds, to charge each copy of it to the budget.
pub(super) fn weight(image: &Image) -> usize {
    let strings = |v: &[String]| v.iter().map(|s| cost(s)).sum::<usize>();
    let c = &image.config;
    image
        .history
        .iter()
        .map(|h| cost(&h.created_by) + cost(&h.comment))
        .sum::<usize>()
        + strings(&image.rootfs.diff_ids)
        + strings(&c.env)
        + c.labels
            .as_ref()
            .map_or(0, |l| l.iter().map(|(k, v)| cost(k) + cost(v)).sum())
        + c.exposed_ports
            .keys()
            .chain(c.volumes.keys())
            .map(|k| cost(k))
            .sum::<usize>()
        + [&c.entrypoint, &c.cmd, &c.shell]
            .iter()
            .map(|v| v.as_deref().map_or(0, strings))
            .sum::<usize>()
}
