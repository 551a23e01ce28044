//! The frontend's inputs from its environment: options, session, workers.

use crate::plan::{BuildOptions, NoCache};
use crate::platform::Platform;
use std::collections::BTreeMap;

/// Everything BuildKit passed through the environment.
#[derive(Debug, Default, Clone)]
pub struct Env {
    pub opts: BTreeMap<String, String>,
    pub session_id: String,
    /// The first worker's first platform: where `run` steps execute natively.
    pub worker_platform: Option<Platform>,
}

impl Env {
    pub fn from_process() -> Self {
        Self::from_vars(std::env::vars())
    }

    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut env = Env::default();
        for (k, v) in vars {
            if k.starts_with("BUILDKIT_FRONTEND_OPT_") {
                // Split at the first `=`: keys never hold one, values may.
                if let Some((key, value)) = v.split_once('=') {
                    env.opts.insert(key.to_owned(), value.to_owned());
                }
            } else if k == "BUILDKIT_SESSION_ID" {
                env.session_id = v;
            } else if k == "BUILDKIT_WORKERS" {
                env.worker_platform = worker_platform(&v);
            }
        }
        env
    }

    pub fn opt(&self, key: &str) -> Option<&str> {
        self.opts.get(key).map(String::as_str)
    }

    /// The Stagefile's name inside the `dockerfile` local.
    pub fn filename(&self) -> &str {
        self.opt("filename")
            .filter(|f| !f.is_empty())
            .unwrap_or("Dockerfile")
    }

    /// The requested target platforms (`--platform a,b`), else the worker's own.
    pub fn target_platforms(&self) -> Result<Vec<Platform>, String> {
        let mut out: Vec<Platform> = Vec::new();
        for p in self
            .opt("platform")
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let p = Platform::parse(p).map_err(|e| format!("option platform: {e}"))?;
            if !out.contains(&p) {
                out.push(p);
            }
        }
        if out.is_empty() {
            out.push(
                self.worker_platform
                    .clone()
                    .unwrap_or_else(Platform::linux_amd64),
            );
        }
        Ok(out)
    }

    pub fn build_options(&self) -> Result<BuildOptions, String> {
        let build_platform = self
            .worker_platform
            .clone()
            .unwrap_or_else(Platform::linux_amd64);
        let target_platform = match self.opt("platform").filter(|p| !p.is_empty()) {
            Some(list) => {
                let first = list.split(',').next().unwrap_or(list);
                Platform::parse(first).map_err(|e| format!("option platform: {e}"))?
            }
            None => build_platform.clone(),
        };
        let prefixed = |prefix: &str| -> BTreeMap<String, String> {
            self.opts
                .iter()
                .filter_map(|(k, v)| k.strip_prefix(prefix).map(|n| (n.to_owned(), v.clone())))
                .collect()
        };
        let no_cache = match self.opt("no-cache") {
            None => NoCache::None,
            Some("") => NoCache::All,
            Some(list) => NoCache::Stages(list.split(',').map(str::to_owned).collect()),
        };
        let mut named_contexts = BTreeMap::new();
        for (name, value) in prefixed("context:") {
            // `context:NAME::linux/arm64` targets one platform; the plain key covers all.
            if name.contains("::") {
                continue;
            }
            let source = crate::plan::named_context(&value)
                .map_err(|e| format!("--build-context {name}: {e}"))?;
            named_contexts.insert(name, source);
        }
        Ok(BuildOptions {
            target: self
                .opt("target")
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
            build_args: prefixed("build-arg:"),
            labels: prefixed("label:"),
            target_platform,
            build_platform,
            no_cache,
            named_contexts,
        })
    }
}

fn worker_platform(json: &str) -> Option<Platform> {
    let workers: serde_json::Value = serde_json::from_str(json).ok()?;
    let p = workers.get(0)?.get("Platforms")?.get(0)?;
    let os = p.get("os")?.as_str()?;
    let arch = p.get("architecture")?.as_str()?;
    let variant = p
        .get("variant")
        .and_then(|v| v.as_str())
        .filter(|v| !v.is_empty());
    let text = match variant {
        Some(v) => format!("{os}/{arch}/{v}"),
        None => format!("{os}/{arch}"),
    };
    Platform::parse(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_options_as_buildkit_sends_them() {
        let env = Env::from_vars([
            ("BUILDKIT_FRONTEND_OPT_0".to_owned(), "filename=Stagefile".to_owned()),
            ("BUILDKIT_FRONTEND_OPT_1".to_owned(), "build-arg:A=x=y".to_owned()),
            ("BUILDKIT_FRONTEND_OPT_2".to_owned(), "label:org.x=1".to_owned()),
            ("BUILDKIT_FRONTEND_OPT_3".to_owned(), "no-cache=".to_owned()),
            ("BUILDKIT_FRONTEND_OPT_4".to_owned(), "target=build".to_owned()),
            ("BUILDKIT_SESSION_ID".to_owned(), "sid".to_owned()),
            (
                "BUILDKIT_WORKERS".to_owned(),
                r#"[{"ID":"w","Platforms":[{"architecture":"arm64","os":"linux","variant":"v8"}]}]"#.to_owned(),
            ),
        ]);
        assert_eq!(env.filename(), "Stagefile");
        assert_eq!(env.session_id, "sid");
        let o = env.build_options().unwrap();
        assert_eq!(o.build_args["A"], "x=y");
        assert_eq!(o.labels["org.x"], "1");
        assert_eq!(o.no_cache, NoCache::All);
        assert_eq!(o.target.as_deref(), Some("build"));
        assert_eq!(o.build_platform.to_string(), "linux/arm64");
        assert_eq!(o.target_platform.to_string(), "linux/arm64");
    }
}
