//! `clearpark`: the booth console's command line. Each subcommand lives in `cli/`.
// The command line's output is its job; the library never prints.
#![allow(clippy::print_stdout)]

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if cli::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the whole chain of context on one line.
            eprintln!("clearpark: {e:#}");
            ExitCode::from(1)
        }
    }
}
