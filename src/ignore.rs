//! The build context's exclude patterns, the same for a build and for `stagefile llb`:
//! the lines of the ignore file, then the Stagefile's own `ignore` patterns.

use crate::plan::Plan;

/// The name of the ignore file kept beside a Stagefile, which wins over the context's
/// `.dockerignore` (`build/Stagefile` → `build/Stagefile.dockerignore`), as for Dockerfiles.
pub fn own_ignore_name(stagefile: &str) -> String {
    format!("{stagefile}.dockerignore")
}

/// The exclude patterns: those of `<Stagefile>.dockerignore` when it exists, else those of
/// the context's `.dockerignore`, then the plan's `ignore`.
pub fn excludes(
    beside_stagefile: Option<&[u8]>,
    in_context: Option<&[u8]>,
    plan: &Plan,
) -> Vec<String> {
    let mut patterns = beside_stagefile
        .or(in_context)
        .map(parse_ignore)
        .unwrap_or_default();
    patterns.extend(plan.ignore.iter().cloned());
    patterns
}

/// `.dockerignore` lines: comments and blanks dropped, patterns trimmed, a leading `/` removed.
pub fn parse_ignore(data: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(data)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (neg, pat) = l.strip_prefix('!').map_or(("", l), |p| ("!", p.trim()));
            let pat = pat.trim_start_matches('/');
            format!("{neg}{pat}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::BuildOptions;

    #[test]
    fn ignore_files_are_read_like_docker() {
        assert_eq!(
            parse_ignore(b"# c\n\n/target\n!keep.log\n *.tmp \n"),
            vec!["target", "!keep.log", "*.tmp"]
        );
    }

    #[test]
    fn the_file_beside_the_stagefile_wins_and_ignore_comes_last() {
        let src = b"ignore: [\"*.log\"]\nstages:\n  a:\n    from: scratch\n";
        let (_, plan) = crate::compile::plan(src, &BuildOptions::default()).unwrap();
        assert_eq!(
            excludes(Some(b"own\n"), Some(b"context\n"), &plan),
            ["own", "*.log"]
        );
        assert_eq!(
            excludes(None, Some(b"context\n"), &plan),
            ["context", "*.log"]
        );
        assert_eq!(excludes(None, None, &plan), ["*.log"]);
    }
}
