//! The hostile inputs that cannot, or should not, be committed as files (a 50 MB file,
//! invalid UTF-8, an alias bomb, deep nesting, inputs past the parser's and the graph's
//! budgets, thousands of errors), built in code for `tests/hostile.rs`, each as a case with
//! the errors it must give.

use crate::hostile_cases::Expect;
use crate::{Case, MAX_REPORTED};
use stagefile::plan::BuildOptions;

fn case(name: &str, bytes: Vec<u8>, expects: &[(u32, u32, &str)]) -> Case {
    Case {
        name: name.to_owned(),
        bytes,
        expects: expects
            .iter()
            .map(|&(line, column, message)| Expect {
                line,
                column,
                message: message.to_owned(),
                code: None,
                help: None,
            })
            .collect(),
        max_errors: None,
        plan_accepts: false,
        opts: BuildOptions::default(),
    }
}

/// The 50 MB file: a valid start, then megabytes of comment.
pub fn fifty_megabytes() -> Vec<u8> {
    let mut bytes = b"stages:\n  app:\n    from: scratch\n".to_vec();
    bytes.resize(50 * 1024 * 1024, b'#');
    bytes
}

/// Billion laughs: ten aliases of ten aliases, nine levels deep (10^9 nodes if expanded).
pub fn alias_bomb() -> String {
    let mut s = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let p = i - 1;
        let refs = vec![format!("*a{p}"); 10].join(", ");
        s.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    s.push_str("stages:\n  app:\n    from: scratch\n");
    s
}

/// Inputs that cannot, or should not, be committed as files.
pub fn generated_cases() -> Vec<Case> {
    let mut out = vec![
        case(
            "gen-50-megabytes",
            fifty_megabytes(),
            &[(
                1,
                1,
                "the file is 52428800 bytes; a Stagefile may be at most",
            )],
        ),
        case(
            "gen-invalid-utf8-in-a-value",
            b"stages:\n  app:\n    from: scr\xffatch\n".to_vec(),
            &[(3, 14, "the file is not valid UTF-8")],
        ),
        case(
            "gen-invalid-utf8-after-multibyte-characters",
            "stages:\n  app:\n    description: été \u{1F600} "
                .bytes()
                .chain(*b"\xc3\x28 x\n    from: scratch\n")
                .collect(),
            &[(3, 24, "the file is not valid UTF-8")],
        ),
        case(
            "gen-truncated-utf8-at-the-end",
            b"stages:\n  app:\n    from: scratch\n# \xe2\x82".to_vec(),
            &[(4, 3, "the file is not valid UTF-8")],
        ),
        case(
            "gen-utf16-file",
            [0xff, 0xfe]
                .into_iter()
                .chain(
                    "stages:\n  app:\n    from: scratch\n"
                        .encode_utf16()
                        .flat_map(u16::to_le_bytes),
                )
                .collect(),
            &[(1, 1, "the file is not valid UTF-8")],
        ),
        case(
            "gen-nul-byte",
            b"stages:\n  app:\n    from: scr\x00atch\n".to_vec(),
            &[(3, 14, "")],
        ),
        case(
            "gen-byte-order-mark-then-nothing",
            b"\xef\xbb\xbf# only a comment\n".to_vec(),
            &[(1, 1, "the Stagefile is empty")],
        ),
        case("gen-alias-bomb", alias_bomb().into_bytes(), &[(0, 0, "")]),
        case(
            "gen-deep-flow-nesting",
            format!("stages: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
            &[(0, 0, "")],
        ),
        case(
            "gen-deep-block-nesting",
            (0..1_000)
                .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
                .collect::<String>()
                .into_bytes(),
            &[(0, 0, "")],
        ),
        case(
            "gen-deeply-nested-defaults",
            format!(
                "stages:\n  app:\n    from: scratch\n    user: \"{}x{}\"\n",
                "${A:-".repeat(20_000),
                "}".repeat(20_000)
            )
            .into_bytes(),
            &[(4, 11, "nest")],
        ),
        case(
            "gen-unterminated-default-after-a-long-run",
            format!(
                "stages:\n  app:\n    from: scratch\n    user: \"{}\"\n",
                "${A:-".repeat(20_000)
            )
            .into_bytes(),
            &[(4, 11, "")],
        ),
    ];
    out.push(past_the_event_budget());
    out.push(env_times_steps());
    out.push(sources_times_excludes());
    out.push(comb_of_stages());
    out.push(many_undefined_variables());
    out.push(many_unknown_stages());
    out
}

/// Half a million empty mappings in a merge key: the parser reads the whole merge value
/// before the types are checked, so its budget is what stops the file: at its millionth
/// event (two per `{}`), inside the 499,995th `{}`. A list of plain values would stop earlier, at "merge value
/// must be mapping". The node budget (2,000,000) lies beyond the event budget (every node
/// is an event), so this is the budget a large file meets first.
fn past_the_event_budget() -> Case {
    let s = format!(
        "stages:\n  app:\n    from: scratch\n    <<: [{}]\n",
        "{},".repeat(600_000)
    );
    case(
        "gen-yaml-past-its-budget",
        s.into_bytes(),
        &[(4, 1_499_993, "the YAML is too large or too complex")],
    )
}

/// Each `run` op carries the whole environment: 100 entries of 10 KB times 70 steps is
/// over the 64 MiB graph budget, refused at the step that crosses it. (Without the
/// budget, 10,000 entries times 10,000 steps took 28 s and 6 GB in a release build.)
fn env_times_steps() -> Case {
    let mut s = String::from("stages:\n  app:\n    from: busybox:1.36\n    env:\n");
    for i in 0..100 {
        s.push_str(&format!("      V{i}: {}\n", "x".repeat(10_000)));
    }
    s.push_str("    steps:\n");
    for i in 0..70 {
        s.push_str(&format!("      - run: echo {i}\n"));
    }
    // The step that crosses the budget is named; which one it is depends on how the
    // budget weighs strings, so only the message and a location are checked.
    Case {
        plan_accepts: true,
        ..case(
            "gen-env-times-steps-too-large",
            s.into_bytes(),
            &[(0, 0, "the build graph is too large")],
        )
    }
}

/// One `copy` of 2,000 paths with 2,000 `exclude` patterns: each path's action carries
/// the whole list, four million patterns in all, refused before they are built.
fn sources_times_excludes() -> Case {
    let list = |prefix: &str| {
        (0..2_000)
            .map(|i| format!("{prefix}{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let s = format!(
        "stages:\n  app:\n    from: busybox:1.36\n    steps:\n      - copy: [{}]\n        exclude: [{}]\n",
        list("src"),
        list("x")
    );
    Case {
        plan_accepts: true,
        ..case(
            "gen-copy-sources-times-excludes-too-large",
            s.into_bytes(),
            &[(5, 15, "the build graph is too large")],
        )
    }
}

/// A chain of stages, each also the base of a leaf the target copies from: every leaf
/// gets its own copy of a config that grows along the chain (9 GB for 8,000 links).
fn comb_of_stages() -> Case {
    let mut s = String::from("stages:\n  c0: {from: busybox:1.36, labels: {l0: x}}\n");
    for i in 1..1_500 {
        s.push_str(&format!(
            "  c{i}: {{from: c{}, labels: {{l{i}: x}}}}\n  f{i}: {{from: c{i}}}\n",
            i - 1
        ));
    }
    s.push_str("  app:\n    from: scratch\n    steps:\n");
    for i in 1..1_500 {
        s.push_str(&format!("      - {{copy: /x, from: f{i}}}\n"));
    }
    Case {
        plan_accepts: true,
        ..case(
            "gen-comb-of-stages-too-large",
            s.into_bytes(),
            &[(0, 0, "the build graph is too large")],
        )
    }
}

/// Thousands of errors against thousands of names: each error's hint compares names,
/// so reporting them all would be quadratic (minutes here); the report is capped.
/// The names could come from the inherited environment, so lowering reports them.
/// (Sizes are kept small because the YAML parser is slow in a debug build.)
fn many_undefined_variables() -> Case {
    let mut s = String::from("args:\n");
    for i in 0..3_000 {
        s.push_str(&format!("  ARG_{i}: x\n"));
    }
    s.push_str("stages:\n  app:\n    from: scratch\n    env:\n");
    for i in 0..3_000 {
        s.push_str(&format!("      E{i}: ${{NOPE_{i}}}\n"));
    }
    let first = 3_000 + 6;
    Case {
        expects: vec![Expect {
            line: first,
            column: 7,
            message: "variable `NOPE_0` is not defined".into(),
            code: None,
            help: None,
        }],
        max_errors: Some(MAX_REPORTED),
        plan_accepts: true,
        ..case("gen-many-undefined-variables", s.into_bytes(), &[])
    }
}

fn many_unknown_stages() -> Case {
    let mut s = String::from("stages:\n");
    for i in 0..2_000 {
        s.push_str(&format!("  s{i}:\n    from: scratch\n"));
    }
    s.push_str("  app:\n    from: scratch\n    steps:\n");
    for i in 0..2_000 {
        s.push_str(&format!("      - copy: x\n        from: nope{i}\n"));
    }
    Case {
        expects: vec![Expect {
            line: 2 * 2_000 + 6,
            column: 15,
            message: "no stage is named `nope0`".into(),
            code: None,
            help: None,
        }],
        max_errors: Some(MAX_REPORTED),
        ..case("gen-many-unknown-stages", s.into_bytes(), &[])
    }
}
