//! The `jirasync` binary: see the library for the sub-commands.

use std::process::ExitCode;

fn main() -> ExitCode {
    let env = jirasync::Environment::from_process();
    ExitCode::from(jirasync::run(
        std::env::args_os(),
        &env,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    ))
}
