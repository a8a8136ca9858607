import Subprocess
import WarRoomCore

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

/// Runs hooks and `command` telemetry sources: one argv, no shell, stdin from /dev/null,
/// its own session and process group, bounded output, a hard timeout that kills the whole group.
/// The child gets an allow-list environment (`ProcessSpec.base`), never all of this one; what it prints comes back
/// with the secrets taken out (`ProcessSpec.redactor`).
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
                termination: .failedToStart(spec.redactor.redact(reason)), durationMs: elapsedMs(),
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
        var variables: [Environment.Key: String] = [:]
        var given = spec.base.variables().merging(spec.environment, uniquingKeysWith: { $1 })
        let tag = spec.endLeftBehind ? LeftBehind.newTag() : nil
        if let tag { given[LeftBehind.variable] = tag }
        for (key, value) in given {
            if key.isEmpty || key.utf8.contains(UInt8(ascii: "=")) || key.utf8.contains(0)
                || value.utf8.contains(0)
            {
                return failed("\(programLabel): invalid environment variable \(key.debugDescription)")
            }
            guard let envKey = Environment.Key(rawValue: key) else {
                return failed("\(programLabel): invalid environment variable \(key.debugDescription)")
            }
            variables[envKey] = value
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

        let collector = ProcessOutputCollector(redactor: spec.redactor, stdoutCap: spec.stdoutCap)
        let watchdog = ProcessGroupWatchdog()
        let leader = ProcessLockedBox<pid_t?>(nil)
        /// After the child is reaped: what it left running, ended (TERM, then KILL after the grace).
        func endLeftBehind() async -> [LeftBehindProcess] {
            guard let tag, let group = leader.withLock({ $0 }) else { return [] }
            let left = await LeftBehind.end(LeftBehind.find(tag: tag, group: group), graceMs: killGraceMs)
            return left.map { var p = $0; p.name = spec.redactor.redact(p.name); return p }
        }
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
                    environment: .custom(variables),
                    workingDirectory: spec.workingDirectory.map { FilePath($0) },
                    platformOptions: options,
                    input: .none,
                    output: .sequence,
                    error: .sequence
                ) { execution in
                    leader.withLock { $0 = execution.processIdentifier.value }
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
            let left = await endLeftBehind()
            let output = collector.finish()
            return ProcessOutcome(
                termination: timedOut ? .timedOut : .failedToStart(spec.redactor.redact("\(programLabel): started, but then \(text)")),
                durationMs: elapsedMs(), stdout: output.stdout, tail: output.tail, timeoutMs: spec.timeoutMs, leftBehind: left)
        }

        // The leader has been reaped. If the timeout fired, wait for the kill sequence to finish
        // (the rest of the group gone, or SIGKILLed); otherwise stop the timer.
        let timedOut = await watchdog.finish()
        let left = await endLeftBehind()
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
            stdout: output.stdout, tail: output.tail, timeoutMs: spec.timeoutMs, leftBehind: left)
    }

    /// For non-async callers (the console's poll loop): runs on a background task,
    /// calls `completion` exactly once on an arbitrary thread; returns immediately.
    /// Cancelling the returned task ends the program's whole process group (TERM, then KILL) and still completes.
    @discardableResult
    public static func start(_ spec: ProcessSpec, completion: @escaping @Sendable (ProcessOutcome) -> Void) -> Task<Void, Never> {
        Task.detached {
            let outcome = await run(spec)
            completion(outcome)
        }
    }

    // MARK: - Formatting helpers

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
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

