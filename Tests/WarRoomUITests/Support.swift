import Foundation
import Testing
@testable import WarRoomCore
@testable import WarRoomUI

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let fixtureDir = repoRoot.appendingPathComponent("Tests/Fixtures")

/// 2026-11-23T09:00:00Z
let t0: Millis = 1_795_424_400_000

func fixtureChecklist(_ name: String = "console/wide.md") -> Checklist {
    let data = FileManager.default.contents(atPath: fixtureDir.appendingPathComponent(name).path) ?? Data()
    return ChecklistParser.parse([UInt8](data), path: name)
}

/// A run with a few changes by two people, at fixed times.
func sampleRun(_ checklist: Checklist) -> RunState {
    var run = RunState()
    run.runID = "3fa2c1d8"
    let events: [(String, EventBody)] = [
        ("dana", .runStarted(RunStarted(checklist: checklist.path, checklistSHA256: "00", items: checklist.items.count, host: "h", pid: 1))),
        ("dana", .itemSet(ItemSet(id: "T11", status: .done, note: "snapshot s-2291"))),
        ("lee", .itemSet(ItemSet(id: "T11a", status: .blocked, reason: "restore host down"))),
        ("dana", .itemSet(ItemSet(id: "T13", status: .skipped, reason: "bridge is virtual"))),
    ]
    for (n, e) in events.enumerated() {
        try? run.apply(JournalEvent(seq: n + 1, time: t0 - 3_600_000 + Int64(n) * 61_000, actor: e.0, body: e.1))
    }
    return run
}

func sampleState(size: Size = Size(width: 120, height: 40), driving: Bool = true, checklist: Checklist? = nil) -> ConsoleState {
    let c = checklist ?? fixtureChecklist()
    let config = RunConfig(path: nil, service: "payments-gw", checklist: c.path, t0: t0, plan: RampPlan(steps: []))
    let session = Session(actor: "dana", role: driving ? .driver : .follower(driver: nil), stateDir: ".warroom")
    let engine = Engine(config: config, session: session, checklist: c, run: sampleRun(c), now: t0 - 754_000)
    return ConsoleState(engine: engine, size: size)
}

/// The appends among `effects`, as the effect runner would hand them to the journal.
func appends(_ effects: [ConsoleEffect]) -> [EventBody] {
    effects.compactMap { if case .command(.append(_, let body)) = $0 { body } else { nil } }
}

/// What the effect runner would be asked besides appends (hooks, publishes, logs).
func hooks(_ effects: [ConsoleEffect]) -> [HookRequest] {
    effects.compactMap { if case .command(.runHook(let r)) = $0 { r } else { nil } }
}

/// The effect runner as the tests play it: every append is journaled at once (next seq, the console's clock and
/// actor) and acknowledged; what the acknowledgements ask for in turn is carried out the same way. Returns the
/// events journaled and the hooks asked for.
@discardableResult
func journal(_ s: inout ConsoleState, _ effects: [ConsoleEffect], actor: String? = nil) throws -> (events: [JournalEvent], hooks: [HookRequest]) {
    var events: [JournalEvent] = []
    var hooksAsked: [HookRequest] = []
    var queue = effects
    var seq = s.run.lastSeq
    while !queue.isEmpty {
        let effect = queue.removeFirst()
        guard case .command(let c) = effect else { continue }
        switch c {
        case .append(let id, let body):
            seq += 1
            let e = JournalEvent(seq: seq, time: s.now, actor: actor ?? body.author(console: s.config.actor), body: body)
            var check = s.run
            try check.apply(e)
            events.append(e)
            queue += s.update(.engine(.appended(id: id, e)))
        case .runHook(let r):
            hooksAsked.append(r)
        default:
            break
        }
    }
    return (events, hooksAsked)
}

/// Presses keys and journals what they ask for; returns the events.
@discardableResult
func pressAndSave(_ s: inout ConsoleState, _ keys: Key...) throws -> [JournalEvent] {
    try journal(&s, keys.flatMap { s.update(.key($0)) }).events
}

/// Sends keys and returns every effect they produced.
@discardableResult
func press(_ s: inout ConsoleState, _ keys: Key...) -> [ConsoleEffect] {
    keys.flatMap { s.update(.key($0)) }
}

func typed(_ text: String) -> [Key] { text.map { Key.char($0) } }

extension Mode {
    /// No prompt is open: the console reads keys as commands, or holds them after a refusal (`Mode.held`).
    var noPrompt: Bool {
        if case .held = self { return true }
        return self == .normal
    }
}
