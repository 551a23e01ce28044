//! Every bound on the work a file may ask for is refused with the code of the limit it
//! hit, at the place that asked for too much. Tests match the code and the span, never
//! the wording.

use stagefile::compile;
use stagefile::diag::{Code, Diagnostic, Limit, Span};
use stagefile::lower::LowerOptions;
use stagefile::plan::BuildOptions;

fn refusal(bytes: &[u8]) -> Vec<Diagnostic> {
    compile::compile(bytes, &BuildOptions::default(), &LowerOptions::default())
        .err()
        .expect("the file is refused")
}

fn coded(diags: &[Diagnostic]) -> Vec<(Code, u32, u32)> {
    diags
        .iter()
        .filter_map(|d| Some((d.code?, d.span.line, d.span.column)))
        .collect()
}

fn one(bytes: impl AsRef<[u8]>, limit: Limit, line: u32, column: u32) {
    let diags = refusal(bytes.as_ref());
    assert_eq!(
        coded(&diags),
        [(Code::Limit(limit), line, column)],
        "{}",
        diags
            .iter()
            .map(|d| d.one_line("Stagefile"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_file_size() {
    let big = format!(
        "stages: {{}}\n#{}\n",
        "x".repeat(stagefile::spec::MAX_FILE_BYTES)
    );
    one(big, Limit::FileSize, 1, 1);
    let d = stagefile::spec::too_big(5 << 20);
    assert!(d.hit(Limit::FileSize));
    assert_eq!(d.span, Span::new(1, 1, 0));
}

#[test]
fn the_yaml_parser_budgets() {
    one(
        format!("stages:\n  {}{}: x\n", "[".repeat(70), "]".repeat(70)),
        Limit::Depth,
        2,
        65,
    );
    one(
        "stages:\n  a: {from: scratch}\n---\nx: 1\n",
        Limit::Documents,
        3,
        1,
    );
    // Aliases of aliases, expanded through steps and caches.
    one(
        include_str!("hostile/021-alias-bomb-through-steps-and-caches.yaml"),
        Limit::Aliases,
        41,
        9,
    );
}

#[test]
fn the_variables_nesting() {
    let file = format!(
        "stages:\n  app:\n    from: scratch\n    user: \"{}x{}\"\n",
        "${A:-".repeat(40),
        "}".repeat(40)
    );
    one(file, Limit::VariableNesting, 4, 11);
}

#[test]
fn the_exposed_ports() {
    one(
        "stages:\n  app:\n    from: scratch\n    expose: [1-65535/tcp, 1-65535/udp, 1-65535/sctp, 1-65535]\n",
        Limit::ExposedPorts,
        4,
        54,
    );
}

#[test]
fn the_number_of_errors() {
    let mut src = String::from("stages:\n  app:\n    from: scratch\n    steps:\n");
    for i in 0..150 {
        src.push_str(&format!("      - copy: x\n        from: nope{i}\n"));
    }
    let diags = refusal(src.as_bytes());
    assert_eq!(diags.len(), 101);
    // The last of the hundred errors reported, and where it is.
    assert_eq!(
        coded(&diags),
        [(Code::Limit(Limit::Errors), 204, 15)],
        "{:?}",
        diags.last()
    );
}

#[test]
fn the_graph_size() {
    // Each `run` step carries the whole environment: 2,000 steps of 64 KiB each.
    let value = "v".repeat(64 << 10);
    let mut src =
        format!("stages:\n  app:\n    from: scratch\n    env:\n      BIG: {value}\n    steps:\n");
    for i in 0..2_000 {
        src.push_str(&format!("      - run: echo {i}\n"));
    }
    let diags = refusal(src.as_bytes());
    let graph: Vec<&Diagnostic> = diags.iter().filter(|d| d.hit(Limit::GraphSize)).collect();
    assert_eq!(graph.len(), 1, "said once");
    assert!(graph[0].span.line > 6, "{:?}", graph[0].span);
}
