//! Paths inside a stage: joining onto the working directory, cleaning, copy
//! destinations, and the pieces of a glob.

use crate::image::Image;

pub(super) fn current_dir(image: &Image) -> String {
    if image.config.working_dir.is_empty() {
        "/".to_owned()
    } else {
        image.config.working_dir.clone()
    }
}

/// Joins `path` onto `dir` unless it is absolute; `.` and `..` are resolved, and a
/// trailing `/` is kept because it means "into this directory" for copies.
pub(super) fn join(dir: &str, path: &str) -> String {
    let trailing = path.ends_with('/') || path == "." || path.ends_with("/.");
    let full = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("{dir}/{path}")
    };
    let mut out = clean_abs(&full);
    if trailing && out != "/" {
        out.push('/');
    }
    out
}

/// Normalises a path to an absolute one without `.`/`..`/`//` (never above `/`).
pub(super) fn clean_abs(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

pub(super) fn dest_path(workdir: &str, to: Option<&str>, many: bool) -> String {
    let mut d = match to {
        None => {
            let mut w = clean_abs(workdir);
            if w != "/" {
                w.push('/');
            }
            w
        }
        Some(t) => join(workdir, t),
    };
    if many && !d.ends_with('/') {
        d.push('/');
    }
    d
}

/// `/a/b/*.txt` → (`/a/b`, `*.txt`); the root's directory is `/`.
pub(super) fn split_last(path: &str) -> (&str, &str) {
    match path.rsplit_once('/') {
        Some(("", last)) => ("/", last),
        Some((dir, last)) => (dir, last),
        None => ("/", path),
    }
}

pub(super) fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

pub(super) fn basename(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_paths_like_a_dockerfile() {
        assert_eq!(join("/src", "out"), "/src/out");
        assert_eq!(join("/src", "/abs"), "/abs");
        assert_eq!(join("/src", "."), "/src/");
        assert_eq!(join("/src", "a/../b/"), "/src/b/");
        assert_eq!(join("/", "../../x"), "/x");
        assert_eq!(dest_path("/app", None, false), "/app/");
        assert_eq!(dest_path("/", None, false), "/");
        assert_eq!(dest_path("/app", Some("bin"), true), "/app/bin/");
        assert_eq!(dest_path("/app", Some("/server"), false), "/server");
    }
}
