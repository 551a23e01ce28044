//! docs/ci.md shows GitHub Actions workflows that users copy; each is also a file under
//! docs/ci/, which `hack/test` checks with actionlint. These tests hold the two to the
//! same bytes, so what is linted is what the doc shows.
//!
//! A workflow block opens with ```` ```yaml file=docs/ci/NAME.yml ````; its content must be
//! that file's, byte for byte. Every file in docs/ci/ is shown by one block, and every
//! yaml block that looks like a workflow (`jobs:` and `runs-on:`) names its file.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

const DOC: &str = "docs/ci.md";
const DIR: &str = "docs/ci";

/// A fenced block of the doc: its info string (after the backticks), content and line.
struct Block {
    info: String,
    content: String,
    line: usize,
}

/// The fenced blocks of a Markdown text (``` fences at the start of a line).
fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (number, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches('\n');
        match open.as_mut() {
            None => {
                if let Some(info) = bare.strip_prefix("```") {
                    open = Some(Block {
                        info: info.trim().to_owned(),
                        content: String::new(),
                        line: number + 1,
                    });
                }
            }
            Some(block) => {
                if bare == "```" {
                    out.push(open.take().unwrap());
                } else {
                    block.content.push_str(line);
                }
            }
        }
    }
    assert!(open.is_none(), "{DOC}: a fence opened and never closed");
    out
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `file=` value of a block's info string, if it has one.
fn named_file(block: &Block) -> Option<&str> {
    block
        .info
        .split_whitespace()
        .find_map(|word| word.strip_prefix("file="))
}

fn doc_blocks() -> Vec<Block> {
    let text = fs::read_to_string(root().join(DOC)).expect("read docs/ci.md");
    blocks(&text)
}

#[test]
fn each_workflow_block_is_its_file_byte_for_byte() {
    let mut shown = 0;
    for block in doc_blocks() {
        let Some(file) = named_file(&block) else {
            continue;
        };
        assert!(
            block.info.starts_with("yaml "),
            "{DOC}:{}: a block naming {file} must be a yaml block",
            block.line
        );
        assert!(
            file.starts_with("docs/ci/") && !file.contains(".."),
            "{DOC}:{}: {file} is not under {DIR}/",
            block.line
        );
        let bytes = fs::read(root().join(file))
            .unwrap_or_else(|e| panic!("{DOC}:{}: cannot read {file}: {e}", block.line));
        let expected = String::from_utf8(bytes).expect("workflow files are UTF-8");
        assert!(
            block.content == expected,
            "{DOC}:{}: the block differs from {file}; copy the file into the block (or the \
             block into the file) so that they match\n--- block\n{}--- file\n{}",
            block.line,
            block.content,
            expected
        );
        shown += 1;
    }
    assert!(shown > 0, "{DOC} shows no workflow file");
}

#[test]
fn every_file_in_docs_ci_is_shown_once() {
    let mut shown: BTreeMap<String, usize> = BTreeMap::new();
    for block in doc_blocks() {
        if let Some(file) = named_file(&block) {
            *shown.entry(file.to_owned()).or_default() += 1;
        }
    }
    let entries = fs::read_dir(root().join(DIR)).expect("read docs/ci");
    let mut files: Vec<String> = entries
        .map(|entry| entry.expect("docs/ci entry").file_name())
        .map(|name| format!("{DIR}/{}", name.to_string_lossy()))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{DIR} is empty");
    for file in &files {
        assert_eq!(
            shown.get(file),
            Some(&1),
            "{file} must be shown by exactly one `yaml file={file}` block of {DOC}"
        );
    }
    for file in shown.keys() {
        assert!(
            files.contains(file),
            "{DOC} names {file}, which {DIR} lacks"
        );
    }
}

#[test]
fn every_workflow_in_the_doc_names_its_file() {
    for block in doc_blocks() {
        let language = block.info.split_whitespace().next().unwrap_or("");
        let workflow =
            block.content.lines().any(|l| l == "jobs:") && block.content.contains("runs-on:");
        if (language == "yaml" || language == "yml") && workflow {
            assert!(
                named_file(&block).is_some(),
                "{DOC}:{}: a workflow block must name its file in {DIR}/ \
                 (```yaml file={DIR}/NAME.yml) so that actionlint checks it",
                block.line
            );
        }
    }
}

#[test]
fn fences_are_read_as_markdown_reads_them() {
    let text = "a\n```yaml file=docs/ci/x.yml\nk: v\n\n```\n```sh\nls\n```\n";
    let found = blocks(text);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].info, "yaml file=docs/ci/x.yml");
    assert_eq!(found[0].content, "k: v\n\n");
    assert_eq!(found[0].line, 2);
    assert_eq!(named_file(&found[0]), Some("docs/ci/x.yml"));
    assert_eq!(found[1].content, "ls\n");
    assert_eq!(named_file(&found[1]), None);
}
