import Foundation
import Testing
@testable import WarRoomCore

private let seedCopies = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/seeds")

/// The seed whose name starts with `prefix`, as copied into Tests/Fixtures/seeds (CI's clone has no ../shared).
func seed(_ prefix: String) throws -> Checklist {
    let name = try #require(try FileManager.default.contentsOfDirectory(atPath: seedCopies.path).first { $0.hasPrefix(prefix) })
    let data = try Data(contentsOf: seedCopies.appendingPathComponent(name))
    return ChecklistParser.parse(String(decoding: data, as: UTF8.self), path: name)
}

private let minute: Millis = 60_000
private let hour: Millis = 60 * minute

// MARK: - Derivation: which items each step requires and which it ticks

@Suite struct StepRequirementDerivation {
    @Test func seed004RequiresThePreCutoverChecklistAndMapsT1217ToT1226() throws {
        let c = try seed("004")
        let d = c.derive()
        #expect(d.steps.map(\.percent) == [10, 25, 50, 75, 100])
        #expect(d.steps[0].require.map(\.ref) == ["Pre-Cutover Checklist"])
        #expect(d.steps[0].require.first?.line == 142)
        // The section resolves, and holds T1216.
        guard case .section(let s)? = c.requirement("Pre-Cutover Checklist") else { Issue.record("no section"); return }
        #expect(c.itemIndices(inSubtree: s).map { c.items[$0].taskID } == ["T1212", "T1213", "T1214", "T1215", "T1216"])
        #expect(d.steps.map { $0.ticks.map(\.ref) } == [["T1217"], ["T1220"], ["T1222"], ["T1224"], ["T1226"]])
        #expect(d.steps.map { $0.require.map(\.ref) }.dropFirst() == [["T1218", "T1219"], ["T1221"], ["T1223"], ["T1225"]])
        #expect(d.steps.map(\.holdMs) == [30 * minute, 30 * minute, 30 * minute, 30 * minute, nil])
    }

    @Test func seed000HoldsAndTheValidationOfTheStepBefore() throws {
        let d = try seed("000").derive()
        #expect(d.steps.map(\.percent) == [10, 25, 50, 100])
        #expect(d.steps.map(\.holdMs) == [hour, hour, 2 * hour, hour])
        #expect(d.steps[0].require.map(\.ref) == ["Phase 1: Infrastructure Deployment (Day 7 Morning)"])
        #expect(d.steps[0].ticks.map(\.line) == [113, 114])
        #expect(d.steps[1].require.map(\.line) == [115, 116, 117, 118])
        #expect(d.steps[1].ticks.map(\.line) == [120, 121])
        #expect(d.steps[3].require.map(\.line) == [129, 130, 131, 132])
        #expect(d.steps[3].ticks.map(\.text) == ["100% Traffic Cutover", "Route all eligible queries to web orchestration"])
    }

    @Test func seed001TheChecksBeforeTheFirstShift() throws {
        let c = try seed("001")
        let d = c.derive()
        #expect(d.steps.map(\.percent) == [10, 50, 100])
        #expect(d.steps[0].require.first?.ref == "Pre-Deployment (T-30 min)")
        // The green environment and smoke tests above the shift in its own section, not its parent item (line 179).
        #expect(d.steps[0].require.dropFirst().map(\.line) == [167, 168, 169, 170, 171, 173, 174, 175, 176, 177])
        #expect(d.steps.map { $0.ticks.map(\.line) } == [[180], [181], [182]])
        #expect(d.steps[1].require.isEmpty && d.steps[2].require.isEmpty)
        // Every derived reference resolves in the checklist it came from.
        for s in d.steps { for r in s.require + s.ticks { #expect(c.requirement(r.ref) != nil, "\(r.ref)") } }
    }

    @Test(arguments: ["002", "003"]) func noRampNoSteps(_ prefix: String) throws {
        let d = try seed(prefix).derive()
        #expect(d.steps.isEmpty)
        #expect(d.notes.contains { $0.contains("a tracker of the checklist only") })
    }
}

// MARK: - Gates with an injected clock

struct GateRun {
    var state = RunState()
    var seq = 0

    init() throws {
        try add(.runStarted(RunStarted(checklist: "c.md", checklistSHA256: "ab", items: 4, host: "h", pid: 1)), at: 0)
    }

    mutating func add(_ body: EventBody, at time: Millis, actor: String = "dana") throws {
        seq += 1
        try state.apply(JournalEvent(seq: seq, time: time, actor: actor, body: body))
    }
}

@Suite struct StepRequirementGates {
    let checklist = ChecklistParser.parse("""
        # Cutover
        ## Pre-Cutover Checklist
        - [ ] T1215 Obtain go/no-go decision
        - [ ] T1216 Final review of deployment checklist
        ## Gradual Traffic Migration
        - [ ] T1217 Route 10% traffic to Blue environment
        - [ ] T1218 Monitor Blue environment for 30 minutes
        - [ ] T1220 Route 100% traffic to Blue environment
        """, path: "c.md")

    func plan(skippedOk: [String] = []) -> RampPlan {
        RampPlan(steps: [RampStep(percent: 10, holdMs: 30 * minute, require: ["Pre-Cutover Checklist"], skippedOk: skippedOk, ticks: ["T1217"]),
                         RampStep(percent: 100, holdMs: hour, require: ["T1218"], ticks: ["T1220"])],
                 holdMs: 5 * minute)
    }

    func verdict(_ r: GateRun, _ p: RampPlan, at now: Millis) -> GateVerdict {
        Gates.evaluate(plan: p, run: r.state, checklist: checklist, slos: [], lights: [], now: now)
    }

    @Test func blockedNamesTheItemAndItsStateNotACount() throws {
        var r = try GateRun()
        try r.add(.itemSet(ItemSet(id: "T1215", status: .done)), at: 1)
        try r.add(.itemSet(ItemSet(id: "T1216", status: .blocked, reason: "checklist owner absent")), at: 2)
        let v = verdict(r, plan(), at: 3)
        #expect(v.state == .blocked)
        #expect(v.blockers == ["T1216 blocked: checklist owner absent"])
        #expect(v.summary(now: 3) == "BLOCKED: T1216 blocked: checklist owner absent")
        try r.add(.itemSet(ItemSet(id: "T1216", status: .done)), at: 4)
        #expect(verdict(r, plan(), at: 5).state == .ready)
    }

    @Test func skippedBlocksUnlessSkippedOk() throws {
        var r = try GateRun()
        try r.add(.itemSet(ItemSet(id: "T1215", status: .done)), at: 1)
        try r.add(.itemSet(ItemSet(id: "T1216", status: .skipped, reason: "n/a")), at: 2)
        #expect(verdict(r, plan(), at: 3).blockers == ["T1216 skipped (skipped_ok not set)"])
        #expect(verdict(r, plan(skippedOk: ["Pre-Cutover Checklist"]), at: 3).state == .ready)
        // A blocked item blocks even with skipped_ok.
        try r.add(.itemSet(ItemSet(id: "T1216", status: .blocked)), at: 4)
        #expect(verdict(r, plan(skippedOk: ["Pre-Cutover Checklist"]), at: 5).blockers == ["T1216 blocked"])
    }

    @Test func countdownStaysVisibleWhileBlocked() throws {
        var r = try GateRun()
        try r.add(.itemSet(ItemSet(id: "T1215", status: .done)), at: 1)
        try r.add(.itemSet(ItemSet(id: "T1216", status: .done)), at: 1)
        try r.add(.rampDecision(RampDecision(kind: .go, from: 0, to: 10, verdict: "READY", ticks: ["T1217"])), at: 0)
        let v = verdict(r, plan(), at: 10 * minute)
        #expect(v.state == .blocked)
        #expect(v.blockers == ["T1218 open"])
        #expect(v.waitUntil == 30 * minute)
        #expect(v.summary(now: 10 * minute) == "BLOCKED: T1218 open · hold 20:00 left")
    }

    @Test func goTicksTheStepsItemsAndARollbackReopensThem() throws {
        var r = try GateRun()
        try r.add(.rampDecision(RampDecision(kind: .go, from: 0, to: 10, verdict: "READY", ticks: ["T1217"])), at: 5, actor: "driver")
        let item = try #require(checklist.item(id: "T1217"))
        #expect(r.state.status(of: item) == .done)
        #expect(r.state.record("T1217")?.actor == "driver")
        #expect(r.state.record("T1217")?.seq == 2)
        #expect(r.state.ticksToReopen == ["T1217"])
        #expect(r.state.lastUndoable(by: "driver") == nil, "a decision's tick is not the driver's to take back with u")
        try r.add(.rampDecision(RampDecision(kind: .rollback, from: 10, to: 0, verdict: "READY", ticks: ["T1217"])), at: 9, actor: "driver")
        #expect(r.state.status(of: item) == .open)
        #expect(r.state.record("T1217")?.reason == "rolled back")
        #expect(r.state.ticksToReopen.isEmpty)
    }

    @Test func aHookedGoTicksOnlyWhenTheHookSucceeds() throws {
        var r = try GateRun()
        try r.add(.rampDecision(RampDecision(kind: .go, from: 0, to: 10, verdict: "READY", hook: ["./set", "10"], ticks: ["T1217"])), at: 5)
        let item = try #require(checklist.item(id: "T1217"))
        #expect(r.state.status(of: item) == .open)
        try r.add(.hookResult(HookResult(decision: 2, ok: false, summary: "exit 1", durationMs: 10)), at: 6)
        #expect(r.state.status(of: item) == .open)
    }

    @Test func theHoldAtTheLastStepElapsesBeforeComplete() throws {
        var r = try GateRun()
        try r.add(.rampDecision(RampDecision(kind: .go, from: 0, to: 10, verdict: "READY")), at: 0)
        try r.add(.rampDecision(RampDecision(kind: .override, from: 10, to: 100, reason: "t", verdict: "BLOCKED")), at: minute)
        let v = verdict(r, plan(), at: 30 * minute)
        #expect(v.state == .waiting && v.next == nil)
        #expect(v.waitUntil == minute + hour)
        #expect(verdict(r, plan(), at: minute + hour - 1).state == .waiting)
        #expect(verdict(r, plan(), at: minute + hour).state == .complete)
    }
}

// MARK: - Phases on the mission clock

@Suite struct PhasesOnTheMissionClock {
    func dues(_ c: Checklist) -> [String: Int] {
        Dictionary(c.phases.map { (c.sections[$0.section].title, $0.dueMinutes) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func seed001TOffsetsAndRanges() throws {
        let c = try seed("001")
        let d = dues(c)
        #expect(d["Pre-Deployment (T-30 min)"] == 0)
        #expect(d["Deployment Execution (T-0 to T+15 min)"] == 15)
        #expect(d["Post-Deployment (T+15 to T+60 min)"] == 60)
        // The rollback checklist's "(T+0)", "(T+5 min)" are conditional: no due time.
        #expect(d["Immediate Actions (T+0)"] == nil && d["Rollback Execution (T+5 min)"] == nil)
    }

    @Test func seed002RangesInHours() throws {
        let d = dues(try seed("002"))
        #expect(d["Pre-Deployment (T-2 hours)"] == 0)
        #expect(d["Deployment Window (T-0 to T+1h)"] == 60)
        #expect(d["Post-Deployment (T+1h to T+4h)"] == 240)
    }

    @Test func overdueOnlyWithItemsOpen() throws {
        let c = ChecklistParser.parse("""
            # Go
            ## Prep (T-1h)
            - [ ] T1 backup
            ## Cutover (T-0 to T+30 min)
            - [x] T2 switch
            """, path: "p.md")
        var r = try GateRun()
        let t0: Millis = 1_000_000_000
        let prep = try #require(c.phases.first)
        let cut = try #require(c.phases.last)
        #expect(prep.due(t0: t0) == t0 && cut.due(t0: t0) == t0 + 30 * minute)
        #expect(!c.overdue(prep, t0: t0, now: t0, run: r.state))
        #expect(c.overdue(prep, t0: t0, now: t0 + 1, run: r.state))
        #expect(!c.overdue(cut, t0: t0, now: t0 + hour, run: r.state), "done as written")
        try r.add(.itemSet(ItemSet(id: "T1", status: .done)), at: 2)
        #expect(!c.overdue(prep, t0: t0, now: t0 + 1, run: r.state))
    }
}

@Suite struct PlaceholderContactFields {
    @Test func blanksAreNotPeople() {
        for s in ["[Name]", "[Phone/Slack]", "[+55-XX-XXXX]", "___", " _______ ", "TBD"] { #expect(Contact.isPlaceholder(s), "\(s)") }
        for s in ["Dana Whitfield", "+1 555 0100", "@oncall", "", "#ops"] { #expect(!Contact.isPlaceholder(s), "\(s)") }
        #expect(Contact(role: "IC", name: "[Name]", phone: "555", handle: "___").unfilled == ["name", "handle"])
    }
}
