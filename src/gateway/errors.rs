//! Errors as BuildKit shows them: `google.rpc.Status` with source-located details.

use crate::diag::Diagnostic;
use bollard_buildkit_proto::google::{protobuf::Any, rpc::Status};
use bollard_buildkit_proto::pb;
use prost::Message;

#[allow(clippy::all)]
pub(super) mod errdefs {
    include!(concat!(env!("OUT_DIR"), "/errdefs.rs"));
}

/// gRPC code `Unknown`: buildx prints the message without a code prefix.
const CODE_UNKNOWN: i32 = 2;

/// A build failure from diagnostics, each framed by buildx at its line in its own file
/// (the Stagefile or an included file, which says where it was included).
pub fn located(files: &crate::include::Files, diags: &[Diagnostic]) -> Status {
    let main = files.main();
    let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
    let shown = if errors.is_empty() {
        diags.iter().collect()
    } else {
        errors
    };
    let mut message = shown
        .iter()
        .map(|d| files.one_line(d))
        .collect::<Vec<_>>()
        .join("\n");
    if shown.len() > 1 {
        message = format!("{} problems in {}:\n{message}", shown.len(), main.name);
    }
    let details = shown
        .iter()
        .filter(|d| d.span.is_known())
        .map(|d| {
            let file = files.get(d.span.file);
            source_detail(&file.name, &file.data, d.span.line)
        })
        .collect();
    Status {
        code: CODE_UNKNOWN,
        message,
        details,
    }
}

/// A failure with no place in the Stagefile.
pub fn plain(message: impl Into<String>) -> Status {
    Status {
        code: CODE_UNKNOWN,
        message: message.into(),
        details: Vec::new(),
    }
}

/// A failure at one line of the Stagefile, when it is known. The line is in the text
/// too: old engines do not show source details.
pub fn at_line(filename: &str, data: &[u8], line: Option<u32>, message: String) -> Status {
    let Some(line) = line else {
        return plain(message);
    };
    let mut status = plain(format!("{filename}:{line}: {message}"));
    status.details.push(source_detail(filename, data, line));
    status
}

/// The Stagefile as BuildKit's source-info message carries it.
pub fn source_info(filename: &str, data: &[u8]) -> pb::SourceInfo {
    pb::SourceInfo {
        filename: filename.to_owned(),
        data: data.to_vec(),
        definition: None,
        language: "Stagefile".to_owned(),
    }
}

/// A range covering one whole line (BuildKit frames lines, not columns).
pub fn line_range(line: u32) -> pb::Range {
    let position = pb::Position {
        line: line as i32,
        character: 0,
    };
    pb::Range {
        start: Some(position),
        end: Some(position),
    }
}

/// An `errdefs.Source` detail pointing at one line of the Stagefile.
pub fn source_detail(filename: &str, data: &[u8], line: u32) -> Any {
    let source = errdefs::Source {
        info: Some(source_info(filename, data)),
        ranges: vec![line_range(line)],
    };
    Any {
        type_url: "errdefs.Source".to_owned(),
        value: source.encode_to_vec(),
    }
}

/// BuildKit's own error from a call, forwarded unchanged (details included) when it
/// carries them, so its vertex and source information reach the user.
pub fn from_rpc(context: &str, status: &tonic::Status) -> Status {
    if !status.details().is_empty()
        && let Ok(s) = Status::decode(status.details())
    {
        return s;
    }
    Status {
        code: status.code() as i32,
        message: format!("{context}: {}", status.message()),
        details: Vec::new(),
    }
}
