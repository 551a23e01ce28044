//! A small YAML writer for the converted Stagefile: mappings keep their order, comments
//! sit above the entries and items they belong to, and every scalar is written so that
//! YAML reads back the same text (quoted when YAML would read it as something else).

/// A value to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Str(String),
    /// Nothing after the colon: YAML's null.
    Null,
    /// A long one-line command written folded, one piece per line; the value is the
    /// pieces joined by single spaces.
    Folded(Vec<String>),
    Bool(bool),
    Int(u64),
    Seq(Vec<Item>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub value: Node,
    /// Comment lines above the entry, without `#`.
    pub comments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub node: Node,
    pub comments: Vec<String>,
}

impl Node {
    pub fn str(s: impl Into<String>) -> Node {
        Node::Str(s.into())
    }

    pub fn seq(items: impl IntoIterator<Item = Node>) -> Node {
        Node::Seq(items.into_iter().map(Item::from).collect())
    }

    pub fn strs<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Node {
        Node::seq(items.into_iter().map(|s| Node::Str(s.into())))
    }
}

impl From<Node> for Item {
    fn from(node: Node) -> Item {
        Item {
            node,
            comments: Vec::new(),
        }
    }
}

impl Entry {
    pub fn new(key: impl Into<String>, value: Node) -> Entry {
        Entry {
            key: key.into(),
            value,
            comments: Vec::new(),
        }
    }
}

/// Keys whose mapping is written on one line when it fits: the options of a step.
const FLOW_MAP_KEYS: [&str; 5] = ["cache", "secret", "ssh", "tmpfs", "mount"];

/// The longest line a flow collection (`[a, b]`, `{ a: b }`) may make.
const FLOW_WIDTH: usize = 96;

/// Writes a document: the header lines (comments, as given), then the top mapping.
pub fn document(header: &[String], root: &[Entry]) -> String {
    let mut out = String::new();
    for line in header {
        out.push_str(line);
        out.push('\n');
    }
    map(&mut out, root, 0);
    out
}

fn comments(out: &mut String, lines: &[String], indent: usize) {
    for line in lines {
        out.push_str(&" ".repeat(indent));
        out.push('#');
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn map(out: &mut String, entries: &[Entry], indent: usize) {
    for (i, e) in entries.iter().enumerate() {
        comments(out, &e.comments, indent);
        // The first entry of a sequence item follows its `- ` on the same line.
        if !(i == 0 && out.ends_with("- ")) {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&scalar(&e.key, false));
        out.push(':');
        value(
            out,
            &e.value,
            indent,
            FLOW_MAP_KEYS.contains(&e.key.as_str()),
        );
    }
}

/// The value after `key:`; `indent` is the key's column.
fn value(out: &mut String, node: &Node, indent: usize, flow_key: bool) {
    match node {
        Node::Seq(items) if items.is_empty() => out.push_str(" []\n"),
        Node::Map(entries) if entries.is_empty() => out.push_str(" {}\n"),
        Node::Null => out.push('\n'),
        Node::Seq(items) => {
            if let Some(flow) = flow(node, indent) {
                out.push(' ');
                out.push_str(&flow);
                out.push('\n');
            } else {
                out.push('\n');
                seq(out, items, indent + 2, flow_key);
            }
        }
        Node::Map(entries) => match flow(node, indent).filter(|_| flow_key) {
            Some(flow) => {
                out.push(' ');
                out.push_str(&flow);
                out.push('\n');
            }
            None => {
                out.push('\n');
                map(out, entries, indent + 2);
            }
        },
        other => {
            out.push(' ');
            inline(out, other, indent + 2);
        }
    }
}

fn seq(out: &mut String, items: &[Item], indent: usize, flow_items: bool) {
    for item in items {
        comments(out, &item.comments, indent);
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        match &item.node {
            Node::Map(entries) if !entries.is_empty() => {
                match flow(&item.node, indent).filter(|_| flow_items) {
                    Some(flow) => {
                        out.push_str(&flow);
                        out.push('\n');
                    }
                    None => map(out, entries, indent + 2),
                }
            }
            Node::Seq(items) if !items.is_empty() => {
                out.push('\n');
                seq(out, items, indent + 2, false);
            }
            other => inline(out, other, indent + 2),
        }
    }
}

/// A scalar (or an empty collection) after `key: ` or `- `, ending the line; block
/// scalars are indented to `indent`.
fn inline(out: &mut String, node: &Node, indent: usize) {
    match node {
        Node::Str(s) => match block(s, indent) {
            Some(b) => out.push_str(&b),
            None => {
                out.push_str(&scalar(s, false));
                out.push('\n');
            }
        },
        Node::Folded(pieces) => {
            if pieces.iter().all(|p| foldable(p)) && pieces.len() > 1 {
                out.push_str(">-\n");
                for p in pieces {
                    out.push_str(&" ".repeat(indent));
                    out.push_str(p);
                    out.push('\n');
                }
            } else {
                inline(out, &Node::Str(pieces.join(" ")), indent);
            }
        }
        Node::Null => out.push_str("null\n"),
        Node::Bool(b) => {
            out.push_str(if *b { "true" } else { "false" });
            out.push('\n');
        }
        Node::Int(n) => {
            out.push_str(&n.to_string());
            out.push('\n');
        }
        Node::Seq(_) => out.push_str("[]\n"),
        Node::Map(_) => out.push_str("{}\n"),
    }
}

/// A piece of a folded scalar must come back as itself.
fn foldable(piece: &str) -> bool {
    !piece.is_empty()
        && !piece.starts_with([' ', '\t'])
        && !piece.ends_with([' ', '\t'])
        && piece.chars().all(|c| !c.is_control())
}

/// `[a, b]` or `{ a: b }` when every value is a one-line scalar and it fits.
fn flow(node: &Node, indent: usize) -> Option<String> {
    let text = match node {
        Node::Seq(items) => {
            let mut parts = Vec::new();
            for item in items {
                if !item.comments.is_empty() {
                    return None;
                }
                parts.push(flow_scalar(&item.node)?);
            }
            format!("[{}]", parts.join(", "))
        }
        Node::Map(entries) => {
            let mut parts = Vec::new();
            for e in entries {
                if !e.comments.is_empty() {
                    return None;
                }
                parts.push(format!(
                    "{}: {}",
                    scalar(&e.key, true),
                    flow_scalar(&e.value)?
                ));
            }
            format!("{{ {} }}", parts.join(", "))
        }
        _ => return None,
    };
    (indent + text.len() <= FLOW_WIDTH).then_some(text)
}

fn flow_scalar(node: &Node) -> Option<String> {
    match node {
        Node::Str(s) if !s.contains('\n') => Some(scalar(s, true)),
        Node::Bool(b) => Some(b.to_string()),
        Node::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A literal block scalar (`|`, `|-`, `|+`) for multi-line text that survives it.
fn block(s: &str, indent: usize) -> Option<String> {
    if !s.contains('\n') {
        return None;
    }
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    let lines: Vec<&str> = body.split('\n').collect();
    let unsafe_char = |c: char| c.is_control() && c != '\t' && c != '\n';
    // A blank-looking line with spaces, or a control character, cannot be kept.
    if s.chars().any(unsafe_char)
        || lines
            .iter()
            .any(|l| !l.is_empty() && l.trim_matches([' ', '\t']).is_empty())
        || body.is_empty()
    {
        return None;
    }
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let first = lines.iter().find(|l| !l.is_empty()).copied().unwrap_or("");
    let indicator = if first.starts_with([' ', '\t']) {
        "2"
    } else {
        ""
    };
    if first.starts_with('\t') {
        return None;
    }
    let mut out = format!("|{indicator}{chomp}\n");
    for l in &lines {
        if !l.is_empty() {
            out.push_str(&" ".repeat(indent));
            out.push_str(l);
        }
        out.push('\n');
    }
    for _ in 1..trailing {
        out.push('\n');
    }
    Some(out)
}

/// A one-line scalar: plain when YAML reads it back as this same text, else quoted.
pub fn scalar(s: &str, in_flow: bool) -> String {
    if plain_ok(s, in_flow) {
        s.to_owned()
    } else if !s
        .chars()
        .any(|c| c.is_control() || c == '\'' || !printable(c))
    {
        format!("'{s}'")
    } else {
        double_quoted(s)
    }
}

fn printable(c: char) -> bool {
    !matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}') && !c.is_control()
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if !printable(c) => {
                let n = c as u32;
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02x}"));
                } else {
                    out.push_str(&format!("\\u{n:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn plain_ok(s: &str, in_flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.starts_with([' ', '\t']) || s.ends_with([' ', '\t', ':']) {
        return false;
    }
    if s.chars().any(|c| !printable(c) || c == '\t') {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s == "<<" {
        return false;
    }
    if in_flow && s.contains([',', '[', ']', '{', '}']) {
        return false;
    }
    let second = s.chars().nth(1);
    let indicator = match first {
        '-' => second.is_none_or(|c| c == ' ' || (in_flow && ",[]{}".contains(c))),
        '?' | ':' => true,
        '[' | ']' | '{' | '}' | ',' | '#' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%'
        | '@' | '`' => true,
        _ => false,
    };
    !indicator && !reserved(s)
}

/// Words and numbers YAML (1.1 or 1.2) would read as something other than text.
fn reserved(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "null"
            | "~"
            | "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | ".inf"
            | "-.inf"
            | "+.inf"
            | ".nan"
    ) {
        return true;
    }
    let body = s.trim_start_matches(['-', '+']);
    if let Some(digits) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0o")) {
        return digits.chars().all(|c| c.is_ascii_hexdigit() || c == '_');
    }
    body.contains(|c: char| c.is_ascii_digit())
        && body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '_' | ':' | '+' | '-' | 'e' | 'E'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_quoted_when_yaml_would_misread_them() {
        for (s, want) in [
            ("debian:bookworm", "debian:bookworm"),
            ("yes", "'yes'"),
            ("1.0", "'1.0'"),
            ("65532:65532", "'65532:65532'"),
            ("a: b", "'a: b'"),
            ("*x", "'*x'"),
            ("&x", "'&x'"),
            ("!x", "'!x'"),
            ("# c", "'# c'"),
            ("a #b", "'a #b'"),
            ("--port", "--port"),
            ("- x", "'- x'"),
            ("", "''"),
            ("it's", "it's"),
            ("'q", "\"'q\""),
            ("5s", "5s"),
            ("0x1F", "'0x1F'"),
            ("tab\there", "\"tab\\there\""),
            ("${X}", "${X}"),
            ("@x", "'@x'"),
            ("x:", "'x:'"),
        ] {
            assert_eq!(scalar(s, false), want, "{s}");
        }
        assert_eq!(scalar("a,b", true), "'a,b'");
    }

    #[test]
    fn blocks_and_flows() {
        let root = vec![
            Entry::new("list", Node::strs(["a", "b c"])),
            Entry::new("text", Node::str("one\n  two\n")),
            Entry::new("lead", Node::str("  x\ny")),
            Entry::new(
                "cmd",
                Node::Folded(vec!["apt-get update &&".into(), "apt-get install x".into()]),
            ),
            Entry {
                key: "steps".into(),
                value: Node::Seq(vec![Item {
                    node: Node::Map(vec![
                        Entry::new("run", Node::str("make")),
                        Entry::new("cache", Node::strs(["/a"])),
                    ]),
                    comments: vec![" build it".into()],
                }]),
                comments: vec![],
            },
        ];
        let text = document(&["# syntax=x".into()], &root);
        assert_eq!(
            text,
            "# syntax=x\nlist: [a, b c]\ntext: |\n  one\n    two\nlead: |2-\n    x\n  y\ncmd: >-\n  apt-get update &&\n  apt-get install x\nsteps:\n  # build it\n  - run: make\n    cache: [/a]\n"
        );
    }
}
