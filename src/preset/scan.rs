//! Reading a file's preset stages before the real parse: which stages use `preset:`,
//! their keys, and where each stage's lines are, without reading the rest of the format.

use super::PresetKeys;
use crate::spec::{OrderedMap, Short, Spanned};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;

/// The file as far as presets care: its stages (other top-level keys are skipped).
#[derive(Deserialize)]
pub struct Scan {
    #[serde(default)]
    pub stages: Option<Spanned<OrderedMap<ScanStage>>>,
}

/// One stage: its `preset:` value if it has one, and the other keys it sets.
pub struct ScanStage {
    pub preset: Option<Spanned<Short<PresetKeys>>>,
    /// Where the `preset` key is: generated lines are placed there.
    pub preset_key: crate::diag::Span,
    pub keys: Vec<Spanned<String>>,
}

impl<'de> Deserialize<'de> for ScanStage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ScanStage;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a stage mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ScanStage, A::Error> {
                let mut stage = ScanStage {
                    preset: None,
                    preset_key: crate::diag::Span::UNKNOWN,
                    keys: Vec::new(),
                };
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    if key.value == "preset" {
                        stage.preset = Some(map.next_value()?);
                        stage.preset_key = key.span;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                        stage.keys.push(key);
                    }
                }
                Ok(stage)
            }
            fn visit_unit<E: de::Error>(self) -> Result<ScanStage, E> {
                Ok(ScanStage {
                    preset: None,
                    preset_key: crate::diag::Span::UNKNOWN,
                    keys: Vec::new(),
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// 1-based numbers of the lines that start a top-level key (`stages:`, `args:`, …).
pub fn top_level_lines(text: &str) -> Vec<u32> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            line.chars()
                .next()
                .is_some_and(|c| !c.is_whitespace() && !matches!(c, '#' | '-' | '}' | ']'))
                && line.contains(':')
        })
        .map(|(i, _)| i as u32 + 1)
        .collect()
}

/// The last line of the stage whose key is on line `start`: the line before `next`
/// (the next stage's key, or the next top-level key, or past the end), without the blank
/// and comment lines just before it (they introduce what follows).
pub fn stage_end(lines: &[&str], start: u32, next: u32) -> u32 {
    let mut end = next - 1;
    while end > start {
        let line = lines[end as usize - 1].trim();
        if line.is_empty() || line.starts_with('#') {
            end -= 1;
        } else {
            break;
        }
    }
    end
}
