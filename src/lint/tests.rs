use super::*;
use crate::plan::BuildOptions;

fn rules(src: &str) -> Vec<(&'static str, u32)> {
    let file = crate::spec::parse(src.as_bytes()).unwrap();
    let plan = crate::plan::plan(&file, &BuildOptions::default()).unwrap();
    lint(&file, &plan, src)
        .into_iter()
        .map(|f| (f.rule, f.diagnostic.span.line))
        .collect()
}

fn fires(rule: &str, src: &str) -> Vec<u32> {
    rules(src)
        .into_iter()
        .filter(|(r, _)| *r == rule)
        .map(|(_, l)| l)
        .collect()
}

/// A Stagefile no rule objects to; each case below changes one thing in it.
const CLEAN: &str = "args:
  VERSION: '1.0'
stages:
  build:
    from: debian:bookworm
    steps:
      - copy: go.mod
      - run: apt-get install -y golang-go && echo $VERSION
        cache: /var/cache/apt
      - copy: .
  app:
    from: scratch
    user: '65532:65532'
    steps:
      - copy: /out
        from: build
";

#[test]
fn a_clean_file_has_no_findings() {
    assert_eq!(rules(CLEAN), vec![]);
}

#[test]
fn secrets_in_args_and_env() {
    let bad = CLEAN
        .replace("  VERSION: '1.0'", "  VERSION: '1.0'\n  GITHUB_TOKEN: null")
        .replace("$VERSION", "$VERSION $GITHUB_TOKEN");
    assert_eq!(fires("SecretsInArgOrEnv", &bad), vec![3]);
    let bad = CLEAN.replace(
        "    from: debian:bookworm\n",
        "    from: debian:bookworm\n    env: { DB_PASSWORD: x }\n",
    );
    assert_eq!(fires("SecretsInArgOrEnv", &bad), vec![6]);
    assert!(fires("SecretsInArgOrEnv", CLEAN).is_empty());
}

#[test]
fn root_final_image() {
    let bad = CLEAN.replace("    user: '65532:65532'\n", "");
    assert_eq!(fires("RootUser", &bad), vec![11]);
    let explicit = CLEAN.replace("'65532:65532'", "root");
    assert_eq!(fires("RootUser", &explicit), vec![13]);
    // A user set on a base stage is inherited.
    let inherited =
        "stages:\n  base:\n    from: scratch\n    user: '1000'\n  app:\n    from: base\n";
    assert!(fires("RootUser", inherited).is_empty());
}

#[test]
fn unpinned_base_images() {
    assert_eq!(
        fires(
            "UnpinnedBaseImage",
            &CLEAN.replace("debian:bookworm", "debian")
        ),
        vec![5]
    );
    assert_eq!(
        fires(
            "UnpinnedBaseImage",
            &CLEAN.replace("debian:bookworm", "debian:latest")
        ),
        vec![5]
    );
    assert!(
        fires(
            "UnpinnedBaseImage",
            &CLEAN.replace("debian:bookworm", "localhost:5000/debian:12")
        )
        .is_empty()
    );
}

#[test]
fn installs_without_cache() {
    let bad = CLEAN.replace("        cache: /var/cache/apt\n", "");
    assert_eq!(fires("InstallWithoutCache", &bad), vec![8]);
    for tool in [
        "pip install x",
        "npm ci",
        "go mod download",
        "cargo build --release",
        "apk add curl",
    ] {
        let bad = CLEAN
            .replace("apt-get install -y golang-go", tool)
            .replace("        cache: /var/cache/apt\n", "");
        assert_eq!(fires("InstallWithoutCache", &bad), vec![8], "{tool}");
    }
    assert!(fires("InstallWithoutCache", CLEAN).is_empty());
}

#[test]
fn unused_args_and_stages() {
    let bad = CLEAN.replace(" && echo $VERSION", "");
    assert_eq!(fires("UnusedArg", &bad), vec![2]);
    let listed = bad.replace(
        "        cache: /var/cache/apt\n",
        "        cache: /var/cache/apt\n        args: [VERSION]\n",
    );
    assert!(fires("UnusedArg", &listed).is_empty());

    let extra = format!("{CLEAN}  scratchpad:\n    from: busybox:1.35\n");
    let extra = extra.replace(
        "  app:\n",
        "  scratchpad:\n    from: busybox:1.35\n  app:\n",
    );
    let extra = extra.trim_end_matches("  scratchpad:\n    from: busybox:1.35\n");
    assert_eq!(fires("UnusedStage", extra), vec![11]);
    let described = extra.replace(
        "  scratchpad:\n    from: busybox:1.35\n",
        "  scratchpad:\n    from: busybox:1.35\n    description: debugging shell\n",
    );
    assert!(fires("UnusedStage", &described).is_empty());
}

#[test]
fn whole_context_before_install() {
    let bad = CLEAN.replace("      - copy: go.mod\n", "      - copy: .\n");
    assert_eq!(fires("ContextBeforeInstall", &bad), vec![7]);
    assert!(fires("ContextBeforeInstall", CLEAN).is_empty());
    // Compiling after copying the sources is the point of copying them.
    let compile = CLEAN.replace(
        "      - copy: .\n",
        "      - copy: .\n      - run: go build ./...\n        cache: /root/.cache/go-build\n",
    );
    assert!(fires("ContextBeforeInstall", &compile).is_empty());
}
