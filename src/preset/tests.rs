use super::*;
use crate::compile;
use crate::plan::BuildOptions;

const GO: &str = "args:\n  X: y\nstages:\n  # the server\n  server:\n    preset:\n      name: go\n      port: 8080\n    description: My server\n\n  # after\n  other:\n    description: a tool\n    from: server.build\n    steps:\n      - run: ls $X\ntarget: server\n";

fn expanded(text: &str) -> String {
    crate::spec::expanded(text.as_bytes())
        .expect("expands")
        .expect("has a preset")
}

fn errors(text: &str) -> Vec<Diagnostic> {
    crate::spec::parse(text.as_bytes()).expect_err("should fail")
}

#[test]
fn a_go_preset_writes_four_stages_in_place_of_its_stage() {
    let text = expanded(GO);
    let names: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.trim_end().ends_with(':'))
        .map(|l| l.trim().trim_end_matches(':'))
        .collect();
    assert_eq!(
        names,
        [
            "server.deps",
            "server.build",
            "server.test",
            "server",
            "other"
        ]
    );
    // The user's lines around the preset stage are kept as written.
    assert!(text.starts_with("args:\n  X: y\nstages:\n  # the server\n  # preset go for `server`"));
    assert!(text.contains("\n\n  # after\n  other:\n"), "{text}");
    assert!(text.contains("  description: My server\n"), "{text}");
    assert!(text.contains("expose: [8080]"), "{text}");
    let (_, plan) = compile::check(GO.as_bytes(), &BuildOptions::default()).expect("plans");
    let built: Vec<&str> = plan.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(built, ["server.deps", "server.build", "server"]);
}

#[test]
fn the_users_lines_keep_their_numbers_and_generated_ones_point_at_the_preset() {
    // A mistake after the preset stage is reported at its own line.
    let d = errors(&GO.replace("    from: server.build", "    form: server.build"));
    assert_eq!(d[0].message, "unknown key `form`");
    assert_eq!((d[0].span.line, d[0].span.column), (14, 5));
    // A plan error inside generated text (its base image cannot be resolved offline, but a
    // bad runtime reference is refused) points at the user's preset line.
    let bad = GO.replace(
        "      port: 8080",
        "      port: 8080\n      runtime: \"Bad Image\"",
    );
    let d = compile::check(bad.as_bytes(), &BuildOptions::default()).expect_err("bad runtime");
    assert!(d.iter().all(|d| d.span.line == 6), "{d:?}");
}

#[test]
fn preset_keys_are_checked_at_the_users_lines() {
    let d = errors(&GO.replace("      port: 8080", "      verison: 1.24"));
    assert_eq!(d[0].message, "unknown key `verison`");
    assert_eq!(d[0].span.line, 8);
    assert_eq!(d[0].help.as_deref(), Some("did you mean `version`?"));

    let d = errors(&GO.replace("name: go", "name: goo"));
    assert_eq!(d[0].message, "there is no preset named `goo`");
    assert_eq!((d[0].span.line, d[0].span.column), (7, 13));
    assert_eq!(d[0].help.as_deref(), Some("did you mean `go`?"));

    let d = errors(&GO.replace("name: go", "name: node\n      manager: bun"));
    assert_eq!(d[0].message, "`bun` is not a manager of the node preset");
    assert_eq!(d[0].span.line, 8);
    assert_eq!(d[0].help.as_deref(), Some("choose one of: npm, pnpm, yarn"));

    let d = errors(&GO.replace("      port: 8080", "      manager: npm"));
    assert_eq!(d[0].message, "the go preset has no `manager` to choose");

    let d = errors(&GO.replace("      port: 8080", "      port: http"));
    assert_eq!(d[0].message, "`http` is not a port");

    let d = errors(&GO.replace("      port: 8080", "      version: \"1.24 beta\""));
    assert_eq!(d[0].message, "`1.24 beta` cannot be part of an image tag");

    let d = errors(&GO.replace("    description: My server", "    from: debian"));
    assert_eq!(d[0].message, "`from` is not set on a preset stage");
    assert_eq!((d[0].span.line, d[0].span.column), (9, 5));
}

#[test]
fn a_stage_of_the_users_replaces_the_generated_one_of_its_name() {
    let text = format!(
        "{GO}  server.build:\n    from: server.deps\n    steps:\n      - copy: .\n      - run: go build -o /out/app ./cmd/app\n"
    )
    .replace("target: server\n", "")
        + "target: server\n";
    let out = expanded(&text);
    assert_eq!(out.matches("  server.build:\n").count(), 1, "{out}");
    assert!(out.contains("go build -o /out/app ./cmd/app"));
    assert!(!out.contains("-trimpath"));
    compile::check(text.as_bytes(), &BuildOptions::default()).expect("plans");
}

#[test]
fn the_short_form_and_every_preset_and_manager_expand_to_a_valid_file() {
    let mut cases = vec!["preset: go".to_owned()];
    for name in PRESETS {
        cases.push(format!("preset: {{name: {name}, port: 8080}}"));
    }
    for (name, managers) in [
        ("node", ["npm", "pnpm", "yarn"]),
        ("python", ["pip", "uv", "poetry"]),
        ("java", ["maven", "gradle", "javac"]),
    ] {
        for m in managers {
            cases.push(format!(
                "preset: {{name: {name}, manager: {m}, version: \"1.2\", entry: x}}"
            ));
        }
    }
    for case in cases {
        let text = format!("stages:\n  app:\n    {case}\n");
        let out = expanded(&text);
        let (file, plan) = compile::check(text.as_bytes(), &BuildOptions::default())
            .unwrap_or_else(|d| panic!("{case}: {d:?}\n{out}"));
        let target = &plan.stages[plan.target];
        assert_eq!(target.name, "app", "{case}");
        // No warning but the plan's: the generated stages follow the lint rules.
        let warnings = compile::warnings(&file, &plan, text.as_bytes());
        assert!(warnings.is_empty(), "{case}: {warnings:?}\n{out}");
    }
}

#[test]
fn presets_written_in_flow_style_or_under_bad_names_are_refused() {
    let d = errors("stages: {app: {preset: go}}\n");
    assert_eq!(
        d[0].message,
        "a preset stage must be written in block style"
    );
    let d = errors("stages:\n  App:\n    preset: go\n");
    assert_eq!(d[0].message, "`App` is not a stage name a preset can use");
}

#[test]
fn a_file_without_presets_is_parsed_as_written() {
    assert!(
        crate::spec::expanded(b"stages:\n  a:\n    from: scratch\n")
            .unwrap()
            .is_none()
    );
    // The word alone is not a preset.
    assert!(
        crate::spec::expanded(b"stages:\n  preset:\n    from: scratch\n")
            .unwrap()
            .is_none()
    );
}

#[test]
fn plain_scalars_only_where_yaml_reads_them_back() {
    assert_eq!(quoted("go test ./..."), "go test ./...");
    assert_eq!(quoted("scratch"), "scratch");
    assert_eq!(quoted("a: b"), "\"a: b\"");
    assert_eq!(quoted("yes"), "\"yes\"");
    assert_eq!(quoted("x #y"), "\"x #y\"");
    assert_eq!(quoted("*a"), "\"*a\"");
    assert_eq!(quoted(""), "\"\"");
}
