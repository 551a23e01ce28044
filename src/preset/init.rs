//! `stagefile init [DIR]`: find what kind of project a folder holds and write a
//! Stagefile that builds it with the matching preset, saying what it found.

use std::path::Path;

/// What was found: the preset, its keys, and the files that told.
#[derive(Debug, PartialEq, Eq)]
pub struct Detected {
    pub preset: &'static str,
    /// `(key, value)` pairs for the preset mapping, in order.
    pub keys: Vec<(&'static str, String)>,
    /// The clues, for the file's comment (`go.mod (go 1.24)`).
    pub found: Vec<String>,
}

/// The project kind of `dir`, from its manifests; `None` when none is recognised.
pub fn detect(dir: &Path) -> Option<Detected> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    let has = |name: &str| dir.join(name).is_file();
    if let Some(gomod) = read("go.mod") {
        return Some(go(dir, &gomod));
    }
    if let Some(package) = read("package.json") {
        return Some(node(dir, &package));
    }
    if has("pyproject.toml") || has("requirements.txt") {
        return Some(python(dir));
    }
    if let Some(cargo) = read("Cargo.toml") {
        return Some(rust(&cargo));
    }
    java(dir)
}

fn go(dir: &Path, gomod: &str) -> Detected {
    let mut keys = Vec::new();
    let mut found = vec!["go.mod".to_owned()];
    if let Some(v) = gomod
        .lines()
        .find_map(|l| l.trim().strip_prefix("go "))
        .map(|v| v.trim().split('.').take(2).collect::<Vec<_>>().join("."))
    {
        found[0] = format!("go.mod (go {v})");
        if newer(&v, super::default_version("go")) {
            keys.push(("version", v));
        }
    }
    // A main package at the root, or else the only one under cmd/.
    if !dir.join("main.go").is_file()
        && let Some(cmd) = only_subdir(&dir.join("cmd"))
    {
        found.push(format!("cmd/{cmd}"));
        keys.push(("entry", format!("./cmd/{cmd}")));
    }
    Detected {
        preset: "go",
        keys,
        found,
    }
}

fn node(dir: &Path, package: &str) -> Detected {
    let json: serde_json::Value = serde_json::from_str(package).unwrap_or_default();
    let mut keys = Vec::new();
    let mut found = vec!["package.json".to_owned()];
    for (lock, manager) in [
        ("pnpm-lock.yaml", "pnpm"),
        ("yarn.lock", "yarn"),
        ("package-lock.json", "npm"),
    ] {
        if dir.join(lock).is_file() {
            found.push(lock.to_owned());
            if manager != "npm" {
                keys.push(("manager", manager.to_owned()));
            }
            break;
        }
    }
    if let Some(major) = json["engines"]["node"]
        .as_str()
        .and_then(first_number)
        .filter(|major| newer(major, super::default_version("node")))
    {
        keys.push(("version", major));
    }
    let entry = json["main"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| first_file(dir, &["server.js", "index.js", "app.js", "main.js"]));
    if let Some(entry) = entry.filter(|e| e != "server.js") {
        keys.push(("entry", entry));
    }
    Detected {
        preset: "node",
        keys,
        found,
    }
}

fn python(dir: &Path) -> Detected {
    let mut keys = Vec::new();
    let mut found = Vec::new();
    let pyproject = std::fs::read_to_string(dir.join("pyproject.toml")).ok();
    if pyproject.is_some() {
        found.push("pyproject.toml".to_owned());
    }
    if dir.join("uv.lock").is_file() {
        found.push("uv.lock".to_owned());
        keys.push(("manager", "uv".to_owned()));
    } else if dir.join("poetry.lock").is_file()
        || pyproject
            .as_deref()
            .is_some_and(|p| p.contains("[tool.poetry]"))
    {
        found.push("poetry".to_owned());
        keys.push(("manager", "poetry".to_owned()));
    } else if dir.join("requirements.txt").is_file() {
        found.push("requirements.txt".to_owned());
    } else {
        // A pyproject.toml alone: uv reads it (and `uv lock` writes the lockfile).
        keys.push(("manager", "uv".to_owned()));
    }
    if let Some(entry) =
        first_file(dir, &["app.py", "main.py", "server.py", "manage.py"]).filter(|e| e != "app.py")
    {
        keys.push(("entry", entry));
    }
    Detected {
        preset: "python",
        keys,
        found,
    }
}

fn rust(cargo: &str) -> Detected {
    let mut keys = Vec::new();
    let mut in_package = false;
    for line in cargo.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some(name) = line.strip_prefix("name").map(str::trim_start)
            && let Some(name) = name.strip_prefix('=')
        {
            keys.push(("entry", name.trim().trim_matches('"').to_owned()));
            break;
        }
    }
    Detected {
        preset: "rust",
        keys,
        found: vec!["Cargo.toml".to_owned()],
    }
}

fn java(dir: &Path) -> Option<Detected> {
    let (manager, clue) = if dir.join("pom.xml").is_file() {
        (None, "pom.xml".to_owned())
    } else if let Some(gradle) = first_file(dir, &["build.gradle", "build.gradle.kts"]) {
        (Some("gradle"), gradle)
    } else {
        let main = find_main_class(dir, 0)?;
        let mut keys = vec![("manager", "javac".to_owned())];
        let clue = format!("Java sources ({main} has a main method)");
        if main != "Main" {
            keys.push(("entry", main));
        }
        return Some(Detected {
            preset: "java",
            keys,
            found: vec![clue],
        });
    };
    Some(Detected {
        preset: "java",
        keys: manager
            .map(|m| vec![("manager", m.to_owned())])
            .unwrap_or_default(),
        found: vec![clue],
    })
}

/// The class with `public static void main` in the first `.java` file that has one,
/// with its package (`com.example.App`); a few levels deep at most.
fn find_main_class(dir: &Path, depth: u32) -> Option<String> {
    if depth > 8 {
        return None;
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir).ok()?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in &entries {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "java")
            && let Ok(text) = std::fs::read_to_string(&path)
            && text.contains("static void main")
        {
            let class = path.file_stem()?.to_string_lossy().into_owned();
            let package = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("package "))
                .map(|p| p.trim_end_matches(';').trim().to_owned());
            return Some(match package {
                Some(p) => format!("{p}.{class}"),
                None => class,
            });
        }
    }
    entries
        .iter()
        .filter(|e| e.path().is_dir() && !e.file_name().to_string_lossy().starts_with('.'))
        .find_map(|e| find_main_class(&e.path(), depth + 1))
}

/// Whether version `a` is newer than `b` (dot-separated numbers): a project that asks
/// for a newer toolchain than the preset's default gets it; an older minimum keeps the default.
fn newer(a: &str, b: &str) -> bool {
    let parts = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parts(a) > parts(b)
}

fn first_file(dir: &Path, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find(|n| dir.join(n).is_file())
        .map(|n| (*n).to_owned())
}

fn only_subdir(dir: &Path) -> Option<String> {
    let subdirs: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    match subdirs.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

fn first_number(text: &str) -> Option<String> {
    let digits: String = text
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

/// A stage name from the folder's name: lower case, other characters as `-`.
pub fn stage_name(dir: &Path) -> String {
    let base = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().to_lowercase()))
        .unwrap_or_default();
    let name: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if name.is_empty() {
        "app".to_owned()
    } else {
        name.to_owned()
    }
}

/// The Stagefile `init` writes for what was found.
pub fn stagefile(detected: &Detected, stage: &str, syntax: &str) -> String {
    let mut out = format!(
        "# syntax={syntax}\n# Written by `stagefile init`: found {}, so the {} preset builds this\n\
         # project. `stagefile expand Stagefile` prints the stages it writes; a stage of your\n\
         # own with one of their names replaces it.\nstages:\n  {stage}:\n",
        detected.found.join(", "),
        detected.preset
    );
    if detected.keys.is_empty() {
        out.push_str(&format!("    preset: {}\n", detected.preset));
    } else {
        out.push_str(&format!("    preset:\n      name: {}\n", detected.preset));
        for (key, value) in &detected.keys {
            // Versions stay text that reads as text (`"1.20"`, not a number).
            let value = if value.parse::<f64>().is_ok() {
                format!("\"{value}\"")
            } else {
                super::quoted(value)
            };
            out.push_str(&format!("      {key}: {value}\n"));
        }
    }
    out
}

/// `stagefile init DIR`: writes DIR/Stagefile, refusing to replace one without `force`.
pub fn run(dir: &Path, force: bool, syntax: &str) -> std::process::ExitCode {
    use std::process::ExitCode;
    let fail = |msg: String| crate::cli::fail(&msg);
    if !dir.is_dir() {
        return fail(format!("{} is not a folder", dir.display()));
    }
    let target = dir.join("Stagefile");
    if target.exists() && !force {
        return fail(format!(
            "{} exists; add --force to replace it",
            target.display()
        ));
    }
    let Some(detected) = detect(dir) else {
        return fail(format!(
            "found no project in {}: init looks for go.mod, package.json, pyproject.toml, \
             requirements.txt, Cargo.toml, pom.xml, build.gradle or Java sources",
            dir.display()
        ));
    };
    let text = stagefile(&detected, &stage_name(dir), syntax);
    // What init writes must build: check it before writing.
    if let Err(diags) = crate::spec::parse(text.as_bytes()) {
        for d in diags {
            eprintln!("{}", d.render("<init>", &text));
        }
        return fail("the Stagefile init made does not parse; please report this".to_owned());
    }
    if let Err(e) = std::fs::write(&target, &text) {
        return fail(format!("cannot write {}: {e}", target.display()));
    }
    println!(
        "wrote {} (the {} preset; found {})",
        target.display(),
        detected.preset,
        detected.found.join(", ")
    );
    ExitCode::SUCCESS
}
