//! The Rust example built by examples/rust/Stagefile: a tiny HTTP server, Rust's standard
//! library only.
//!
//!     server          serve HTTP on :8080 (or $PORT); GET / answers the greeting
//!     server hello    print the greeting and exit (no network needed)

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::{env, process, thread};

const GREETING: &str = "hello from stagefile (rust)";

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    match args.as_slice() {
        [] => serve(),
        [hello] if hello == "hello" => println!("{GREETING}"),
        _ => {
            eprintln!("usage: server [hello]");
            process::exit(2);
        }
    }
}

fn serve() {
    let port = env::var("PORT").unwrap_or_else(|_| "8080".to_owned());
    let listener = TcpListener::bind(format!("0.0.0.0:{port}")).unwrap_or_else(|e| {
        eprintln!("cannot listen on :{port}: {e}");
        process::exit(1);
    });
    println!("listening on :{port}");
    for stream in listener.incoming().flatten() {
        thread::spawn(move || {
            if let Err(e) = answer(stream) {
                eprintln!("request failed: {e}");
            }
        });
    }
}

/// Reads one request's head and answers it: the greeting for `GET /`, else 404.
fn answer(stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let (status, body) = match request_line.split_whitespace().take(2).collect::<Vec<_>>()[..] {
        ["GET", "/"] => ("200 OK", format!("{GREETING}\n")),
        _ => ("404 Not Found", "not found\n".to_owned()),
    };
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}
