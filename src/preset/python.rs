//! `preset: python` — a virtual environment filled from the requirements before the
//! sources are copied, then copied alone with the app into the runtime image.

use super::{Generated, Settings, quoted};

pub fn stages(s: &Settings) -> Vec<Generated> {
    let n = &s.stage;
    let image = format!("python:{}-slim-trixie", s.version("python"));
    let runtime = quoted(s.runtime.as_deref().unwrap_or(&image));
    let image = quoted(&image);
    // The tools that install (uv, poetry) live in /tools, outside the app's /venv.
    let (manifests, install, cache) = match s.manager.as_deref() {
        Some("uv") => (
            "[pyproject.toml, uv.lock]",
            "if [ -f /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca SSL_CERT_FILE=/run/secrets/ca; fi && \
             python -m venv /tools && /tools/bin/pip install uv && \
             UV_PROJECT_ENVIRONMENT=/venv /tools/bin/uv sync --frozen --no-dev --no-install-project",
            "[/root/.cache/pip, /root/.cache/uv]",
        ),
        Some("poetry") => (
            "[pyproject.toml, poetry.lock]",
            "if [ -f /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca REQUESTS_CA_BUNDLE=/run/secrets/ca; fi && \
             python -m venv /tools && /tools/bin/pip install poetry && \
             POETRY_VIRTUALENVS_CREATE=false /tools/bin/poetry install --no-root --only main",
            "[/root/.cache/pip, /root/.cache/pypoetry]",
        ),
        _ => (
            "requirements.txt",
            "if [ -f /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi && \
             pip --python /venv/bin/python install --root-user-action=ignore -r requirements.txt",
            "/root/.cache/pip",
        ),
    };
    let install = quoted(install);
    let test = quoted(s.test.as_deref().unwrap_or("python -m unittest"));
    let entry = quoted(s.entry.as_deref().unwrap_or("app.py"));
    let description =
        s.description_or("The Python app and its virtual environment, as a non-root user");
    let expose = s.expose();
    vec![
        Generated {
            name: format!("{n}.deps"),
            text: format!(
                r#"{n}.deps:
  from: {image}
  workdir: /src
  env:
    VIRTUAL_ENV: /venv
    PATH: /venv/bin:${{PATH}}
    PIP_DISABLE_PIP_VERSION_CHECK: "1"
  steps:
    # Without pip of its own: the image's pip installs into it, so the runtime copies
    # only the app's packages.
    - run: python -m venv --without-pip /venv
    # The requirements first: this step stays cached until they change.
    - copy: {manifests}
    # The optional `ca` secret: a CA bundle for an index behind an intercepting proxy.
    - run: {install}
      cache: {cache}
      secret: ca
"#
            ),
        },
        Generated {
            name: format!("{n}.test"),
            text: format!(
                r#"{n}.test:
  description: The Python tests, run against the sources
  from: {n}.deps
  workdir: /app
  steps:
    - copy: .
    - run: {test}
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
    VIRTUAL_ENV: /venv
    PATH: /venv/bin:${{PATH}}
    PYTHONUNBUFFERED: "1"
  steps:
    # No package manager at run time (as root: the stage's user applies to its steps too).
    - run: python -m pip uninstall --yes --quiet --root-user-action=ignore pip
      user: root
    - copy: /venv
      from: {n}.deps
      to: /venv
    - copy: .
  user: "65532:65532"
{expose}  entrypoint: [python, {entry}]
"#
            ),
        },
    ]
}
