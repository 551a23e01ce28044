//! Reading BuildKit's `--progress=plain` output: vertices and whether each was CACHED or
//! ran, the build steps a frontend named, bytes of context sent, and the Stagefile lines
//! an error names. Standard library only: `hack/bench` uses it too, through the
//! `benchtool` example, so the figures it reports are read the way the tests read them.

use std::collections::BTreeMap;

/// Line numbers named in build output as `Stagefile:N` or `line N`.
pub fn named_lines(output: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    for marker in ["Stagefile:", "line "] {
        for (at, _) in output.match_indices(marker) {
            let digits: String = output[at + marker.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse() {
                lines.push(n);
            }
        }
    }
    lines.sort_unstable();
    lines.dedup();
    lines
}

/// Vertices of `--progress=plain` output: name (first line of each `#N`) → cached.
pub fn vertices(output: &str) -> BTreeMap<u32, (String, bool)> {
    let mut vertices: BTreeMap<u32, (String, bool)> = BTreeMap::new();
    for line in output.lines() {
        let Some(rest) = line.strip_prefix('#') else {
            continue;
        };
        let Some((id, text)) = rest.split_once(' ') else {
            continue;
        };
        let Ok(id) = id.parse::<u32>() else { continue };
        let entry = vertices
            .entry(id)
            .or_insert_with(|| (text.to_owned(), false));
        if text.trim() == "CACHED" {
            entry.1 = true;
        }
    }
    vertices
}

/// The one vertex whose name contains `needle`: (name, cached).
pub fn vertex(output: &str, needle: &str) -> (String, bool) {
    let found: Vec<(String, bool)> = vertices(output)
        .into_values()
        .filter(|(name, _)| name.contains(needle))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one build step named like {needle:?}, found {found:?} in:\n{output}"
    );
    found.into_iter().next().unwrap()
}

/// Bytes each vertex of `--progress=plain` output reports as `transferring context: N`
/// (its last report): (vertex name, bytes), in vertex order.
pub fn context_transfers(output: &str) -> Vec<(String, u64)> {
    transfers(output, "context")
}

/// Like `context_transfers`, for `transferring KIND: N` lines (`context`, `dockerfile`).
pub fn transfers(output: &str, kind: &str) -> Vec<(String, u64)> {
    let prefix = format!("transferring {kind}: ");
    let mut names: BTreeMap<u32, String> = BTreeMap::new();
    let mut bytes: BTreeMap<u32, u64> = BTreeMap::new();
    for line in output.lines() {
        let Some((id, text)) = line.strip_prefix('#').and_then(|rest| rest.split_once(' ')) else {
            continue;
        };
        let Ok(id) = id.parse::<u32>() else { continue };
        names.entry(id).or_insert_with(|| text.to_owned());
        if let Some(size) = text.strip_prefix(prefix.as_str()) {
            let size = size.split_whitespace().next().unwrap_or("");
            let parsed = parse_size(size)
                .unwrap_or_else(|| panic!("cannot read the size {size:?} in {line:?}"));
            bytes.insert(id, parsed);
        }
    }
    bytes
        .into_iter()
        .map(|(id, n)| (names.remove(&id).unwrap_or_default(), n))
        .collect()
}

/// A size as BuildKit's progress prints it (`42B`, `1.05kB`, `104.86MB`, `2GiB`).
pub fn parse_size(text: &str) -> Option<u64> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor: f64 = match unit {
        "B" | "" => 1.0,
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some((number * factor).round() as u64)
}

/// What became of a build step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepState {
    /// Loaded from the cache.
    Cached,
    /// Run (its vertex reported DONE without CACHED).
    Ran,
    /// Neither reported (failed, or cancelled).
    Other,
}

/// Seconds each vertex of `--progress=plain` output took, from its `DONE 1.2s` line:
/// (vertex name, seconds), in vertex order; vertices that did not finish are left out.
pub fn durations(output: &str) -> Vec<(String, f64)> {
    let mut names: BTreeMap<u32, String> = BTreeMap::new();
    let mut seconds: BTreeMap<u32, f64> = BTreeMap::new();
    for line in output.lines() {
        let Some((id, text)) = line.strip_prefix('#').and_then(|rest| rest.split_once(' ')) else {
            continue;
        };
        let Ok(id) = id.parse::<u32>() else { continue };
        names.entry(id).or_insert_with(|| text.to_owned());
        if let Some(Ok(time)) = text
            .strip_prefix("DONE ")
            .and_then(|t| t.strip_suffix('s'))
            .map(|t| t.trim().parse::<f64>())
        {
            seconds.insert(id, time);
        }
    }
    seconds
        .into_iter()
        .map(|(id, s)| (names.remove(&id).unwrap_or_default(), s))
        .collect()
}

/// The steps of a build in the order they first appear: the vertices named `[stage …]`
/// (without `[internal]` ones and base image sources, which are resolved, not run), and
/// the export when `with_export`.
pub fn steps(output: &str, with_export: bool) -> Vec<(String, StepState)> {
    let mut order: Vec<u32> = Vec::new();
    let mut seen: BTreeMap<u32, (String, StepState)> = BTreeMap::new();
    for line in output.lines() {
        let Some((id, text)) = line.strip_prefix('#').and_then(|rest| rest.split_once(' ')) else {
            continue;
        };
        let Ok(id) = id.parse::<u32>() else { continue };
        let entry = seen.entry(id).or_insert_with(|| {
            order.push(id);
            (text.to_owned(), StepState::Other)
        });
        if text.trim() == "CACHED" {
            entry.1 = StepState::Cached;
        } else if text.starts_with("DONE ") && entry.1 != StepState::Cached {
            entry.1 = StepState::Ran;
        }
    }
    order
        .into_iter()
        .filter_map(|id| seen.remove(&id))
        .filter(|(name, _)| {
            let step = name.starts_with('[')
                && !name.starts_with("[internal]")
                && !name.contains("] FROM ");
            step || (with_export && name.starts_with("exporting to "))
        })
        .collect()
}
