//! Unit tests of the conversion, one group per instruction kind.

use super::*;

fn sf(dockerfile: &str) -> String {
    match convert(dockerfile, &Options::default()) {
        Ok(c) => c.text,
        Err(e) => panic!("{e:?}"),
    }
}

fn err(dockerfile: &str) -> String {
    let errors = convert(dockerfile, &Options::default()).unwrap_err();
    errors[0].one_line("Dockerfile")
}

#[test]
fn from_and_stage_names() {
    let out = sf(
        "FROM busybox:1.35 AS Build\nFROM --platform=$BUILDPLATFORM busybox\nCOPY --from=0 /a /b\n",
    );
    assert!(
        out.starts_with("# syntax=stagefile:dev\nstages:\n  build:\n    from: busybox:1.35\n"),
        "{out}"
    );
    assert!(
        out.contains("  stage-1:\n    from: busybox:latest\n    platform: $BUILDPLATFORM\n"),
        "{out}"
    );
    assert!(
        out.contains("- copy: /a\n        from: build\n        to: /b\n"),
        "{out}"
    );
}

#[test]
fn args_global_and_stage() {
    let out = sf(
        "ARG V=1\nARG EMPTY\nFROM busybox:${V}\nARG V\nARG TARGETARCH\nARG LOCAL=x\nRUN echo $V\n",
    );
    assert!(
        out.contains("args:\n  V: '1'\n  EMPTY:\n  LOCAL: x\n"),
        "{out}"
    );
    assert!(out.contains("    args: [V, TARGETARCH, LOCAL]\n"), "{out}");
    assert!(
        err("ARG V=1\nFROM x:1\nARG V=2\n")
            .starts_with("Dockerfile:3:5: ARG V has the default `2`")
    );
}

#[test]
fn env_user_workdir_split_after_steps() {
    let out = sf(
        "FROM busybox:1.35 AS app\nWORKDIR /app\nENV A=1 B=\"two words\"\nRUN touch x\nUSER 1000\nWORKDIR sub\n",
    );
    assert!(out.contains("  app-1:\n    from: busybox:1.35\n    workdir: /app\n    env:\n      A: '1'\n      B: two words\n"), "{out}");
    assert!(
        out.contains("  app:\n    from: app-1\n    workdir: sub\n    user: '1000'\n"),
        "{out}"
    );
}

#[test]
fn user_after_workdir_is_its_own_part() {
    let out = sf("FROM busybox:1.35\nWORKDIR /w\nUSER nobody\n");
    assert!(out.contains("  stage-0-1:\n    from: busybox:1.35\n    workdir: /w\n  stage-0:\n    from: stage-0-1\n    user: nobody\n"), "{out}");
}

#[test]
fn run_forms_and_mounts() {
    let out = sf(
        "FROM x:1\nRUN [\"a\", \"b\"]\nRUN --mount=type=cache,target=/c,sharing=locked --mount=type=secret,id=tok,env=TOK --mount=type=ssh --network=none apt-get update && \\\n    apt-get install -y gcc\n",
    );
    assert!(out.contains("- run: [a, b]\n"), "{out}");
    assert!(out.contains("- run: >-\n          apt-get update &&\n          apt-get install -y gcc\n        cache: { target: /c, sharing: locked }\n        secret: { id: tok, env: TOK }\n        ssh: true\n        network: none\n"), "{out}");
    let out = sf(
        "FROM x:1\nRUN --mount=type=bind,from=0,source=/s,target=/t,rw --mount=type=tmpfs,target=/tmp,size=64m true\n",
    );
    assert!(out.contains("tmpfs: { target: /tmp, size: 64m }\n        mount: { from: stage-0, source: /s, target: /t, rw: true }\n"), "{out}");
}

#[test]
fn continuation_inside_quotes_stays_exact() {
    let out = sf("FROM x:1\nRUN echo \"a \\\n   b\"\n");
    assert!(out.contains("- run: echo \"a    b\"\n"), "{out}");
}

#[test]
fn heredocs() {
    let out = sf(
        "FROM x:1\nRUN <<EOF\necho hi\necho $HOME\nEOF\nRUN cat <<A > /a\nx\nA\nCOPY <<'B' /b.sh\necho $1\nB\nCOPY --chmod=0755 <<C <<D /dir/\n$X ${Y} $\nC\nd\nD\n",
    );
    assert!(
        out.contains("- run: |\n          echo hi\n          echo $HOME\n"),
        "{out}"
    );
    assert!(
        out.contains("- run: |-\n          cat <<A > /a\n          x\n          A\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "- file: /b.sh\n        expand: false\n        content: |\n          echo $1\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "- file: /dir/C\n        mode: '0755'\n        content: |\n          $X ${Y} $$\n"
        ),
        "{out}"
    );
    assert!(out.contains("- file: /dir/D\n"), "{out}");
}

#[test]
fn copy_and_add_flags() {
    let out = sf(
        "FROM x:1\nCOPY --chown=1:2 --chmod=644 --link --parents --exclude=*.md --exclude=docs a b /dst/\nCOPY . .\nADD --checksum=sha256:abc --keep-git-dir=true https://e.org/r.git /src\n",
    );
    assert!(out.contains("- copy: [a, b]\n        to: /dst/\n        chown: '1:2'\n        chmod: '644'\n        exclude: ['*.md', docs]\n        link: true\n        parents: true\n"), "{out}");
    assert!(out.contains("- copy: .\n"), "{out}");
    assert!(out.contains("- add: https://e.org/r.git\n        to: /src\n        checksum: sha256:abc\n        keep-git-dir: true\n"), "{out}");
    assert_eq!(
        err("FROM x:1\nCOPY --chmod=u+x a /b\n"),
        "Dockerfile:2:6: --chmod=u+x is not an octal mode, the only kind a Stagefile takes (write the mode in octal, such as 0755)"
    );
}

#[test]
fn image_config() {
    let out = sf(
        "FROM x:1\nSHELL [\"/bin/bash\", \"-c\"]\nCMD echo $HOME\nENTRYPOINT [\"/e\"]\nEXPOSE 80 53/udp\nEXPOSE 8080\nLABEL a=b \"c d\"=\"e f\"\nLABEL a=z\nVOLUME /data [\"x\"]\nVOLUME [\"/logs\"]\nSTOPSIGNAL SIGINT\nHEALTHCHECK --interval=5s --retries=3 CMD curl -f http://x/ || exit 1\n",
    );
    assert!(out.contains("    shell: [/bin/bash, -c]\n    entrypoint: [/e]\n    cmd: [/bin/bash, -c, echo $HOME]\n    expose: [80, 53/udp, 8080]\n    labels:\n      a: z\n      c d: e f\n    volumes: [/data, '[x]', /logs]\n    stopsignal: SIGINT\n    healthcheck:\n      test: curl -f http://x/ || exit 1\n      interval: 5s\n      retries: 3\n"), "{out}");
    let out = sf("FROM x:1\nHEALTHCHECK NONE\n");
    assert!(out.contains("healthcheck:\n      test: [NONE]\n"), "{out}");
}

#[test]
fn comments_sit_above_what_follows() {
    let out = sf(
        "# syntax=docker/dockerfile:1\n# escape=\\\n# top\nFROM x:1\n# the build\nRUN make\n# done\n",
    );
    assert!(out.starts_with("# syntax=stagefile:dev\nstages:\n  # top\n  stage-0:\n    from: x:1\n    steps:\n      # the build\n      - run: make\n# done\n"), "{out}");
}

#[test]
fn check_directive_becomes_the_check_key() {
    let out = sf("# check=skip=A,B;error=true\nFROM x:1\n");
    assert!(
        out.contains("check:\n  skip: [A, B]\n  error: true\n"),
        "{out}"
    );
}

#[test]
fn unmappable_instructions_are_located_errors() {
    assert_eq!(
        err("FROM x:1\n  ONBUILD RUN x\n"),
        "Dockerfile:2:3: ONBUILD has no Stagefile equivalent: a Stagefile's stages run their steps themselves (remove it, and put its instruction in the stages built from this image)"
    );
    assert_eq!(
        err("FROM x:1\nRUN --device=/dev/x true\n"),
        "Dockerfile:2:5: RUN --device has no Stagefile equivalent (RUN takes --mount, --network and --security)"
    );
    assert_eq!(
        err("FROM x:1\nRUNN x\n"),
        "Dockerfile:2:1: `RUNN` is not a Dockerfile instruction (did you mean `RUN`?)"
    );
    assert_eq!(
        err("RUN x\n"),
        "Dockerfile:1:1: RUN comes before any FROM (start the first stage with FROM)"
    );
    assert!(err("FROM x:1\nENV A=${B%%x}\n").starts_with("Dockerfile:2:1: ENV cannot convert"));
}

#[test]
fn maintainer_is_a_label_with_a_warning() {
    let c = convert("FROM x:1\nMAINTAINER Jo <jo@x>\n", &Options::default()).unwrap();
    assert!(
        c.text.contains("labels:\n      maintainer: Jo <jo@x>\n"),
        "{}",
        c.text
    );
    assert_eq!(c.warnings.len(), 1);
}
