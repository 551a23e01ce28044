//! `preset: java` — Maven (the default) or Gradle dependencies resolved before the
//! sources are copied, or plain `javac` for a project without a build tool; the jar on a
//! Java runtime of only the modules it uses (jdeps lists them, jlink links them) in a
//! slim Debian image.

use super::{Generated, Settings, quoted};

pub fn stages(s: &Settings) -> Vec<Generated> {
    let n = &s.stage;
    let version = s.version("java");
    let runtime = quoted(s.runtime.as_deref().unwrap_or("debian:trixie-slim"));
    let jdk = quoted(&format!("eclipse-temurin:{version}-jdk"));
    let description = s.description_or("The app's jar on a JRE, as a non-root user");
    let expose = s.expose();
    let (image, deps_steps, build, default_test, cache) = match s.manager.as_deref() {
        Some("gradle") => (
            format!("gradle:8-jdk{version}"),
            "    # The build files first: this step stays cached until they change.\n    \
             - copy: [settings.gradle*, build.gradle*, gradle.properties*]\n    \
             - run: gradle --no-daemon --quiet dependencies\n      cache: /root/.gradle\n"
                .to_owned(),
            "gradle --no-daemon --quiet assemble && mkdir -p /out && \
             cp $(ls build/libs/*.jar | grep -v -- '-plain.jar$' | head -n 1) /out/app.jar"
                .to_owned(),
            Some("gradle --no-daemon test"),
            "/root/.gradle",
        ),
        Some("javac") => (
            format!("eclipse-temurin:{version}-jdk"),
            String::new(),
            format!(
                "mkdir -p /out /tmp/classes && find . -name '*.java' > /tmp/sources && \
                 javac -d /tmp/classes @/tmp/sources && \
                 jar --create --file /out/app.jar --main-class {} -C /tmp/classes .",
                s.entry.as_deref().unwrap_or("Main")
            ),
            None,
            "",
        ),
        _ => (
            format!("maven:3-eclipse-temurin-{version}"),
            "    # The POM first: this step stays cached until it changes.\n    \
             - copy: pom.xml\n    \
             - run: mvn -B -q dependency:go-offline\n      cache: /root/.m2\n"
                .to_owned(),
            "mvn -B -q package -DskipTests && mkdir -p /out && \
             cp $(ls target/*.jar | grep -v -- '-sources.jar$' | head -n 1) /out/app.jar"
                .to_owned(),
            Some("mvn -B -q test"),
            "/root/.m2",
        ),
    };
    let image = quoted(&image);
    let build = quoted(&build);
    let cache_line = if cache.is_empty() {
        String::new()
    } else {
        format!("      cache: {cache}\n")
    };
    let deps_steps = if deps_steps.is_empty() {
        "  steps: []\n".to_owned()
    } else {
        format!("  steps:\n{deps_steps}")
    };
    let mut stages = vec![
        Generated {
            name: format!("{n}.deps"),
            text: format!("{n}.deps:\n  from: {image}\n  workdir: /src\n{deps_steps}"),
        },
        Generated {
            name: format!("{n}.build"),
            text: format!(
                "{n}.build:\n  from: {n}.deps\n  steps:\n    - copy: .\n    - run: {build}\n{cache_line}"
            ),
        },
    ];
    if let Some(test) = s.test.as_deref().or(default_test) {
        let test = quoted(test);
        stages.push(Generated {
            name: format!("{n}.test"),
            text: format!(
                "{n}.test:\n  description: The Java tests, run against the sources\n  \
                 from: {n}.deps\n  steps:\n    - copy: .\n    - run: {test}\n{cache_line}"
            ),
        });
    }
    stages.push(Generated {
        name: format!("{n}.modules"),
        text: format!(
            r#"{n}.modules:
  from: {jdk}
  steps:
    # The Java modules the jar uses: the runtime below is linked again only when this
    # list changes, not on every edit of the sources.
    - run: >-
        mkdir -p /out && jdeps --ignore-missing-deps --print-module-deps
        --multi-release {version} /jar/app.jar > /out/modules.txt
      mount: {{from: {n}.build, source: /out, target: /jar}}
"#
        ),
    });
    stages.push(Generated {
        name: format!("{n}.jre"),
        text: format!(
            r#"{n}.jre:
  from: {jdk}
  steps:
    # A read-only mount of the list: the step's cache key is the list's content.
    - run: >-
        jlink --add-modules "$(cat /modules/modules.txt)" --strip-debug --no-man-pages
        --no-header-files --compress=zip-6 --output /opt/jre
      mount: {{from: {n}.modules, source: /out, target: /modules}}
"#
        ),
    });
    stages.push(Generated {
        name: n.clone(),
        text: format!(
            r#"{n}:
  description: {description}
  from: {runtime}
  workdir: /app
  env:
    JAVA_HOME: /opt/jre
    PATH: /opt/jre/bin:${{PATH}}
  steps:
    - copy: /opt/jre
      from: {n}.jre
      to: /opt/jre
    - copy: /out/app.jar
      from: {n}.build
      to: /app/app.jar
  user: "65532:65532"
{expose}  entrypoint: [java, -jar, /app/app.jar]
"#
        ),
    });
    stages
}
