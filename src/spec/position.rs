//! Where a piece of a value sits in the file: a problem on the fifth line of a `|`
//! block is shown there, not at the block's first line.

use crate::diag::Span;

/// The place in `source` of `piece`, the text at byte `offset` of `value`, where `value`
/// is the scalar that starts at `scalar` (its line, column and length in bytes).
/// The scalar's own span when the piece cannot be found in its text as written (a
/// quoted value with escapes, say).
pub fn within(source: &str, scalar: Span, value: &str, offset: usize, piece: &str) -> Span {
    find(source, scalar, value, offset, piece).unwrap_or(scalar)
}

fn find(source: &str, scalar: Span, value: &str, offset: usize, piece: &str) -> Option<Span> {
    if piece.is_empty() || !scalar.is_known() {
        return None;
    }
    let start = byte_at(source, scalar.line, scalar.column)?;
    let mut end = (start + scalar.len as usize).min(source.len());
    while !source.is_char_boundary(end) {
        end += 1;
    }
    // The piece's occurrences in the written text match those in the value in number and
    // order, whatever the value's style (plain, `|`, `>`): count the ones before it.
    let before = value.get(..offset)?.match_indices(piece).count();
    let (at, _) = source[start..end].match_indices(piece).nth(before)?;
    let at = start + at;
    let line_start = source[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = source[..at].matches('\n').count() + 1;
    let column = source[line_start..at].chars().count() + 1;
    Some(Span::new(line as u32, column as u32, piece.chars().count() as u32).in_file(scalar.file))
}

/// The byte offset of a 1-based line and column (in characters).
fn byte_at(source: &str, line: u32, column: u32) -> Option<usize> {
    let line_start = if line <= 1 {
        0
    } else {
        source
            .match_indices('\n')
            .nth(line as usize - 2)
            .map(|(i, _)| i + 1)?
    };
    let rest = &source[line_start..];
    let skip = column.saturating_sub(1) as usize;
    rest.char_indices()
        .nth(skip)
        .map(|(i, _)| line_start + i)
        .or((rest.chars().count() == skip).then_some(source.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_piece_on_its_own_line_of_a_block() {
        let source = "x:\n  content: |\n    #!/bin/sh\n    echo $HOME\n    cd $HOME\n";
        // The parser places a `|` block at its first line of text.
        let scalar = Span::new(3, 5, 40);
        let value = "#!/bin/sh\necho $HOME\ncd $HOME\n";
        let second = value.rfind("$HOME").unwrap();
        assert_eq!(
            within(source, scalar, value, second, "$HOME"),
            Span::new(5, 8, 5)
        );
        let first = value.find("$HOME").unwrap();
        assert_eq!(
            within(source, scalar, value, first, "$HOME"),
            Span::new(4, 10, 5)
        );
    }

    #[test]
    fn quoted_and_plain_values_on_one_line() {
        let source = "content: \"a é $X\"\n";
        let scalar = Span::new(1, 10, 10);
        assert_eq!(
            within(source, scalar, "a é $X", 5, "$X"),
            Span::new(1, 15, 2)
        );
        // Not in the written text: the scalar itself.
        assert_eq!(within(source, scalar, "a é $X", 5, "$Y"), scalar);
        assert_eq!(
            within("", Span::new(9, 9, 9), "v", 0, "v"),
            Span::new(9, 9, 9)
        );
    }
}
