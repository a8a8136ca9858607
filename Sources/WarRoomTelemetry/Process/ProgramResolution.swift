import Subprocess

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(System)
import System
#else
import SystemPackage
#endif

extension ProcessRunner {
    // Program resolution: how argv[0] becomes a program to run.

    struct ResolvedProgram {
        var executable: Executable
        var label: String
    }

    /// A path (anything containing "/") is checked here, so a missing or non-executable program
    /// gets its real OS error; a relative path is made absolute against the working directory.
    /// A bare name is looked up by swift-subprocess in the child's PATH (never in the cwd).
    enum Resolution {
        case success(ResolvedProgram)
        case failure(String)
    }

    static func resolveProgram(_ spec: ProcessSpec) -> Resolution {
        guard let program = spec.argv.first, !program.isEmpty else {
            return .failure("(empty command): no program given")
        }
        if program.utf8.contains(0) {
            return .failure("\(program.debugDescription): program name contains a NUL byte")
        }
        guard program.contains("/") else {
            return .success(ResolvedProgram(executable: .name(program), label: program))
        }
        var full = program
        if !program.hasPrefix("/") {
            let base: String
            if let directory = spec.workingDirectory {
                if directory.hasPrefix("/") {
                    base = directory
                } else {
                    base = currentDirectory() + "/" + directory
                }
            } else {
                base = currentDirectory()
            }
            full = (base.hasSuffix("/") ? base : base + "/") + program
        }
        var info = stat()
        if stat(full, &info) != 0 {
            return .failure("\(program): \(errorText(errno))")
        }
        if (info.st_mode & numericCast(S_IFMT)) == numericCast(S_IFDIR) {
            return .failure("\(program): \(errorText(EISDIR))")
        }
        if access(full, X_OK) != 0 {
            return .failure("\(program): \(errorText(errno))")
        }
        return .success(ResolvedProgram(executable: .path(FilePath(full)), label: program))
    }

    static func currentDirectory() -> String {
        guard let pointer = getcwd(nil, 0) else { return "." }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    static func describe(_ error: SubprocessError) -> String {
        if error.code == .executableNotFound {
            return errorText(ENOENT) + " (not found in PATH)"
        }
        if error.code == .failedToChangeWorkingDirectory {
            let reason = error.underlyingError.map { errorText($0.rawValue) } ?? "failed"
            return "working directory: \(reason)"
        }
        if error.code == .spawnFailed, let underlying = error.underlyingError {
            return errorText(underlying.rawValue)
        }
        return error.description
    }

    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
