//! Who owns what a stage creates, against the Dockerfile twin built by the builtin
//! frontend on the same engine: a stage's `workdir` is created as the stage's user (its
//! own `user` or the base's), as Docker's WORKDIR does, so a non-root step can write there.
//!
//! Like the other engine tests they run only when `STAGEFILE_E2E` is set.

mod common;

use common::*;

/// Builds the Stagefile and the Dockerfile of `build`; returns `/srv/app/owner` of each.
fn owners(build: &Build) -> (String, String) {
    let ours = build.run().success();
    let twin = build.run_file("Dockerfile", &[]).success();
    (
        ours.image.run_ok(&["cat", "/srv/app/owner"]),
        twin.image.run_ok(&["cat", "/srv/app/owner"]),
    )
}

#[test]
fn workdir_belongs_to_the_stages_user_by_name_and_by_id() {
    if !engine_enabled() {
        return;
    }
    for (user, stat) in [("nobody", "%U:%G"), ("65532:65533", "%u:%g")] {
        let build = Build::new()
            .stagefile(&format!(
                "\
stages:
  app:
    from: debian:bookworm
    user: \"{user}\"
    workdir: /srv/app
    steps:
      - run: touch /srv/app/written && stat -c '{stat}' /srv/app > /srv/app/owner
"
            ))
            .file(
                "Dockerfile",
                &format!(
                    "FROM debian:bookworm\nUSER {user}\nWORKDIR /srv/app\n\
                     RUN touch /srv/app/written && stat -c '{stat}' /srv/app > /srv/app/owner\n"
                ),
            );
        let (ours, twin) = owners(&build);
        assert_eq!(ours, twin, "user {user}: the Dockerfile twin differs");
        let expected = if user == "nobody" {
            "nobody:nogroup\n"
        } else {
            "65532:65533\n"
        };
        assert_eq!(ours, expected, "user {user}");
    }
}

#[test]
fn workdir_takes_the_base_images_user() {
    if !engine_enabled() {
        return;
    }
    // The base stage sets the user; the stage built on it creates its workdir as that user.
    let build = Build::new()
        .stagefile(
            "\
stages:
  base:
    from: debian:bookworm
    user: nobody
  app:
    from: base
    workdir: /srv/app
    steps:
      - run: stat -c '%U' /srv/app > /srv/app/owner
",
        )
        .file(
            "Dockerfile",
            "FROM debian:bookworm AS base\nUSER nobody\n\
             FROM base AS app\nWORKDIR /srv/app\nRUN stat -c '%U' /srv/app > /srv/app/owner\n",
        );
    let (ours, twin) = owners(&build);
    assert_eq!(ours, twin);
    assert_eq!(ours, "nobody\n");
}
