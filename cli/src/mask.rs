//! `sti mask`: stdin → masked stdout, line by line, nothing else on stdout.

use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

use sti_shared::pii::mask_pii;

pub fn run() -> ExitCode {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut line = Vec::new();
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("sti mask: cannot read stdin: {e}");
                return ExitCode::FAILURE;
            }
        }
        let ending_len = if line.ends_with(b"\r\n") { 2 } else { usize::from(line.ends_with(b"\n")) };
        let (content, ending) = line.split_at(line.len() - ending_len);
        let text = String::from_utf8_lossy(content);
        let written = out
            .write_all(mask_pii(&text).as_bytes())
            .and_then(|()| out.write_all(if ending.is_empty() { b"\n" } else { ending }));
        if let Err(e) = written {
            // A closed pipe (`sti mask | head`) is a normal way to stop.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("sti mask: cannot write stdout: {e}");
            return ExitCode::FAILURE;
        }
    }
    match out.flush() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sti mask: cannot write stdout: {e}");
            ExitCode::FAILURE
        }
    }
}
