import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process `warroom demo --stack` starts (haproxy, prometheus, the two backends), tied to the console's life.
///
/// How a child dies with the console, whatever way the console ends: every child is started through this binary's
/// hidden `demo-exec`, which asks the kernel for SIGKILL when its parent dies (`prctl(PR_SET_PDEATHSIG)`), checks the
/// parent is still the console (it may have died in between), marks every inherited descriptor close-on-exec, then
/// execs the program (the setting survives the exec). A quit, a `kill -TERM` (the console exits; `atexit` stops the
/// children with SIGTERM first) and a crash or `kill -9` of the console (the kernel sends the SIGKILL) all leave
/// nothing running. Chosen over a watchdog process on a pipe: no extra process per child, and nothing of ours has
/// to survive to do the killing. The "parent" the kernel watches is the thread that spawned the child: children are
/// started from the main thread, which lives as long as the process.
///
/// Each child is its own process group, so ^C at the terminal reaches the console only (it then stops them).
final class StackProcess: @unchecked Sendable {
    let name: String
    let pid: pid_t
    let logPath: String
    private let lock = NSLock()
    private var exitStatus: Int32?

    private init(name: String, pid: pid_t, logPath: String) {
        self.name = name
        self.pid = pid
        self.logPath = logPath
    }

    /// Starts `argv` (an absolute program path first) in `directory`, its output appended to `logPath`, through
    /// `launcher demo-exec`.
    static func start(name: String, argv: [String], directory: String, logPath: String, launcher: String) throws(Failure) -> StackProcess {
        let full = [launcher, "demo-exec", "--parent", "\(getpid())", "--cwd", directory, "--"] + argv
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // A clean signal mask and default dispositions (the console ignores SIGPIPE and SIGXFSZ; ignoring is inherited).
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        var cargs = full.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, launcher, &actions, &attr, &cargs, environ)
        guard rc == 0 else { throw Failure("cannot start \(name): \(String(cString: strerror(rc)))") }
        return StackProcess(name: name, pid: pid, logPath: logPath)
    }

    /// Whether it still runs (reaps it once it has ended).
    var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        if exitStatus != nil { return false }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid || (r < 0 && errno == ECHILD) {
            exitStatus = status
            return false
        }
        return true
    }

    /// The last lines of its log, for an error message.
    func logTail(_ lines: Int = 8) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// Sends `signal` to its process group.
    func signal(_ sig: Int32) {
        if isRunning { kill(-pid, sig) }
    }

    /// SIGTERM to each, SIGKILL to those still running after `graceMs`; returns once all are reaped.
    static func stopAll(_ children: [StackProcess], graceMs: Int = 3_000) {
        for c in children { c.signal(SIGTERM) }
        let deadline = monotonicNS() + UInt64(graceMs) * 1_000_000
        while children.contains(where: { $0.isRunning }), monotonicNS() < deadline { usleep(10_000) }
        for c in children where c.isRunning { c.signal(SIGKILL) }
        let last = monotonicNS() + 2_000_000_000
        while children.contains(where: { $0.isRunning }), monotonicNS() < last { usleep(10_000) }
    }
}

/// `prctl(PR_SET_PDEATHSIG, sig)`. Swift cannot call C's variadic `prctl` directly: it is looked up and called with
/// its five integer arguments (the Linux calling conventions pass them as for a non-variadic function).
enum ParentDeath {
    static func arm(_ sig: Int32) -> Bool {
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "prctl") else { return false }
        let prctl = unsafeBitCast(symbol, to: Prctl.self)
        let prSetPdeathsig: Int32 = 1
        return prctl(prSetPdeathsig, UInt(sig), 0, 0, 0) == 0
    }

    /// Marks every open descriptor above stderr close-on-exec (what the console had open stays with it).
    static func closeInheritedOnExec() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for e in entries {
            guard let fd = Int32(e), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}

/// `warroom demo-exec --parent PID --cwd DIR -- PROGRAM ARGS…`: how `demo --stack` starts its children (hidden).
struct DemoExec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-exec",
        abstract: "warroom demo --stack's launcher: run PROGRAM so that it dies with the console.",
        shouldDisplay: false
    )

    @Option(help: "The console's pid: the program is killed when that process ends.") var parent: Int32
    @Option(help: "The directory to run in.") var cwd: String
    @Argument(parsing: .captureForPassthrough, help: "The program (absolute path) and its arguments.") var command: [String] = []

    func run() throws {
        let argv = command.first == "--" ? Array(command.dropFirst()) : command
        guard let program = argv.first, program.hasPrefix("/") else { throw Failure("demo-exec: give the program's absolute path") }
        guard ParentDeath.arm(SIGKILL) else { throw Failure("demo-exec: prctl(PR_SET_PDEATHSIG) failed: \(String(cString: strerror(errno)))") }
        // The console may have ended before the request above: then nobody would kill the program.
        guard getppid() == parent else { throw Failure("demo-exec: the console (pid \(parent)) has already ended") }
        guard chdir(cwd) == 0 else { throw Failure("demo-exec: cannot enter \(cwd): \(String(cString: strerror(errno)))") }
        ParentDeath.closeInheritedOnExec()
        // warroom ignores these (ignoring survives an exec): the program gets the defaults.
        signal(SIGPIPE, SIG_DFL)
        signal(SIGXFSZ, SIG_DFL)
        var cargs = argv.map { strdup($0) } + [nil]
        execv(program, &cargs)
        throw Failure("demo-exec: cannot run \(program): \(String(cString: strerror(errno)))")
    }
}
