//! The queries buildx sends instead of a build (`--call`, `--check`, `--print`): outline,
//! targets, lint and the list of queries, answered as result metadata without refs.

use base64::Engine;
use bollard_buildkit_proto::moby::buildkit::v1::frontend as fe;

/// The queries buildx sends instead of a build (`--print`, `--call`), with descriptions.
pub(super) const SUBREQUESTS: &[(&str, &str)] = &[
    (
        "frontend.outline",
        "List the args, secrets, ssh sockets and caches the target uses",
    ),
    ("frontend.targets", "List the stages that can be built"),
    (
        "frontend.lint",
        "Check the Stagefile against the lint rules",
    ),
    (
        "frontend.subrequests.describe",
        "List the queries this frontend answers",
    ),
];

/// Answers a query: metadata only, no refs. `Err(None)` for an unknown query.
pub(super) fn subrequest(
    request: &str,
    files: &crate::include::Files,
    opts: &crate::plan::BuildOptions,
) -> Result<fe::Result, Option<Vec<crate::diag::Diagnostic>>> {
    let (filename, data) = (files.main().name.as_str(), files.main().data.as_slice());
    let mut result = fe::Result::default();
    let json = match request {
        "frontend.subrequests.describe" => {
            let list: Vec<serde_json::Value> = SUBREQUESTS
                .iter()
                .map(|(name, description)| {
                    serde_json::json!({ "name": name, "version": crate::outline::VERSION, "type": "rpc", "description": description, "opts": [], "metadata": [{ "name": "result.json" }] })
                })
                .collect();
            let text: String = SUBREQUESTS
                .iter()
                .map(|(n, d)| format!("{:<28}{}\n", n.trim_start_matches("frontend."), d))
                .collect();
            result
                .metadata
                .insert("result.txt".to_owned(), text.into_bytes());
            serde_json::Value::from(list)
        }
        "frontend.targets" => {
            let file = crate::spec::parse(data).map_err(Some)?;
            crate::outline::targets_in(&file, files)
        }
        "frontend.lint" => return Ok(lint(result, filename, files, opts)),
        "frontend.outline" => {
            let (file, plan) = crate::compile::plan_files(files, opts).map_err(Some)?;
            crate::outline::outline(&file, &plan, data)
        }
        _ => return Err(None),
    };
    Ok(with_json(result, &json))
}

/// `frontend.lint`: the rules' findings; a file that does not compile is reported as
/// the lint's build error rather than failing the request.
fn lint(
    mut result: fe::Result,
    filename: &str,
    files: &crate::include::Files,
    opts: &crate::plan::BuildOptions,
) -> fe::Result {
    let data = files.main().data.as_slice();
    let body = match crate::compile::check_files(files, opts) {
        Err(diags) => serde_json::json!({
            "warnings": [],
            "sources": [lint_source(data)],
            "buildError": { "message": diags[0].message, "location": lint_location(diags[0].span) },
        }),
        Ok((file, plan)) => {
            let findings = crate::lint::lint(&file, &plan, &String::from_utf8_lossy(data));
            let text: String = findings
                .iter()
                .map(|f| {
                    let uncoded = crate::diag::Diagnostic {
                        code: None,
                        ..f.diagnostic.clone()
                    };
                    format!("{}: {}\n", f.rule, uncoded.one_line(filename))
                })
                .collect();
            result
                .metadata
                .insert("result.txt".to_owned(), text.into_bytes());
            let warnings: Vec<serde_json::Value> = findings
                .iter()
                .map(|f| {
                    let description = crate::lint::RULES
                        .iter()
                        .find(|(n, _)| *n == f.rule)
                        .map_or("", |(_, d)| *d);
                    serde_json::json!({
                        "ruleName": f.rule,
                        "description": description,
                        "detail": f.diagnostic.message,
                        "location": lint_location(f.diagnostic.span),
                    })
                })
                .collect();
            serde_json::json!({ "warnings": warnings, "sources": [lint_source(data)] })
        }
    };
    let clean = body["warnings"].as_array().is_some_and(|w| w.is_empty())
        && body.get("buildError").is_none();
    result.metadata.insert(
        "result.statuscode".to_owned(),
        if clean { b"0".to_vec() } else { b"1".to_vec() },
    );
    with_json(result, &body)
}

fn with_json(mut result: fe::Result, json: &serde_json::Value) -> fe::Result {
    let text = serde_json::to_vec_pretty(json).expect("json");
    result.metadata.insert("result.json".to_owned(), text);
    result.metadata.insert(
        "version".to_owned(),
        crate::outline::VERSION.as_bytes().to_vec(),
    );
    result
}

fn lint_source(data: &[u8]) -> serde_json::Value {
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    serde_json::json!({ "language": "Stagefile", "data": encoded })
}

fn lint_location(span: crate::diag::Span) -> serde_json::Value {
    let pos = serde_json::json!({ "line": span.line, "character": span.column.saturating_sub(1) });
    serde_json::json!({ "sourceIndex": 0, "ranges": [{ "start": pos, "end": pos }] })
}
