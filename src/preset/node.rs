//! `preset: node` — dependencies installed from the lockfile before the sources are
//! copied, production dependencies installed apart, and the app run by the image's
//! unprivileged `node` user.

use super::{Generated, Settings, quoted};

/// What a package manager needs: its manifests, how to install all or only production
/// dependencies, its cache folder and how to run a script.
struct Manager {
    manifests: &'static str,
    setup: &'static str,
    install: &'static str,
    install_production: &'static str,
    cache: &'static str,
    run: &'static str,
}

fn manager(name: Option<&str>) -> Manager {
    match name {
        Some("pnpm") => Manager {
            manifests: "[package.json, pnpm-lock.yaml]",
            setup: "corepack enable pnpm && ",
            install: "pnpm install --frozen-lockfile",
            install_production: "pnpm install --frozen-lockfile --prod",
            cache: "/root/.local/share/pnpm/store",
            run: "pnpm run",
        },
        Some("yarn") => Manager {
            manifests: "[package.json, yarn.lock]",
            setup: "corepack enable yarn && ",
            install: "yarn install --frozen-lockfile",
            install_production: "yarn install --frozen-lockfile --production",
            cache: "/usr/local/share/.cache/yarn",
            run: "yarn run",
        },
        _ => Manager {
            manifests: "[package.json, package-lock.json]",
            setup: "",
            install: "npm ci",
            install_production: "npm ci --omit=dev",
            cache: "/root/.npm",
            run: "npm run",
        },
    }
}

pub fn stages(s: &Settings) -> Vec<Generated> {
    let n = &s.stage;
    let m = manager(s.manager.as_deref());
    let image = format!("node:{}-trixie-slim", s.version("node"));
    let runtime = quoted(s.runtime.as_deref().unwrap_or(&image));
    let image = quoted(&image);
    let install = quoted(&format!("{}{}", m.setup, m.install));
    // A project without dependencies gets no node_modules: the runtime copies one anyway.
    let install_production = quoted(&format!(
        "{}{} && mkdir -p node_modules",
        m.setup, m.install_production
    ));
    let build = quoted(&format!("{} build --if-present", m.run));
    let test = quoted(s.test.as_deref().unwrap_or(&format!("{} test", m.run)));
    let entry = quoted(s.entry.as_deref().unwrap_or("server.js"));
    let description =
        s.description_or("The Node app with its production dependencies, as the node user");
    let expose = s.expose();
    let (manifests, cache) = (m.manifests, m.cache);
    vec![
        Generated {
            name: format!("{n}.deps"),
            text: format!(
                r#"{n}.deps:
  from: {image}
  workdir: /app
  steps:
    # The manifests first: this step stays cached until they change.
    - copy: {manifests}
    # The optional `ca` secret: a CA bundle for a registry behind an intercepting proxy.
    - run: {install}
      cache: {cache}
      secret: ca
      env:
        NODE_EXTRA_CA_CERTS: /run/secrets/ca
"#
            ),
        },
        Generated {
            name: format!("{n}.build"),
            text: format!(
                r#"{n}.build:
  from: {n}.deps
  steps:
    - copy: .
    - run: {build}
"#
            ),
        },
        Generated {
            name: format!("{n}.test"),
            text: format!(
                r#"{n}.test:
  description: The Node tests, run against the built app
  from: {n}.build
  steps:
    - run: {test}
"#
            ),
        },
        Generated {
            name: format!("{n}.production"),
            text: format!(
                r#"{n}.production:
  from: {image}
  workdir: /app
  steps:
    # Production dependencies only: the runtime image leaves the dev tools out.
    - copy: {manifests}
    - run: {install_production}
      cache: {cache}
      secret: ca
      env:
        NODE_EXTRA_CA_CERTS: /run/secrets/ca
"#
            ),
        },
        Generated {
            name: n.clone(),
            text: format!(
                r#"{n}:
  description: {description}
  from: {runtime}
  workdir: /app
  env:
    NODE_ENV: production
  steps:
    # No package manager at run time: npm, npx, corepack and yarn go (as root: the
    # stage's user applies to its steps too).
    - run: >-
        rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack
        /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
        /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
      user: root
    - copy: /app
      from: {n}.build
      to: /app
      exclude: [node_modules]
    - copy: /app/node_modules
      from: {n}.production
      to: /app/node_modules
  user: "1000:1000"
{expose}  entrypoint: [node, {entry}]
"#
            ),
        },
    ]
}
