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

/// What to run: an argv array (never a shell command line).
public struct ProcessSpec: Sendable, Equatable {
    /// `argv[0]` is the program: a path (`/usr/bin/x`, `./scripts/x`; a relative path is resolved
    /// against `workingDirectory`) or a bare name looked up in `PATH`. Never a shell.
    public var argv: [String]
    /// Added to (overriding) the inherited environment. A `PATH` given here is also the one
    /// a bare program name is looked up in.
    public var environment: [String: String]
    /// The child's working directory; `nil` = this process's.
    public var workingDirectory: String?
    /// After this long the child's whole process group gets SIGTERM, then SIGKILL after a grace.
    public var timeoutMs: Int64

    public init(
        argv: [String],
        environment: [String: String] = [:],
        workingDirectory: String? = nil,
        timeoutMs: Int64 = 60_000
    ) {
        self.argv = argv
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.timeoutMs = timeoutMs
    }
}

/// How a run ended, with bounded output.
public struct ProcessOutcome: Sendable, Equatable {
    public enum Termination: Sendable, Equatable {
        /// The program exited by itself with this status.
        case exited(Int32)
        /// The program was killed by this signal (not by our timeout).
        case signalled(Int32)
        /// The timeout expired; the whole process group was terminated.
        case timedOut
        /// The program could not be started; the text names the program and the OS error.
        case failedToStart(String)
    }

    public var termination: Termination
    /// Wall time from just before the spawn until the child was reaped (monotonic clock).
    public var durationMs: Int64
    /// The first `ProcessRunner.stdoutCap` bytes of stdout (invalid UTF-8 repaired);
    /// ends with a "… (truncated, N bytes total)" line if more was written.
    public var stdout: String
    /// The last ≤ 10 non-empty lines of stdout and stderr combined, in the order they were read
    /// (each stream's own last line is always kept), each cut to ≤ 200 characters,
    /// terminal control sequences removed.
    public var tail: [String]
    /// The timeout the run had, for `summary`.
    public var timeoutMs: Int64

    public init(termination: Termination, durationMs: Int64, stdout: String, tail: [String], timeoutMs: Int64 = 0) {
        self.termination = termination
        self.durationMs = durationMs
        self.stdout = stdout
        self.tail = tail
        self.timeoutMs = timeoutMs
    }

    public var ok: Bool { termination == .exited(0) }

    /// One readable line: "exit 0", "exit 3", "killed by signal 9 (SIGKILL)", "timed out after 60 s",
    /// "cannot run ./scripts/set-weight: No such file or directory".
    public var summary: String {
        switch termination {
        case .exited(let code):
            return "exit \(code)"
        case .signalled(let signal):
            if let name = ProcessRunner.signalName(signal) {
                return "killed by signal \(signal) (\(name))"
            }
            return "killed by signal \(signal)"
        case .timedOut:
            return "timed out after \(ProcessRunner.formatSeconds(timeoutMs))"
        case .failedToStart(let reason):
            return "cannot run \(reason)"
        }
    }
}

/// Runs hooks and `command` telemetry sources: one argv, no shell, stdin from /dev/null,
/// its own session and process group, bounded output, a hard timeout that kills the whole group.
public enum ProcessRunner {
    /// Bytes of stdout kept in `ProcessOutcome.stdout`.
    public static let stdoutCap = 64 * 1024
    /// Lines kept in `ProcessOutcome.tail`.
    public static let tailLines = 10
    /// Characters per tail line.
    public static let tailLineLength = 200
    /// How long the group gets between SIGTERM and SIGKILL after a timeout.
    public static let killGraceMs: Int64 = 2_000

    public static func run(_ spec: ProcessSpec) async -> ProcessOutcome {
        var outcome = await runOnce(spec)
        // "Text file busy": the program was just written and a fork in another thread still holds it open for
        // writing until its exec (a deploy tool that writes the hook, or tests running side by side). It clears
        // within milliseconds.
        var attempts = 0
        while case .failedToStart(let why) = outcome.termination, why.contains("Text file busy"), attempts < 25 {
            attempts += 1
            try? await Task.sleep(for: .milliseconds(20))
            outcome = await runOnce(spec)
        }
        return outcome
    }

    static func runOnce(_ spec: ProcessSpec) async -> ProcessOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        func elapsedMs() -> Int64 { milliseconds(clock.now - start) }
        func failed(_ reason: String) -> ProcessOutcome {
            ProcessOutcome(
                termination: .failedToStart(reason), durationMs: elapsedMs(),
                stdout: "", tail: [], timeoutMs: spec.timeoutMs)
        }

        let executable: Executable
        let programLabel: String
        switch resolveProgram(spec) {
        case .failure(let reason): return failed(reason)
        case .success(let resolved):
            executable = resolved.executable
            programLabel = resolved.label
        }
        if let index = spec.argv.firstIndex(where: { $0.utf8.contains(0) }) {
            return failed("\(programLabel): argument \(index) contains a NUL byte")
        }
        var overrides: [Environment.Key: String?] = [:]
        for (key, value) in spec.environment {
            if key.isEmpty || key.utf8.contains(UInt8(ascii: "=")) || key.utf8.contains(0)
                || value.utf8.contains(0)
            {
                return failed("\(programLabel): invalid environment variable \(key.debugDescription)")
            }
            guard let envKey = Environment.Key(rawValue: key) else {
                return failed("\(programLabel): invalid environment variable \(key.debugDescription)")
            }
            overrides[envKey] = value
        }

        var options = PlatformOptions()
        // A new session: the child leads its own process group (pgid == pid), so a timeout can
        // signal the whole tree, and it has no controlling terminal, so it can never read from
        // or write to the console's terminal via /dev/tty.
        options.createSession = true
        // If the calling task is cancelled: SIGTERM to the group, SIGKILL to the group after the grace.
        options.teardownSequence = [
            .gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .milliseconds(killGraceMs))
        ]

        let collector = ProcessOutputCollector()
        let watchdog = ProcessGroupWatchdog()
        let timeout = Duration.milliseconds(max(0, spec.timeoutMs))
        let deadline = start + timeout

        let status: TerminationStatus
        do {
            // Cancelling the calling task ends the child's whole process group the same way as a
            // timeout (swift-subprocess's own teardown also sends the group SIGTERM, but stops
            // escalating once the leader has exited); the outcome then reports how the child died.
            let result = try await withTaskCancellationHandler {
                try await Subprocess.run(
                    executable,
                    arguments: Arguments(Array(spec.argv.dropFirst())),
                    environment: .inherit.updating(overrides),
                    workingDirectory: spec.workingDirectory.map { FilePath($0) },
                    platformOptions: options,
                    input: .none,
                    output: .sequence,
                    error: .sequence
                ) { execution in
                    watchdog.arm(pgid: execution.processIdentifier.value, deadline: deadline, clock: clock)
                    // Drain both pipes concurrently, so a child filling one of them never blocks.
                    // Both loops end at EOF, or when swift-subprocess sees the child exit (it then
                    // cancels the reads, after a final drain), so a grandchild that keeps a pipe
                    // open cannot hang us.
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask {
                            do {
                                for try await chunk in execution.standardOutput {
                                    chunk.withUnsafeBytes { collector.add(.stdout, $0) }
                                }
                            } catch {
                                collector.note("[warroom: reading stdout failed: \(error)]")
                            }
                        }
                        group.addTask {
                            do {
                                for try await chunk in execution.standardError {
                                    chunk.withUnsafeBytes { collector.add(.stderr, $0) }
                                }
                            } catch {
                                collector.note("[warroom: reading stderr failed: \(error)]")
                            }
                        }
                    }
                }
            } onCancel: {
                watchdog.cancel()
            }
            status = result.terminationStatus
        } catch {
            let text = (error as? SubprocessError).map(describe) ?? "\(error)"
            guard watchdog.wasArmed else {
                return failed("\(programLabel): \(text)")
            }
            // The program did start (and may have done its work) before swift-subprocess lost
            // track of it; say so rather than pretend it never ran.
            let timedOut = await watchdog.finish()
            let output = collector.finish()
            return ProcessOutcome(
                termination: timedOut ? .timedOut : .failedToStart("\(programLabel): started, but then \(text)"),
                durationMs: elapsedMs(), stdout: output.stdout, tail: output.tail, timeoutMs: spec.timeoutMs)
        }

        // The leader has been reaped. If the timeout fired, wait for the kill sequence to finish
        // (the rest of the group gone, or SIGKILLed); otherwise stop the timer.
        let timedOut = await watchdog.finish()
        let termination: ProcessOutcome.Termination
        if timedOut {
            termination = .timedOut
        } else {
            switch status {
            case .exited(let code): termination = .exited(code)
            case .signaled(let signal): termination = .signalled(signal)
            }
        }
        let output = collector.finish()
        return ProcessOutcome(
            termination: termination, durationMs: elapsedMs(),
            stdout: output.stdout, tail: output.tail, timeoutMs: spec.timeoutMs)
    }

    /// For non-async callers (the console's poll loop): runs on a background task,
    /// calls `completion` exactly once on an arbitrary thread; returns immediately.
    public static func start(_ spec: ProcessSpec, completion: @escaping @Sendable (ProcessOutcome) -> Void) {
        Task.detached {
            let outcome = await run(spec)
            completion(outcome)
        }
    }

    // MARK: - Program resolution

    private struct ResolvedProgram {
        var executable: Executable
        var label: String
    }

    /// A path (anything containing "/") is checked here, so a missing or non-executable program
    /// gets its real OS error; a relative path is made absolute against the working directory.
    /// A bare name is looked up by swift-subprocess in the child's PATH (never in the cwd).
    private enum Resolution {
        case success(ResolvedProgram)
        case failure(String)
    }

    private static func resolveProgram(_ spec: ProcessSpec) -> Resolution {
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

    private static func currentDirectory() -> String {
        guard let pointer = getcwd(nil, 0) else { return "." }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    private static func describe(_ error: SubprocessError) -> String {
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

    // MARK: - Formatting helpers

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }

    static func formatSeconds(_ ms: Int64) -> String {
        if ms % 1_000 == 0 { return "\(ms / 1_000) s" }
        let tenths = (ms + 50) / 100
        return "\(tenths / 10).\(tenths % 10) s"
    }

    static func signalName(_ signal: Int32) -> String? {
        switch signal {
        case SIGHUP: return "SIGHUP"
        case SIGINT: return "SIGINT"
        case SIGQUIT: return "SIGQUIT"
        case SIGILL: return "SIGILL"
        case SIGTRAP: return "SIGTRAP"
        case SIGABRT: return "SIGABRT"
        case SIGBUS: return "SIGBUS"
        case SIGFPE: return "SIGFPE"
        case SIGKILL: return "SIGKILL"
        case SIGUSR1: return "SIGUSR1"
        case SIGSEGV: return "SIGSEGV"
        case SIGUSR2: return "SIGUSR2"
        case SIGPIPE: return "SIGPIPE"
        case SIGALRM: return "SIGALRM"
        case SIGTERM: return "SIGTERM"
        default: return nil
        }
    }
}

// MARK: - Lock

/// A minimal mutex-protected box (no Foundation, no Synchronization availability constraints).
final class ProcessLockedBox<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

// MARK: - Timeout watchdog

/// Ends the child's process group at the deadline, or when the calling task is cancelled:
/// SIGTERM to the group, polls until no member is running, SIGKILL to the group after `killGraceMs`,
/// then polls (bounded) until it is gone.
final class ProcessGroupWatchdog: Sendable {
    private struct State {
        var pgid: pid_t?
        var timer: Task<Void, Never>?
        var killer: Task<Void, Never>?
        var timedOut = false
        var cancelRequested = false
        var finished = false
    }
    private let state = ProcessLockedBox(State())

    /// Called once the child is spawned (its pid is its process group id).
    func arm(pgid: pid_t, deadline: ContinuousClock.Instant, clock: ContinuousClock) {
        let timer = Task.detached { [self] in
            do {
                try await Task.sleep(until: deadline, clock: clock)
            } catch {
                return  // the child was reaped before the deadline
            }
            self.trigger(timeout: true)
        }
        let cancelled = state.withLock { s -> Bool in
            s.pgid = pgid
            s.timer = timer
            return s.cancelRequested
        }
        if cancelled { trigger(timeout: false) }
    }

    /// The calling task was cancelled.
    func cancel() {
        let armed = state.withLock { s -> Bool in
            s.cancelRequested = true
            return s.pgid != nil
        }
        if armed { trigger(timeout: false) }
    }

    private func trigger(timeout: Bool) {
        state.withLock { s in
            // A leader that exited by itself before the deadline (not reaped yet) has not timed
            // out: its own status is reported, and its group is left alone as after any exit.
            guard !s.finished, s.killer == nil, let pgid = s.pgid, !Self.leaderHasExited(pgid) else { return }
            s.timedOut = timeout
            s.killer = Task.detached { await Self.killGroup(pgid) }
        }
    }

    /// Whether `arm` was called, i.e. the child was spawned.
    var wasArmed: Bool { state.withLock { $0.pgid != nil } }

    /// After the leader has been reaped: stops the timer; if the group was being killed, waits until
    /// that has finished. Returns whether the timeout fired.
    func finish() async -> Bool {
        let (timer, killer, timedOut) = state.withLock { s in
            s.finished = true
            return (s.timer, s.killer, s.timedOut)
        }
        timer?.cancel()
        await killer?.value
        return timedOut
    }

    /// Peeks (without reaping) whether our child `pid` has exited or already been reaped.
    private static func leaderHasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else {
            return errno == ECHILD
        }
        #if canImport(Glibc)
        return info._sifields._sigchld.si_pid != 0
        #else
        return info.si_pid != 0
        #endif
    }

    /// Whether any process of the group is still running. Zombies do not count: an orphaned
    /// grandchild that has died may wait a while for init (or a container's PID 1) to reap it,
    /// and `kill(-pgid, 0)` still succeeds for it.
    static func groupExists(_ pgid: pid_t) -> Bool {
        if kill(-pgid, 0) != 0 && errno == ESRCH { return false }
        #if os(Linux)
        if let live = ProcStat.groupHasLiveMember(pgid) { return live }
        #endif
        return true
    }

    private static func killGroup(_ pgid: pid_t) async {
        guard pgid > 1 else { return }
        let clock = ContinuousClock()
        _ = kill(-pgid, SIGTERM)
        let graceEnd = clock.now + .milliseconds(ProcessRunner.killGraceMs)
        while groupExists(pgid) && clock.now < graceEnd {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard groupExists(pgid) else { return }
        _ = kill(-pgid, SIGKILL)
        // SIGKILL cannot be caught; wait (bounded) until the kernel has removed the group,
        // which for the leader means swift-subprocess has reaped it.
        let killEnd = clock.now + .seconds(2)
        while groupExists(pgid) && clock.now < killEnd {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

#if os(Linux)
/// Just enough of /proc to tell a running process from a zombie.
enum ProcStat {
    /// `(state, pgrp)` from /proc/<pid>/stat, or nil if the process is gone.
    static func stat(_ pid: pid_t) -> (state: UInt8, pgrp: pid_t)? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 512) { buffer in
            let count = read(fd, buffer.baseAddress, buffer.count)
            guard count > 0 else { return nil }
            // "pid (comm) S ppid pgrp ..."; comm may contain spaces and parentheses.
            var i = count - 1
            while i >= 0 && buffer[i] != UInt8(ascii: ")") { i -= 1 }
            guard i >= 0, i + 3 < count else { return nil }
            let state = buffer[i + 2]
            var j = i + 4  // start of ppid
            while j < count && buffer[j] != UInt8(ascii: " ") { j += 1 }
            j += 1  // start of pgrp
            var pgrp: Int32 = 0
            var digits = 0
            while j < count, buffer[j] >= UInt8(ascii: "0"), buffer[j] <= UInt8(ascii: "9") {
                pgrp = pgrp &* 10 &+ Int32(buffer[j] - UInt8(ascii: "0"))
                j += 1
                digits += 1
            }
            return digits > 0 ? (state, pgrp) : nil
        }
    }

    /// Whether a process is running (exists and is not a zombie).
    static func isRunning(_ pid: pid_t) -> Bool {
        guard let info = stat(pid) else { return false }
        return info.state != UInt8(ascii: "Z") && info.state != UInt8(ascii: "X")
    }

    /// Whether a non-zombie process with this process group exists; nil if /proc is unreadable.
    static func groupHasLiveMember(_ pgid: pid_t) -> Bool? {
        guard let directory = opendir("/proc") else { return nil }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let pid = withUnsafeBytes(of: entry.pointee.d_name) { raw -> pid_t in
                var value: pid_t = 0
                for byte in raw {
                    if byte == 0 { break }
                    guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return 0 }
                    value = value &* 10 &+ pid_t(byte - UInt8(ascii: "0"))
                }
                return value
            }
            guard pid > 0, let info = stat(pid) else { continue }
            if info.pgrp == pgid && info.state != UInt8(ascii: "Z") && info.state != UInt8(ascii: "X") {
                return true
            }
        }
        return false
    }
}
#endif

// MARK: - Output collection

/// Keeps the first `stdoutCap` bytes of stdout and the last lines of stdout+stderr, in O(cap) memory
/// whatever the child writes.
final class ProcessOutputCollector: Sendable {
    enum Stream { case stdout, stderr }

    /// A tail line's bytes are kept up to this many (enough for 200 characters of any script).
    static let lineByteCap = 1_024

    private struct TailLine {
        var number: Int
        var text: String
    }

    /// The last `tailLines` lines in arrival order, except that each stream's own last line is
    /// always included: the two pipes are read independently, so a reader that lags behind
    /// (a full stdout pipe) could otherwise push a hook's final stderr line out of the tail.
    private static func tail(_ s: State) -> [String] {
        var lines = s.lines
        let keep = Set(s.lastOfStream.compactMap { $0?.number })
        for case let last? in s.lastOfStream where !lines.contains(where: { $0.number == last.number }) {
            lines.append(last)
        }
        lines.sort { $0.number < $1.number }
        while lines.count > ProcessRunner.tailLines,
            let index = lines.firstIndex(where: { !keep.contains($0.number) })
        {
            lines.remove(at: index)
        }
        return lines.map(\.text)
    }

    private struct Partial {
        var bytes: [UInt8] = []
        var sequence = 0
    }

    private struct State {
        var stdoutKept: [UInt8] = []
        var stdoutTotal = 0
        /// The newest `tailLines` lines of both streams, in arrival order.
        var lines: [TailLine] = []
        /// Each stream's newest line, kept even after `lines` has moved past it.
        var lastOfStream: [TailLine?] = [nil, nil]
        var lineNumber = 0
        var partials: [Partial] = [Partial(), Partial()]
        var sequence = 0
    }

    private let state = ProcessLockedBox(State())

    func add(_ stream: Stream, _ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        state.withLock { s in
            s.sequence += 1
            if stream == .stdout {
                let room = ProcessRunner.stdoutCap - s.stdoutKept.count
                if room > 0 {
                    s.stdoutKept.append(contentsOf: bytes.prefix(room))
                }
                s.stdoutTotal += bytes.count
            }
            Self.addLines(&s, stream == .stdout ? 0 : 1, bytes)
        }
    }

    /// Adds a line of our own to the tail (e.g. a read error).
    func note(_ line: String) {
        state.withLock { s in Self.push(&s, nil, Self.render(Array(line.utf8))) }
    }

    func finish() -> (stdout: String, tail: [String]) {
        state.withLock { s in
            // Unterminated last lines, in the order they started arriving.
            let order = [0, 1].filter { !s.partials[$0].bytes.isEmpty }
                .sorted { s.partials[$0].sequence < s.partials[$1].sequence }
            for index in order {
                Self.push(&s, index, Self.render(s.partials[index].bytes))
                s.partials[index].bytes = []
            }
            var kept = s.stdoutKept[...]
            var text: String
            if s.stdoutTotal > kept.count {
                // Cut at a scalar boundary rather than leave a repaired half character.
                var cut = kept.endIndex
                var back = 0
                while back < 3, cut > kept.startIndex, kept[cut - 1] & 0xC0 == 0x80 {
                    cut -= 1
                    back += 1
                }
                if cut > kept.startIndex, kept[cut - 1] >= 0xC0 { cut -= 1 }
                kept = kept[..<cut]
                text = String(decoding: kept, as: UTF8.self)
                if !text.hasSuffix("\n") { text += "\n" }
                text += "… (truncated, \(s.stdoutTotal) bytes total)"
            } else {
                text = String(decoding: kept, as: UTF8.self)
            }
            return (text, Self.tail(s))
        }
    }

    /// Splits `bytes` into lines, completing the stream's pending partial line. Only the lines
    /// that can still end up in the tail are materialised: the chunk is scanned backwards from
    /// its last newline until `tailLines` non-empty lines are found.
    private static func addLines(_ s: inout State, _ index: Int, _ bytes: UnsafeRawBufferPointer) {
        let newline = UInt8(ascii: "\n")
        var lastNewline = bytes.count - 1
        while lastNewline >= 0 && bytes[lastNewline] != newline { lastNewline -= 1 }
        guard lastNewline >= 0 else {
            appendPartial(&s, index, UnsafeRawBufferPointer(rebasing: bytes[...]))
            return
        }
        var found: [String] = []  // newest first
        var segmentEnd = lastNewline
        while found.count < ProcessRunner.tailLines {
            var previous = segmentEnd - 1
            while previous >= 0 && bytes[previous] != newline { previous -= 1 }
            if previous < 0 {
                // The chunk's first line completes the pending partial line.
                var line = s.partials[index].bytes
                let room = max(0, lineByteCap - line.count)
                line.append(contentsOf: bytes[0..<min(segmentEnd, room)])
                if let rendered = render(line) { found.append(rendered) }
                break
            }
            let start = previous + 1
            let end = min(segmentEnd, start + lineByteCap)
            if let rendered = render(Array(bytes[start..<end])) { found.append(rendered) }
            segmentEnd = previous
        }
        for line in found.reversed() { push(&s, index, line) }
        s.partials[index].bytes = []
        if lastNewline + 1 < bytes.count {
            appendPartial(&s, index, UnsafeRawBufferPointer(rebasing: bytes[(lastNewline + 1)...]))
        }
    }

    private static func appendPartial(_ s: inout State, _ index: Int, _ bytes: UnsafeRawBufferPointer) {
        if s.partials[index].bytes.isEmpty { s.partials[index].sequence = s.sequence }
        let room = lineByteCap - s.partials[index].bytes.count
        if room > 0 { s.partials[index].bytes.append(contentsOf: bytes.prefix(room)) }
    }

    private static func push(_ s: inout State, _ stream: Int?, _ text: String?) {
        guard let text else { return }
        s.lineNumber += 1
        let line = TailLine(number: s.lineNumber, text: text)
        if let stream { s.lastOfStream[stream] = line }
        s.lines.append(line)
        if s.lines.count > ProcessRunner.tailLines {
            s.lines.removeFirst(s.lines.count - ProcessRunner.tailLines)
        }
    }

    /// Repairs UTF-8, removes terminal escape sequences and control characters (tabs become spaces),
    /// trims, cuts to `tailLineLength` characters; `nil` if nothing visible is left.
    static func render(_ bytes: [UInt8]) -> String? {
        let decoded = String(decoding: bytes, as: UTF8.self)
        var scalars = String.UnicodeScalarView()
        var iterator = decoded.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            switch scalar.value {
            case 0x1B:
                // ESC [ params final  (CSI), or ESC + one character.
                guard let next = iterator.next() else { break }
                if next == "[" {
                    while let c = iterator.next(), !(0x40...0x7E).contains(c.value) {}
                } else if next == "]" {
                    // OSC … BEL or ESC \
                    while let c = iterator.next(), c.value != 0x07 {
                        if c.value == 0x1B {
                            _ = iterator.next()  // the "\\" of ESC \
                            break
                        }
                    }
                }
            case 0x09:
                scalars.append(" ")
            case 0x00...0x1F, 0x7F...0x9F:
                continue
            default:
                scalars.append(scalar)
            }
        }
        var line = String(scalars)
        while let last = line.last, last.isWhitespace { line.removeLast() }
        while let first = line.first, first.isWhitespace { line.removeFirst() }
        guard !line.isEmpty else { return nil }
        if line.count > ProcessRunner.tailLineLength {
            line = String(line.prefix(ProcessRunner.tailLineLength - 1)) + "…"
        }
        return line
    }
}
