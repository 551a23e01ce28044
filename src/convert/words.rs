//! Dockerfile words: splitting an instruction's arguments, and turning a word Docker
//! would expand (quotes removed, escapes resolved, `$NAME` replaced) into the text of a
//! Stagefile field the frontend expands the same way.
//!
//! Variable references keep their form: `${NAME}`, `$NAME`, `${NAME:-word}`,
//! `${NAME:+word}`, `${NAME-word}`, `${NAME+word}` mean the same in both formats. What
//! differs is the literal `$`: a Dockerfile writes it `\$` or inside single quotes, a
//! Stagefile writes it `$$`.

/// Splits `text` on blanks outside quotes; each word keeps its quotes and escapes, with
/// its byte offset.
pub fn split(text: &str, escape: char) -> Vec<(usize, String)> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut start = None;
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if quote.is_none() && (c == ' ' || c == '\t' || c == '\n') {
            if let Some(s) = start.take() {
                words.push((s, std::mem::take(&mut current)));
            }
            continue;
        }
        start.get_or_insert(i);
        current.push(c);
        if c == escape && quote != Some('\'') {
            if let Some((_, next)) = chars.next() {
                current.push(next);
            }
            continue;
        }
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, current));
    }
    words
}

/// `KEY=VALUE` pairs of `ENV` and `LABEL` (and `ARG`'s `NAME[=default]`), each with the
/// byte offset of its key; the legacy `ENV KEY value with spaces` gives one pair.
/// Keys and values are still Dockerfile words.
pub fn pairs(text: &str, escape: char, legacy: bool) -> Vec<(usize, String, Option<String>)> {
    let words = split(text, escape);
    if legacy
        && let Some((offset, first)) = words.first()
        && !first.contains('=')
    {
        let rest = text[offset + first.len()..].trim_start();
        let value = (!rest.is_empty() || words.len() > 1).then(|| rest.to_owned());
        return vec![(*offset, first.clone(), value)];
    }
    words
        .into_iter()
        .map(|(offset, w)| match split_eq(&w, escape) {
            Some((k, v)) => (offset, k.to_owned(), Some(v.to_owned())),
            None => (offset, w, None),
        })
        .collect()
}

/// Splits at the first `=` outside quotes and escapes.
fn split_eq(word: &str, escape: char) -> Option<(&str, &str)> {
    let mut quote = None;
    let mut escaped = false;
    for (i, c) in word.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (q, c) if c == escape && q != Some('\'') => escaped = true,
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '=') => return Some((&word[..i], &word[i + 1..])),
            _ => {}
        }
    }
    None
}

/// The text of a Dockerfile word once quotes and escapes are resolved, with no variable
/// expanded: for names, which neither format expands.
pub fn literal(word: &str, escape: char) -> Result<String, String> {
    let text = to_stagefile(word, escape)?;
    Ok(text.replace("$$", "$"))
}

/// The Stagefile text of a Dockerfile word: quotes removed, escapes resolved, variable
/// references kept, literal `$` written `$$`. An operator a Stagefile lacks is an error.
pub fn to_stagefile(word: &str, escape: char) -> Result<String, String> {
    let mut out = Out::default();
    let chars: Vec<char> = word.chars().collect();
    let mut i = 0;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some('\'') => {
                if c == '\'' {
                    quote = None;
                } else {
                    out.literal(c);
                }
                i += 1;
            }
            Some(_) => {
                if c == '"' {
                    quote = None;
                    i += 1;
                } else if c == escape {
                    match chars.get(i + 1) {
                        Some(&n) if n == '"' || n == '$' || n == escape => {
                            out.literal(n);
                            i += 2;
                        }
                        _ => {
                            out.literal(c);
                            i += 1;
                        }
                    }
                } else if c == '$' {
                    i = variable(&chars, i, escape, &mut out)?;
                } else {
                    out.literal(c);
                    i += 1;
                }
            }
            None => {
                if c == '\'' || c == '"' {
                    quote = Some(c);
                    i += 1;
                } else if c == escape {
                    if let Some(&n) = chars.get(i + 1) {
                        out.literal(n);
                    }
                    i += 2;
                } else if c == '$' {
                    i = variable(&chars, i, escape, &mut out)?;
                } else {
                    out.literal(c);
                    i += 1;
                }
            }
        }
    }
    Ok(out.text)
}

#[derive(Default)]
struct Out {
    text: String,
    /// Where an unbraced `$NAME` just written starts, to add braces if a name character
    /// follows it.
    open: Option<usize>,
}

impl Out {
    fn literal(&mut self, c: char) {
        if let Some(start) = self.open.take()
            && (c.is_ascii_alphanumeric() || c == '_')
        {
            let name = self.text.split_off(start + 1);
            self.text.push('{');
            self.text.push_str(&name);
            self.text.push('}');
        }
        if c == '$' {
            self.text.push_str("$$");
        } else {
            self.text.push(c);
        }
    }

    fn raw(&mut self, s: &str) {
        self.open = None;
        self.text.push_str(s);
    }
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

/// A reference at `chars[i] == '$'`; returns the index after it.
fn variable(chars: &[char], i: usize, escape: char, out: &mut Out) -> Result<usize, String> {
    match chars.get(i + 1) {
        Some('{') => {
            let mut depth = 0;
            let mut j = i + 1;
            while j < chars.len() {
                match chars[j] {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    c if c == escape => j += 1,
                    _ => {}
                }
                j += 1;
            }
            if j >= chars.len() {
                return Err("`${` is not closed".to_owned());
            }
            let inner: String = chars[i + 2..j].iter().collect();
            let name_len = inner
                .char_indices()
                .find(|&(k, c)| {
                    !(c.is_ascii_alphanumeric() || c == '_') || (k == 0 && !is_name_start(c))
                })
                .map_or(inner.len(), |(k, _)| k);
            let (name, op) = inner.split_at(name_len);
            if name.is_empty() {
                return Err(format!("`${{{inner}}}` names no variable"));
            }
            let (sign, word) = ["-", ":-", "+", ":+"]
                .iter()
                .filter_map(|s| op.strip_prefix(s).map(|w| (*s, w)))
                .max_by_key(|(s, _)| s.len())
                .unwrap_or(("", op));
            if sign.is_empty() && !op.is_empty() {
                return Err(format!(
                    "`${{{name}{op}}}` uses an operator a Stagefile does not have (it has `:-`, `-`, `:+` and `+`)"
                ));
            }
            let word = if sign.is_empty() {
                String::new()
            } else {
                to_stagefile(word, escape)?
            };
            out.raw(&format!("${{{name}{sign}{word}}}"));
            Ok(j + 1)
        }
        Some(&c) if is_name_start(c) => {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            let name: String = chars[i + 1..j].iter().collect();
            let start = out.text.len();
            out.raw(&format!("${name}"));
            out.open = Some(start);
            Ok(j)
        }
        // `$1` expands to nothing in a Dockerfile.
        Some(c) if c.is_ascii_digit() => Ok(i + 2),
        _ => {
            out.literal('$');
            Ok(i + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sf(w: &str) -> String {
        to_stagefile(w, '\\').unwrap()
    }

    #[test]
    fn quotes_and_escapes_are_resolved() {
        assert_eq!(sf(r#""hello world""#), "hello world");
        assert_eq!(sf(r"a\ b"), "a b");
        assert_eq!(sf(r#"'single $HOME'"#), "single $$HOME");
        assert_eq!(sf(r#""a\"b\$c\d""#), r#"a"b$$c\d"#);
    }

    #[test]
    fn variables_keep_their_form() {
        assert_eq!(
            sf("$A/${B}/${C:-x y}/${D+\"q\"}"),
            "$A/${B}/${C:-x y}/${D+q}"
        );
        assert_eq!(sf(r"$A\B"), "${A}B");
        assert_eq!(sf("cost: $5 and $"), "cost:  and $$");
        assert!(to_stagefile("${A:?no}", '\\').is_err());
        assert!(to_stagefile("${A", '\\').is_err());
        assert!(to_stagefile("${A%%.*}", '\\').is_err());
    }

    #[test]
    fn splits_keep_quotes_together() {
        let w = split(r#"a="b c" d\ e  'f g'"#, '\\');
        let words: Vec<&str> = w.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(words, [r#"a="b c""#, r"d\ e", "'f g'"]);
        assert_eq!(w[1].0, 8);
    }

    #[test]
    fn pairs_read_both_env_forms() {
        let p = pairs(r#"A=1 "B"="two words" C"#, '\\', true);
        assert_eq!(p[1], (4, "\"B\"".into(), Some("\"two words\"".into())));
        assert_eq!(p[2].2, None);
        let legacy = pairs("KEY some value here", '\\', true);
        assert_eq!(
            legacy,
            vec![(0, "KEY".into(), Some("some value here".into()))]
        );
    }
}
