import Dispatch
import Foundation
import WarRoomCore

/// An external tool for a command-based adapter (`kubectl`, `aws`): argv through the process runner (never a
/// shell), with the config's timeout, the children's environment allow-list and their redaction of secrets.
public struct CommandTool: Sendable {
    public var program: String
    public var children: ChildProcesses
    public var timeoutMs: Millis

    public init(program: String, children: ChildProcesses, timeoutMs: Millis) {
        self.program = program
        self.children = children
        self.timeoutMs = timeoutMs
    }

    /// Runs `program args…` and returns its stdout; a non-zero exit or a timeout throws with the last line(s) it printed.
    /// Blocks its thread: call it from a dispatch queue (the traffic runner's), never from Swift concurrency's pool,
    /// whose threads the process runner's task needs.
    /// `tailLines`: how many of its last lines a failure quotes. `stdoutCap`: how much of stdout is kept.
    public func run(_ args: [String], tailLines: Int = 1, stdoutCap: Int = ProcessRunner.stdoutCap) throws -> String {
        var spec = children.spec(argv: [program] + args, timeoutMs: timeoutMs)
        spec.stdoutCap = stdoutCap
        let done = DispatchSemaphore(value: 0)
        let box = OutcomeBox()
        _ = ProcessRunner.start(spec) { o in
            box.set(o)
            done.signal()
        }
        done.wait()
        guard let o = box.get() else { throw TrafficError("\(program): no outcome") }
        guard o.ok else {
            let verb = args.first ?? ""
            throw TrafficError("\(program) \(verb): \(o.summary)\(o.tail.suffix(tailLines).map { " — \($0)" }.joined())")
        }
        return o.stdout
    }
}

private final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var outcome: ProcessOutcome?
    func set(_ o: ProcessOutcome) { lock.lock(); outcome = o; lock.unlock() }
    func get() -> ProcessOutcome? { lock.lock(); defer { lock.unlock() }; return outcome }
}
