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
    let config = ConsoleConfig(service: "payments-gw", actor: "dana", driving: driving, t0: t0, stateDir: ".warroom")
    return ConsoleState(config: config, checklist: c, run: sampleRun(c), now: t0 - 754_000, size: size)
}

/// Sends keys and returns every effect they produced.
@discardableResult
func press(_ s: inout ConsoleState, _ keys: Key...) -> [ConsoleEffect] {
    keys.flatMap { s.update(.key($0)) }
}

func typed(_ text: String) -> [Key] { text.map { Key.char($0) } }
