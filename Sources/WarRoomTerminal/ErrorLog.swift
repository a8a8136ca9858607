#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps stray stderr output (runtime warnings, crash reports) off the curses screen.
public enum ErrorLog {
    /// Opens `path` for appending (created 0600) and makes it fd 2. (The run's own log, `warroom.log`, is named
    /// and opened by the store, `LogFile.open`; it comes here as a descriptor.)
    public static func redirectStderr(to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw TerminalError.system("open \(path)", errno) }
        try redirectStderr(fd: fd, name: path)
    }

    /// Makes the open descriptor `fd` the process's fd 2, and closes `fd` (unless it is 2).
    public static func redirectStderr(fd: Int32, name: String) throws {
        defer { if fd != 2 { close(fd) } }
        guard fd == 2 || dup2(fd, 2) >= 0 else { throw TerminalError.system("dup2 \(name)", errno) }
    }
}
