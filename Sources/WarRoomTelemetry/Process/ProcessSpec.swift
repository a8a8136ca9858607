import WarRoomCore

/// What to run: an argv array (never a shell command line).
public struct ProcessSpec: Sendable, Equatable {
    /// `argv[0]` is the program: a path (`/usr/bin/x`, `./scripts/x`; a relative path is resolved
    /// against `workingDirectory`) or a bare name looked up in `PATH`. Never a shell.
    public var argv: [String]
    /// Added to (overriding) `base`. A `PATH` given here is also the one a bare program name is looked up in.
    public var environment: [String: String]
    /// What the child gets of this process's environment: the allow-list, plus what the config passes and sets.
    /// Never the whole environment.
    public var base: ChildEnvironment
    /// Applied to everything the child printed (`stdout`, `tail`) and to a failure's reason, before any of it leaves
    /// the runner.
    public var redactor: Redactor
    /// The child's working directory; `nil` = this process's.
    public var workingDirectory: String?
    /// After this long the child's whole process group gets SIGTERM, then SIGKILL after a grace.
    public var timeoutMs: Int64
    /// Whether what the child leaves running after it ends (a background job, a process that escaped its group
    /// with `setsid`) is found, ended and reported (`ProcessOutcome.leftBehind`). Hooks: yes.
    public var endLeftBehind: Bool
    /// Bytes of stdout kept in the outcome (default `ProcessRunner.stdoutCap`); a tool whose whole answer is parsed
    /// (kubectl's JSON) asks for more.
    public var stdoutCap = ProcessRunner.stdoutCap

    public init(
        argv: [String],
        environment: [String: String] = [:],
        base: ChildEnvironment = ChildEnvironment(),
        redactor: Redactor = Redactor(),
        workingDirectory: String? = nil,
        timeoutMs: Int64 = 60_000,
        endLeftBehind: Bool = false
    ) {
        self.argv = argv
        self.environment = environment
        self.base = base
        self.redactor = redactor
        self.workingDirectory = workingDirectory
        self.timeoutMs = timeoutMs
        self.endLeftBehind = endLeftBehind
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
    /// The first `ProcessSpec.stdoutCap` bytes of stdout (invalid UTF-8 repaired);
    /// ends with a "… (truncated, N bytes total)" line if more was written.
    public var stdout: String
    /// The last ≤ 10 non-empty lines of stdout and stderr combined, in the order they were read
    /// (each stream's own last line is always kept), each cut to ≤ 200 characters,
    /// terminal control sequences removed.
    public var tail: [String]
    /// The timeout the run had, for `summary`.
    public var timeoutMs: Int64
    /// What the child left running after it ended, ended by the runner (`ProcessSpec.endLeftBehind`).
    public var leftBehind: [LeftBehindProcess]

    public init(termination: Termination, durationMs: Int64, stdout: String, tail: [String], timeoutMs: Int64 = 0,
                leftBehind: [LeftBehindProcess] = []) {
        self.termination = termination
        self.durationMs = durationMs
        self.stdout = stdout
        self.tail = tail
        self.timeoutMs = timeoutMs
        self.leftBehind = leftBehind
    }

    public var ok: Bool { termination == .exited(0) }

    /// One readable line: "exit 0", "exit 3", "killed by signal 9 (SIGKILL)", "timed out after 60 s",
    /// "cannot run ./scripts/set-weight: No such file or directory".
    public var summary: String {
        leftBehind.isEmpty ? endSummary : endSummary + "; " + LeftBehind.describe(leftBehind)
    }

    private var endSummary: String {
        switch termination {
        case .exited(let code):
            return "exit \(code)"
        case .signalled(let signal):
            if let name = ProcessRunner.signalName(signal) {
                return "killed by signal \(signal) (\(name))"
            }
            return "killed by signal \(signal)"
        case .timedOut:
            return "timed out after \(DurationText.seconds(timeoutMs))"
        case .failedToStart(let reason):
            return "cannot run \(reason)"
        }
    }
}

