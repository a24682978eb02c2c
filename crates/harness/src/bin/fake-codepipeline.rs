//! The fake CodePipeline job API as a standalone server, for demos and
//! manual runs of a Lambda binary.
//!
//! `fake-codepipeline [--port N]` prints `listening on http://127.0.0.1:N`
//! as its first stdout line, serves the job API (see
//! `harness::codepipeline`), `GET /_reports` and `POST /_reset`, and exits
//! cleanly on SIGINT or SIGTERM.

use std::io::Write;

use harness::codepipeline::FakeCodePipeline;

fn main() {
    let mut port: u16 = 0;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" | "-p" => {
                let value = args.next().unwrap_or_default();
                port = value.parse().unwrap_or_else(|_| {
                    eprintln!("--port needs a number, got {value:?}");
                    std::process::exit(2);
                });
            }
            "--help" | "-h" => {
                println!("usage: fake-codepipeline [--port N]");
                return;
            }
            other => {
                eprintln!("unknown argument {other:?}; usage: fake-codepipeline [--port N]");
                std::process::exit(2);
            }
        }
    }
    let fake = FakeCodePipeline::start_on_port(port);
    let mut stdout = std::io::stdout();
    // Flushed at once: a script waits for this line to know the port.
    let _ = writeln!(stdout, "listening on {}", fake.endpoint());
    let _ = stdout.flush();
    fake.serve_until_signal();
    eprintln!("fake-codepipeline: stopped");
}
