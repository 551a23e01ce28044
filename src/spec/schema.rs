//! JSON Schema of the format, generated from the same types the parser uses, so the
//! two cannot drift apart. Editors use it for completion and validation.

use super::de::{Command, OneOrMany, OrderedMap, Short, Spanned, Text};
use super::{Stage, Stagefile};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use std::borrow::Cow;

/// The schema as pretty JSON.
pub fn schema() -> String {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    // Referenced from the `preset` key that `preset_or_from` adds to stages.
    generator.subschema_for::<crate::preset::PresetKeys>();
    let mut schema = generator.root_schema_for::<Stagefile>();
    schema.insert("title".into(), "Stagefile".into());
    schema.insert(
        "description".into(),
        "A declarative multi-stage container build, version 1".into(),
    );
    let mut text = serde_json::to_string_pretty(&schema).expect("schema serialises");
    text.push('\n');
    text
}

/// Stage names as `plan::valid_stage_name` accepts them, so editors flag `Build:`.
pub const STAGE_NAME_PATTERN: &str = "^[a-z0-9][a-z0-9._-]*$";

/// `stages`: an ordered map whose keys are stage names.
pub(super) fn stage_map(generator: &mut SchemaGenerator) -> Schema {
    let stage = generator.subschema_for::<Stage>();
    json_schema!({
        "type": "object",
        "minProperties": 1,
        "propertyNames": { "pattern": STAGE_NAME_PATTERN, "maxLength": 128 },
        "additionalProperties": stage
    })
}

/// `check.skip`: one lint rule name, `all`, or a list of rule names.
pub(super) fn lint_rules(_: &mut SchemaGenerator) -> Schema {
    let mut names: Vec<&str> = crate::lint::RULES.iter().map(|(name, _)| *name).collect();
    names.push("all");
    json_schema!({
        "anyOf": [
            { "enum": names },
            { "type": "array", "items": { "enum": names } },
            { "type": "null" }
        ]
    })
}

/// A stage has a `from`, or is a preset stage (`preset`, and at most a `description`):
/// presets are expanded before the stage is read (see `crate::preset`), so the parser's
/// `Stage` has no such key; the schema describes the file as users write it.
pub(super) fn preset_or_from(schema: &mut Schema) {
    let preset = serde_json::json!({
        "description": "Stands for the stages a careful engineer writes for one ecosystem (`stagefile expand` prints them): go, node, python, rust or java, or a mapping with the preset's keys",
        "anyOf": [
            { "enum": crate::preset::PRESETS },
            { "$ref": "#/$defs/PresetKeys" }
        ]
    });
    if let Some(props) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) {
        props.insert("preset".into(), preset);
    }
    schema.remove("required");
    schema.insert(
        "oneOf".into(),
        serde_json::json!([
            { "required": ["from"], "not": { "required": ["preset"] } },
            {
                "required": ["preset"],
                "propertyNames": { "enum": ["preset", "description"] }
            }
        ]),
    );
}

/// A step has exactly one of `run`, `copy`, `add` and `file`: a step with two matches
/// two branches, which `oneOf` refuses.
pub(super) fn one_step_kind(schema: &mut Schema) {
    let one_of: Vec<serde_json::Value> = super::STEP_KINDS
        .iter()
        .map(|kind| serde_json::json!({ "required": [kind] }))
        .collect();
    schema.insert("oneOf".into(), one_of.into());
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

impl JsonSchema for Text {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Text".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["string", "number", "boolean"] })
    }
}

impl<V: JsonSchema> JsonSchema for OrderedMap<V> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Map_of_{}", V::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let values = generator.subschema_for::<V>();
        json_schema!({ "type": ["object", "null"], "additionalProperties": values })
    }
}

impl<T: JsonSchema> JsonSchema for OneOrMany<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("OneOrMany_{}", T::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let one = generator.subschema_for::<T>();
        json_schema!({ "anyOf": [one, { "type": "array", "items": one }] })
    }
}

impl<T: JsonSchema> JsonSchema for Short<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Short_{}", T::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let full = generator.subschema_for::<T>();
        json_schema!({ "anyOf": [{ "type": ["string", "boolean"] }, full] })
    }
}

impl JsonSchema for Command {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Command".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A string run by the shell, or a list of arguments (exec form)",
            "anyOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": ["string", "number", "boolean"] } }
            ]
        })
    }
}
