import Foundation
import WarRoomCore
import WarRoomStore
import WarRoomTelemetry

/// The one effect runner: carries out the engine's commands off the screen thread and answers with actions. Journal
/// appends run in order on one serial queue (the journal writer is only touched there); the view for followers and
/// log lines on another, so a slow disk under the journal never stalls the view (or the reverse); hooks run in their
/// own process groups and answer when they end.
final class EffectRunner: @unchecked Sendable {
    private let queue = DispatchQueue(label: "warroom.journal")
    private let side = DispatchQueue(label: "warroom.view-and-log")
    private let lock = NSLock()
    /// The newest view waiting to be published: a publish still waiting is replaced, never queued behind.
    private var nextView: TelemetryView?
    private let writer: JournalWriter
    private let actor: String
    private let publishView: @Sendable (TelemetryView, Millis) throws -> Void
    private let answer: @Sendable (Action) -> Void
    private var publishFailed = false

    init(writer: JournalWriter, actor: String, view: @escaping @Sendable (TelemetryView, Millis) throws -> Void,
         answer: @escaping @Sendable (Action) -> Void) {
        self.writer = writer
        self.actor = actor
        publishView = view
        self.answer = answer
    }

    func run(_ command: Command) {
        switch command {
        case .append(let id, let body):
            queue.async { [self] in
                do {
                    let event = try writer.append(body, actor: actor, time: Clock.now())
                    answer(.appended(id: id, event))
                } catch {
                    answer(.appendFailed(id: id, "\(error)"))
                }
            }
        case .runHook(let r):
            let spec = ProcessSpec(argv: r.argv, environment: HookTemplate.environment(values: r.values),
                                   workingDirectory: r.directory, timeoutMs: r.timeoutMs)
            let answer = answer
            ProcessRunner.start(spec) { o in
                answer(.hookFinished(HookResult(decision: r.decision, ok: o.ok, summary: o.summary, tail: Array(o.tail.suffix(5)),
                                                durationMs: o.durationMs)))
            }
        case .publish(let view):
            lock.lock()
            let waiting = nextView != nil
            nextView = view
            lock.unlock()
            guard !waiting else { return }
            side.async { [self] in
                lock.lock()
                let latest = nextView
                nextView = nil
                lock.unlock()
                guard let latest else { return }
                do {
                    try publishView(latest, Clock.now())
                    if publishFailed { log("view for followers published again") }
                    publishFailed = false
                } catch {
                    if !publishFailed { log("cannot publish the view for followers: \(error)") }
                    publishFailed = true
                }
            }
        case .log(let line):
            let stamp = Clock.now()
            side.async { writeStderr("\(Timestamp.iso8601(stamp)) \(line)") }
        case .show:
            break // the console's message line
        }
    }

    /// Waits until every append, publish and log line handed over so far has been carried out.
    func drain() {
        queue.sync {}
        side.sync {}
    }
}
