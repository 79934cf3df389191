//! The `golden` binary: parse the command line, run, exit with the command's status.

fn main() {
    let cli = <golden::cli::Cli as clap::Parser>::parse();
    let code = golden::run(cli, golden::settings::Environment::capture());
    std::process::exit(code);
}
