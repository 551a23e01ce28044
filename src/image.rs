//! OCI image config: inheritance from the base image, the stage's edits, history.

use crate::platform::Platform;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The image config JSON BuildKit's exporter reads (`containerimage.config`).
/// Unknown fields of a base image's config are carried through untouched.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Image {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub architecture: String,
    #[serde(default, deserialize_with = "nullable")]
    pub os: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub config: Config,
    #[serde(default, deserialize_with = "nullable")]
    pub rootfs: RootFs,
    #[serde(default, deserialize_with = "nullable")]
    pub history: Vec<History>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Config {
    #[serde(
        rename = "User",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub user: String,
    #[serde(
        rename = "ExposedPorts",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub exposed_ports: BTreeMap<String, Value>,
    #[serde(
        rename = "Env",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub env: Vec<String>,
    #[serde(
        rename = "Entrypoint",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub entrypoint: Option<Vec<String>>,
    #[serde(rename = "Cmd", default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(
        rename = "Volumes",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub volumes: BTreeMap<String, Value>,
    #[serde(
        rename = "WorkingDir",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub working_dir: String,
    #[serde(rename = "Labels", default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(
        rename = "StopSignal",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub stop_signal: String,
    #[serde(
        rename = "Healthcheck",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub healthcheck: Option<Healthcheck>,
    #[serde(rename = "Shell", default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Healthcheck {
    #[serde(rename = "Test", default, deserialize_with = "nullable")]
    pub test: Vec<String>,
    #[serde(
        rename = "Interval",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_zero"
    )]
    pub interval: i64,
    #[serde(
        rename = "Timeout",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_zero"
    )]
    pub timeout: i64,
    #[serde(
        rename = "StartPeriod",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_zero"
    )]
    pub start_period: i64,
    #[serde(
        rename = "StartInterval",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_zero"
    )]
    pub start_interval: i64,
    #[serde(
        rename = "Retries",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_zero_u32"
    )]
    pub retries: u32,
}

/// Go writes absent maps and lists as `null` (`"Volumes":null`); read those as empty.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, deserialize_with = "nullable")]
    pub diff_ids: Vec<String>,
}

impl Default for RootFs {
    fn default() -> Self {
        RootFs {
            kind: "layers".into(),
            diff_ids: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct History {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub created_by: String,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub comment: String,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub empty_layer: bool,
}

/// Comment BuildKit shows for history entries this frontend writes.
pub const HISTORY_COMMENT: &str = "stagefile.v1";

impl Image {
    /// The config of `FROM scratch`: nothing but a search path.
    pub fn scratch(platform: &Platform) -> Self {
        let mut img = Image::default();
        img.set_platform(platform);
        img.config.env = vec![format!("PATH={}", crate::llb::DEFAULT_PATH)];
        img
    }

    /// Parses a base image's config as BuildKit's resolver returns it.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let mut img: Image = serde_json::from_slice(bytes)
            .map_err(|e| format!("the image config is not valid JSON: {e}"))?;
        // The new image gets its own creation time; the base's would be misleading.
        img.created = None;
        Ok(img)
    }

    pub fn set_platform(&mut self, p: &Platform) {
        self.os = p.os.clone();
        self.architecture = p.arch.clone();
        self.variant = p.variant.clone();
    }

    pub fn env(&self, name: &str) -> Option<&str> {
        self.config.env.iter().rev().find_map(|e| {
            e.split_once('=')
                .filter(|(k, _)| *k == name)
                .map(|(_, v)| v)
        })
    }

    pub fn set_env(&mut self, name: &str, value: &str) {
        let entry = format!("{name}={value}");
        match self
            .config
            .env
            .iter_mut()
            .find(|e| e.split_once('=').is_some_and(|(k, _)| k == name))
        {
            Some(e) => *e = entry,
            None => self.config.env.push(entry),
        }
    }

    /// Env for processes in this image: the config's, with a search path if it has none.
    pub fn process_env(&self) -> Vec<String> {
        let mut env = self.config.env.clone();
        if self.env("PATH").is_none() {
            env.insert(0, format!("PATH={}", crate::llb::DEFAULT_PATH));
        }
        env
    }

    pub fn add_history(&mut self, created_by: String, empty_layer: bool) {
        self.history.push(History {
            created: None,
            created_by,
            comment: HISTORY_COMMENT.into(),
            empty_layer,
        });
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("image config serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_unknown_fields_and_drops_created() {
        let base = br#"{"created":"2020-01-01T00:00:00Z","architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"OnBuild":null,"Custom":1},"rootfs":{"type":"layers","diff_ids":["sha256:aa"]},"history":[{"created_by":"x"}],"moby.extra":true}"#;
        let img = Image::from_json(base).unwrap();
        assert!(img.created.is_none());
        let out: Value = serde_json::from_slice(&img.to_json()).unwrap();
        assert_eq!(out["config"]["Custom"], 1);
        assert_eq!(out["moby.extra"], true);
        assert_eq!(out["rootfs"]["diff_ids"][0], "sha256:aa");
    }

    #[test]
    fn go_nulls_read_as_empty() {
        // What `docker import` on Docker 20.10 writes.
        let base = br#"{"architecture":"amd64","os":"linux","config":{"Hostname":"","User":"","ExposedPorts":null,"Env":null,"Cmd":null,"Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"rootfs":{"type":"layers","diff_ids":["sha256:aa"]},"history":[{"created":"2026-01-01T00:00:00Z","created_by":null,"comment":"Imported from -"}]}"#;
        let img = Image::from_json(base).unwrap();
        assert!(img.config.env.is_empty() && img.config.volumes.is_empty());
        assert_eq!(img.history.len(), 1);
        assert!(img.config.labels.is_none());
        let out: Value = serde_json::from_slice(&img.to_json()).unwrap();
        assert!(out["config"].get("Volumes").is_none());
    }

    #[test]
    fn env_set_replaces_in_place() {
        let mut img = Image::scratch(&Platform::linux_amd64());
        img.set_env("A", "1");
        img.set_env("PATH", "/x");
        img.set_env("A", "2");
        assert_eq!(img.config.env, vec!["PATH=/x", "A=2"]);
        assert_eq!(img.env("A"), Some("2"));
    }
}
