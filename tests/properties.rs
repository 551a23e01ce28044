//! Properties that hold for every input, checked on generated ones: variable expansion
//! and name scanning never panic, and generated Stagefiles compile to the same bytes every
//! time, bytes whose ops are already in the order BuildKit re-encodes them to.

use bollard_buildkit_proto::pb;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use prost::Message;
use stagefile::compile;
use stagefile::llb::{buildkit_reencoding, digest_of};
use stagefile::lower::LowerOptions;
use stagefile::plan::BuildOptions;
use stagefile::plan::vars::{ExpandError, Scope, referenced_names};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Failures are reported with their minimal input; nothing is written to disk.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text made of the pieces expansion cares about, so the interesting paths are reached
/// more often than by arbitrary strings alone.
fn expansion_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("$".to_owned()),
        Just("$$".to_owned()),
        Just("${".to_owned()),
        Just("}".to_owned()),
        Just("{".to_owned()),
        Just(":-".to_owned()),
        Just("-".to_owned()),
        Just(":+".to_owned()),
        Just("+".to_owned()),
        Just(":?".to_owned()),
        "[A-C_][A-C0-9_]{0,2}",
        "[0-9]",
        "[ a-z/.é\u{1F600}]{0,3}",
    ];
    prop_oneof![any::<String>(), vec(piece, 0..24).prop_map(|p| p.concat()),]
}

fn scope() -> impl Strategy<Value = Scope> {
    let name = prop_oneof!["[A-C_][A-C0-9_]{0,2}", any::<String>()];
    let value = proptest::option::of(prop_oneof![any::<String>(), expansion_text()]);
    btree_map(name, value, 0..8).prop_map(|vars| {
        let mut scope = Scope::default();
        for (k, v) in vars {
            scope.set(k, v);
        }
        scope
    })
}

proptest! {
    #![proptest_config(config(2_000))]

    #[test]
    fn expansion_never_panics(scope in scope(), text in expansion_text()) {
        let _ = scope.expand(&text);
    }

    #[test]
    fn text_without_a_dollar_expands_to_itself(scope in scope(), text in "[^$]{0,40}") {
        prop_assert_eq!(scope.expand(&text).unwrap(), text);
    }

    #[test]
    fn a_set_variable_expands_to_its_value(
        name in "[A-Za-z_][A-Za-z0-9_]{0,8}",
        value in any::<String>(),
        braced in any::<bool>(),
    ) {
        let mut scope = Scope::default();
        scope.set(name.clone(), Some(value.clone()));
        let text = if braced { format!("<${{{name}}}>") } else { format!("<${name}>") };
        prop_assert_eq!(scope.expand(&text).unwrap(), format!("<{value}>"));
        let undefined = scope.expand(&format!("${{{name}x}}"));
        let is_undefined = matches!(undefined, Err(ExpandError::Undefined { .. }));
        prop_assert!(is_undefined);
    }

    #[test]
    fn referenced_names_never_panics_and_finds_names_only(text in expansion_text()) {
        let names = referenced_names(&text);
        let mut seen = std::collections::BTreeSet::new();
        for n in &names {
            prop_assert!(!n.is_empty());
            prop_assert!(n.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic()), "{}", n);
            prop_assert!(n.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()), "{}", n);
            prop_assert!(text.contains(n.as_str()));
            prop_assert!(seen.insert(n.clone()), "{} listed twice", n);
        }
    }

    #[test]
    fn referenced_names_accepts_any_string(text in any::<String>()) {
        let _ = referenced_names(&text);
    }
}

/// One generated step, rendered as a YAML flow mapping.
#[derive(Debug, Clone)]
enum Step {
    Run {
        command: String,
        exec: bool,
        caches: Vec<Cache>,
        network_none: bool,
    },
    Copy {
        sources: Vec<String>,
        /// A stage defined before this one (index), or the build context.
        from: Option<usize>,
        to: Option<String>,
        chmod: Option<u32>,
        link: bool,
    },
    File {
        path: String,
        content: String,
        mode: u32,
    },
}

#[derive(Debug, Clone)]
struct Cache {
    target: String,
    id: Option<String>,
    sharing: Option<&'static str>,
    mode: Option<u32>,
}

#[derive(Debug, Clone)]
struct StageSpec {
    /// 0: scratch, 1: an image, 2: the previous stage (when there is one).
    base: u8,
    image: String,
    workdir: Option<String>,
    env: Vec<(String, String)>,
    steps: Vec<Step>,
}

fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_.-]{0,6}"
}

fn abs_path() -> impl Strategy<Value = String> {
    vec(word(), 1..4).prop_map(|parts| format!("/{}", parts.join("/")))
}

/// Text for a command or file content: no `$`, which the Stagefile would expand.
fn free_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 _./:=\"'é-]{1,30}"
}

fn cache() -> impl Strategy<Value = Cache> {
    (
        abs_path(),
        proptest::option::of(word()),
        proptest::option::of(prop_oneof![Just("shared"), Just("private"), Just("locked")]),
        proptest::option::of(0u32..0o1000),
    )
        .prop_map(|(target, id, sharing, mode)| Cache {
            target,
            id,
            sharing,
            mode,
        })
}

fn step(earlier_stages: usize) -> impl Strategy<Value = Step> {
    let run = (
        free_text(),
        any::<bool>(),
        vec(cache(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(command, exec, caches, network_none)| Step::Run {
            command,
            exec,
            caches,
            network_none,
        });
    let from = if earlier_stages == 0 {
        Just(None).boxed()
    } else {
        proptest::option::of(0..earlier_stages).boxed()
    };
    let copy = (
        vec(prop_oneof![word(), abs_path()], 1..3),
        from,
        proptest::option::of(prop_oneof![abs_path(), word()]),
        proptest::option::of(0u32..0o1000),
        any::<bool>(),
    )
        .prop_map(|(sources, from, to, chmod, link)| Step::Copy {
            sources,
            from,
            to,
            chmod,
            link,
        });
    let file =
        (abs_path(), free_text(), 0u32..0o1000).prop_map(|(path, content, mode)| Step::File {
            path,
            content,
            mode,
        });
    prop_oneof![run, copy, file]
}

fn stage(index: usize) -> impl Strategy<Value = StageSpec> {
    (
        0u8..3,
        prop_oneof![
            Just("busybox:1.36".to_owned()),
            Just("golang:1.22-alpine".to_owned()),
            Just("ghcr.io/acme/tool:v1".to_owned()),
        ],
        proptest::option::of(abs_path()),
        vec(("[A-Z][A-Z0-9_]{0,5}", free_text()), 0..3),
        vec(step(index), 0..5),
    )
        .prop_map(|(base, image, workdir, env, steps)| StageSpec {
            base,
            image,
            workdir,
            env,
            steps,
        })
}

/// A valid Stagefile of one to four stages, each built on scratch, an image or the stage
/// before it, and copying only from stages defined before it (so there is no cycle).
fn stagefile() -> impl Strategy<Value = String> {
    (1usize..5)
        .prop_flat_map(|n| (0..n).map(stage).collect::<Vec<_>>())
        .prop_map(|stages| render(&stages))
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

fn render(stages: &[StageSpec]) -> String {
    let mut y = String::from("args:\n  VERSION: \"1.0\"\nstages:\n");
    for (i, s) in stages.iter().enumerate() {
        y.push_str(&format!("  s{i}:\n"));
        let from = match s.base {
            2 if i > 0 => format!("s{}", i - 1),
            0 => "scratch".to_owned(),
            _ => s.image.clone(),
        };
        y.push_str(&format!("    from: {}\n", quoted(&from)));
        if let Some(w) = &s.workdir {
            y.push_str(&format!("    workdir: {}\n", quoted(w)));
        }
        if !s.env.is_empty() {
            y.push_str("    env:\n");
            let mut names = std::collections::BTreeSet::new();
            for (k, v) in &s.env {
                if names.insert(k) {
                    y.push_str(&format!("      {k}: {}\n", quoted(v)));
                }
            }
        }
        if s.steps.is_empty() {
            continue;
        }
        y.push_str("    steps:\n");
        for step in &s.steps {
            y.push_str(&format!("      - {}\n", render_step(step)));
        }
    }
    y
}

fn render_step(step: &Step) -> String {
    match step {
        Step::Run {
            command,
            exec,
            caches,
            network_none,
        } => {
            let mut parts = vec![if *exec {
                let args: Vec<String> = command.split(' ').map(quoted).collect();
                format!("run: [{}]", args.join(", "))
            } else {
                format!("run: {}", quoted(&format!("echo {command} $VERSION")))
            }];
            if !caches.is_empty() {
                let items: Vec<String> = caches
                    .iter()
                    .map(|c| {
                        let mut f = vec![format!("target: {}", quoted(&c.target))];
                        if let Some(id) = &c.id {
                            f.push(format!("id: {}", quoted(id)));
                        }
                        if let Some(s) = c.sharing {
                            f.push(format!("sharing: {s}"));
                        }
                        if let Some(m) = c.mode {
                            f.push(format!("mode: \"{m:04o}\""));
                        }
                        format!("{{{}}}", f.join(", "))
                    })
                    .collect();
                parts.push(format!("cache: [{}]", items.join(", ")));
            }
            if *network_none {
                parts.push("network: none".to_owned());
            }
            format!("{{{}}}", parts.join(", "))
        }
        Step::Copy {
            sources,
            from,
            to,
            chmod,
            link,
        } => {
            let srcs: Vec<String> = sources.iter().map(|s| quoted(s)).collect();
            let mut parts = vec![format!("copy: [{}]", srcs.join(", "))];
            if let Some(f) = from {
                parts.push(format!("from: s{f}"));
            }
            if let Some(t) = to {
                parts.push(format!("to: {}", quoted(t)));
            }
            if let Some(m) = chmod {
                parts.push(format!("chmod: \"{m:o}\""));
            }
            if *link {
                parts.push("link: true".to_owned());
            }
            format!("{{{}}}", parts.join(", "))
        }
        Step::File {
            path,
            content,
            mode,
        } => format!(
            "{{file: {}, content: {}, mode: \"0{mode:o}\"}}",
            quoted(path),
            quoted(content)
        ),
    }
}

fn compile_bytes(yaml: &str) -> Result<Vec<u8>, String> {
    compile::compile(
        yaml.as_bytes(),
        &BuildOptions::default(),
        &LowerOptions::default(),
    )
    .map(|l| l.definition.encode_to_vec())
    .map_err(|d| format!("{d:?}"))
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn generated_stagefiles_compile_the_same_twice(yaml in stagefile()) {
        let first = compile_bytes(&yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
        let second = compile_bytes(&yaml).unwrap();
        prop_assert_eq!(first, second, "{}", yaml);
    }

    #[test]
    fn every_op_is_already_in_the_bytes_buildkit_reencodes_it_to(yaml in stagefile()) {
        let bytes = compile_bytes(&yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
        let def = pb::Definition::decode(bytes.as_slice()).unwrap();
        prop_assert_eq!(def.metadata.len(), def.def.len());
        let mut emitted = std::collections::HashSet::new();
        for op_bytes in &def.def {
            let op = pb::Op::decode(op_bytes.as_slice()).unwrap();
            prop_assert_eq!(&buildkit_reencoding(&op), op_bytes, "{}", yaml);
            let digest = digest_of(op_bytes);
            prop_assert!(def.metadata.contains_key(&digest), "no metadata for {}", digest);
            for input in &op.inputs {
                prop_assert!(emitted.contains(&input.digest), "an op comes before its input");
            }
            emitted.insert(digest);
        }
    }
}
