/// The `command` source: a program (argv, no shell, run by `ProcessRunner` with the source's timeout)
/// that prints a number.
public enum CommandSourceReader {
    /// Pure: a finished run → reading.
    ///
    /// - exit 0: the first non-empty line of stdout, trimmed, parsed as a number (`0.5`, `12`, `NaN`, `+Inf`)
    ///   → `.value`; no output → `.noData`; anything else → `.failure("output is not a number: \"…\"")`.
    /// - non-zero exit, signal, timeout, failure to start → `.failure(summary)`, with the last line of output
    ///   (usually stderr's) appended: `"exit 7: curl: (7) Failed to connect"`.
    public static func decode(_ outcome: ProcessOutcome) -> Reading {
        guard outcome.ok else {
            var text = outcome.summary
            if case .failedToStart = outcome.termination {
                return .failure(text)
            }
            if let last = outcome.tail.last(where: { !$0.trimmingASCIIWhitespace().isEmpty }) {
                text += ": " + TelemetryText.oneLine(last, limit: 200)
            }
            return .failure(text)
        }
        return decodeOutput(outcome.stdout)
    }

    /// The stdout rule alone (exit 0).
    public static func decodeOutput(_ stdout: String) -> Reading {
        for line in stdout.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let text = String(line).trimmingASCIIWhitespace()
            if text.isEmpty { continue }
            if let x = TelemetryText.number(text) { return .value(x) }
            return .failure("output is not a number: \"\(TelemetryText.oneLine(text, limit: 60))\"")
        }
        return .noData
    }

    /// Runs `argv` in the background with `timeoutMs`, the environment `children` gives and its secrets redacted
    /// from the output; `completion` gets the reading once, on an arbitrary thread. The returned task can be
    /// cancelled (the child's process group is terminated).
    static func start(argv: [String], timeoutMs: Int64, children: ChildProcesses = ChildProcesses(),
                      completion: @escaping @Sendable (Reading) -> Void) -> Task<Void, Never> {
        Task.detached {
            let outcome = await ProcessRunner.run(children.spec(argv: argv, timeoutMs: timeoutMs))
            completion(decode(outcome))
        }
    }
}
