//! Protobuf fields written by hand from borrowed values, in the order a message lists
//! them. The same field list both measures a message (for its length prefix) and writes
//! it, so the two cannot disagree. proto3 leaves out scalars at their default, as prost
//! and BuildKit's own marshaller do.

use prost::encoding::{self, WireType};

/// Where fields go: counted, or written.
pub(super) trait Sink {
    fn key(&mut self, tag: u32, wire_type: WireType);
    fn varint(&mut self, value: u64);
    fn raw(&mut self, bytes: &[u8]);
    /// An embedded message; written even when it has no fields.
    fn message(&mut self, tag: u32, m: &dyn Fields);
}

/// A message's fields, in field-number order.
pub(super) trait Fields {
    fn fields(&self, s: &mut dyn Sink);
}

struct Counter(usize);

impl Sink for Counter {
    fn key(&mut self, tag: u32, _: WireType) {
        self.0 += encoding::key_len(tag);
    }
    fn varint(&mut self, value: u64) {
        self.0 += encoding::encoded_len_varint(value);
    }
    fn raw(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
    /// Measured once: a nested message is not walked again for each level above it.
    fn message(&mut self, tag: u32, m: &dyn Fields) {
        let len = measure(m);
        self.0 += encoding::key_len(tag) + encoding::encoded_len_varint(len as u64) + len;
    }
}

impl Sink for Vec<u8> {
    fn key(&mut self, tag: u32, wire_type: WireType) {
        encoding::encode_key(tag, wire_type, self);
    }
    fn varint(&mut self, value: u64) {
        encoding::encode_varint(value, self);
    }
    fn raw(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    fn message(&mut self, tag: u32, m: &dyn Fields) {
        let len = measure(m);
        self.key(tag, WireType::LengthDelimited);
        self.varint(len as u64);
        m.fields(self);
    }
}

fn measure(m: &dyn Fields) -> usize {
    let mut len = Counter(0);
    m.fields(&mut len);
    len.0
}

fn varint_field(s: &mut dyn Sink, tag: u32, value: u64) {
    s.key(tag, WireType::Varint);
    s.varint(value);
}

fn len_field(s: &mut dyn Sink, tag: u32, bytes: &[u8]) {
    s.key(tag, WireType::LengthDelimited);
    s.varint(bytes.len() as u64);
    s.raw(bytes);
}

pub(super) fn message(s: &mut dyn Sink, tag: u32, m: &dyn Fields) {
    s.message(tag, m);
}

pub(super) fn string(s: &mut dyn Sink, tag: u32, value: &str) {
    if !value.is_empty() {
        len_field(s, tag, value.as_bytes());
    }
}

/// A repeated string: every element, empty or not.
pub(super) fn strings(s: &mut dyn Sink, tag: u32, values: &[String]) {
    for v in values {
        len_field(s, tag, v.as_bytes());
    }
}

pub(super) fn bytes(s: &mut dyn Sink, tag: u32, value: &[u8]) {
    if !value.is_empty() {
        len_field(s, tag, value);
    }
}

pub(super) fn bool(s: &mut dyn Sink, tag: u32, value: bool) {
    if value {
        varint_field(s, tag, 1);
    }
}

/// Negative values take ten bytes, sign-extended, as protobuf's int32 does.
pub(super) fn int32(s: &mut dyn Sink, tag: u32, value: i32) {
    if value != 0 {
        varint_field(s, tag, i64::from(value) as u64);
    }
}

pub(super) fn int64(s: &mut dyn Sink, tag: u32, value: i64) {
    if value != 0 {
        varint_field(s, tag, value as u64);
    }
}

/// A oneof member: present even at zero.
pub(super) fn uint32_always(s: &mut dyn Sink, tag: u32, value: u32) {
    varint_field(s, tag, u64::from(value));
}
