//! The edge of the program: hands over to the command line.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Past a file-size limit (`ulimit -f`) the kernel would kill guardia
    // with SIGXFSZ, silently, in the middle of a write (an attachment's
    // partial copy left behind). Ignored, the write fails with EFBIG
    // instead, and the command says which file could not be written and
    // rolls back, as on a full disk.
    // SAFETY: called first thing, before any other thread exists; setting
    // a signal to SIG_IGN installs no handler.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    guardia::cli::main_entry()
}
