//! The edge of the program: hands over to the command line.

fn main() -> std::process::ExitCode {
    guardia::cli::main_entry()
}
