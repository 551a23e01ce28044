//! Deserialization helpers for the shapes the format allows: ordered maps with located
//! keys, "one or many" fields, scalars read as text, and string-or-list commands.

use crate::diag::Span;
use serde::Deserialize;
use serde::de::{self, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// A value with the place in the file it was read from.
///
/// Read through serde-saphyr's span type, and kept as the crate's own span so that text a
/// preset generated can be placed at the user's line (see [`with_line_map`]). The wrapper
/// is transparent in the JSON Schema.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = serde_saphyr::Spanned::<T>::deserialize(d)?;
        let loc = s.referenced;
        let span = Span::new(
            loc.line() as u32,
            loc.column() as u32,
            loc.span().len().min(u32::MAX as u64) as u32,
        );
        Ok(Spanned {
            value: s.value,
            span: remap(span),
        })
    }
}

/// Where each line of a parsed text came from, when it is not the user's file as written.
pub trait LineMap {
    /// The place in the user's file for a place in the parsed text.
    fn place(&self, span: Span) -> Span;
}

thread_local! {
    static LINE_MAP: std::cell::RefCell<Option<std::rc::Rc<dyn LineMap>>> =
        const { std::cell::RefCell::new(None) };
    /// The file id every span read is marked with (0: the Stagefile).
    static FILE: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Runs `parse` with every span it reads marked as being in file `file` of the build.
pub fn in_file<R>(file: u32, parse: impl FnOnce() -> R) -> R {
    let previous = FILE.with(|f| f.replace(file));
    let out = parse();
    FILE.with(|f| f.set(previous));
    out
}

/// Runs `parse` with every span it reads placed by `map` (text generated from a preset
/// is placed at the user's `preset:` line; the user's own lines at their lines).
pub fn with_line_map<R>(map: std::rc::Rc<dyn LineMap>, parse: impl FnOnce() -> R) -> R {
    let previous = LINE_MAP.with(|m| m.replace(Some(map)));
    let out = parse();
    LINE_MAP.with(|m| *m.borrow_mut() = previous);
    out
}

/// A span of the parsed text placed in the user's file (itself, without a line map).
pub fn remap(span: Span) -> Span {
    let placed = LINE_MAP.with(|m| match &*m.borrow() {
        Some(map) => map.place(span),
        None => span,
    });
    placed.in_file(FILE.with(std::cell::Cell::get))
}

/// The place a located value was read from.
pub fn span_of<T>(s: &Spanned<T>) -> Span {
    s.span
}

/// A YAML mapping whose entry order matters (stages, args, env), keys located.
#[derive(Debug)]
pub struct OrderedMap<V>(pub Vec<(Spanned<String>, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<V> OrderedMap<V> {
    pub fn iter(&self) -> impl Iterator<Item = (&Spanned<String>, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k.value == key).map(|(_, v)| v)
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OrderedMap(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    out.push((key, map.next_value()?));
                }
                Ok(OrderedMap(out))
            }
        }
        d.deserialize_map(MapVisitor(PhantomData))
    }
}

/// Any YAML scalar kept as its text (`8080`, `1.20`, `true`, `0755`), as a Dockerfile user expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Text)
    }
}

/// One value or a list of them; items keep their own span when the YAML gives one.
#[derive(Debug)]
pub struct OneOrMany<T>(pub Vec<(T, Option<Span>)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value or a list of values")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<T>>()? {
                    let span = span_of(&item);
                    out.push((item.value, Some(span)));
                }
                Ok(OneOrMany(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let one = T::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(OneOrMany(vec![(one, None)]))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let one = T::deserialize(v.into_deserializer())?;
                Ok(OneOrMany(vec![(one, None)]))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                self.visit_str(if v { "true" } else { "false" })
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                self.visit_str(&v.to_string())
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// Each item of a located one-or-many value with its place: its own when it has one (list
/// items), else the place of the whole value.
pub fn items<T>(v: &Spanned<OneOrMany<T>>) -> impl Iterator<Item = (&T, Span)> {
    let outer = span_of(v);
    v.value
        .0
        .iter()
        .map(move |(item, span)| (item, span.unwrap_or(outer)))
}

/// `run`, `entrypoint`, `cmd`: a string for the shell, or a list for exec form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Shell(String),
    Exec(Vec<String>),
}

impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Command;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a command string or a list of arguments")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Command, E> {
                Ok(Command::Shell(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Command, A::Error> {
                let mut args = Vec::new();
                while let Some(Text(a)) = seq.next_element::<Text>()? {
                    args.push(a);
                }
                Ok(Command::Exec(args))
            }
        }
        d.deserialize_any(V)
    }
}

/// A struct that may also be written as a single string: the string fills its main
/// field (`cache: /root/.cache` means `{target: /root/.cache}`).
pub trait FromShorthand: Sized {
    fn from_shorthand(s: String) -> Self;
}

/// Wrapper that accepts either the shorthand string or the full mapping of `T`.
#[derive(Debug)]
pub struct Short<T>(pub T);

impl<'de, T: FromShorthand + Deserialize<'de>> Deserialize<'de> for Short<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: FromShorthand + Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Short<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a mapping")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Short(T::from_shorthand(v.to_owned())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Short(T::from_shorthand(v.to_string())))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Short)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A located value made from shorthand text, whose location is filled in later.
pub fn unlocated<T>(value: T) -> Spanned<T> {
    Spanned {
        value,
        span: Span::UNKNOWN,
    }
}
