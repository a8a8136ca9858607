import Foundation
import Testing
@testable import WarRoomCore

private let signRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let signSeeds = signRoot.appendingPathComponent("Tests/Fixtures/seeds") // copies of ../shared/seeds, so a clean clone has them

private func roles(_ text: String) -> [String] { ChecklistParser.parse(text, path: "t.md").signOffs.map { "\($0.role)@\($0.line)" } }

@Suite struct SignOffDerivation {
    /// Written by hand from reading each seed's sign-off section (role @ line).
    static let seeds: [(file: String, roles: [String])] = [
        ("000_85aed91aabe3b53b.txt", ["Engineering Lead@301", "DevOps Lead@302", "Security Lead@303", "Quality Assurance@304",
                                      "Product Manager@308", "Legal/Compliance@309", "Finance/Budget@310", "Executive Sponsor@311",
                                      "SRE Lead@315", "Support Manager@316", "Documentation Complete@317", "Training Complete@318"]),
        // "All items verified and signed off" names no role; the "SIGN-OFF" heading's emoji is no role.
        ("001_15474227c76ee68e.txt", ["Lead Engineer@412", "Operations@413", "Security@414", "Deployment Lead@420", "Operations Lead@426"]),
        // "### Technical Lead Sign-Off" headings over Name/Date/Approval bullets.
        ("002_a7b7ce2909c33f78.txt", ["Technical Lead@199", "Operations Lead@204", "Product Owner@209"]),
        // "**Verified By:** ____" under "## Final Approval" names no role of its own: the heading is the role.
        ("003_e65c92e4c46a986f.txt", ["Final Approval@192"]),
        // "T1141 Verify UAT sign-off documented" is a task about a sign-off, not one.
        ("004_37e4a50b8aaa2b8d.txt", []),
    ]

    @Test(arguments: seeds.map(\.file))
    func seedSignOffs(_ file: String) throws {
        let url = signSeeds.appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: url.path) else {
            Issue.record("seed \(url.path) is absent: cannot check its sign-offs")
            return
        }
        let data = try #require(FileManager.default.contents(atPath: url.path))
        let c = ChecklistParser.parse([UInt8](data), path: file)
        let want = try #require(Self.seeds.first { $0.file == file }).roles
        #expect(c.signOffs.map { "\($0.role)@\($0.line)" } == want)
    }

    @Test func ourCanaryChecklist() throws {
        let data = try #require(FileManager.default.contents(atPath: signRoot.appendingPathComponent("checklists/canary-go-live.md").path))
        let c = ChecklistParser.parse([UInt8](data), path: "canary-go-live.md")
        // "T101 Change ticket … approved by the change board" is a task, not a sign-off.
        #expect(c.signOffs.map { "\($0.role)@\($0.line)" } == ["Engineering Lead@133", "SRE Lead@134", "Product Owner@135"])
        #expect(c.signOffs.allSatisfy { $0.itemID != nil })
    }

    @Test func forms() {
        #expect(roles("## S\n- [ ] Approved by the Security Lead\n") == ["Security Lead@2"])
        #expect(roles("## S\n- [ ] Signed off by Release Manager.\n") == ["Release Manager@2"])
        #expect(roles("## Go/No-Go\n\n**Signed off by:** ________\n") == ["Go/No-Go@3"])
        #expect(roles("## S\n- [ ] **Policy Violation:** Any confirmed breach\n- [ ] Deploy: run the script\n") == [])
        #expect(roles("## S\n- [ ] **DBA:** [Name] ____\n- [ ] **dba:** [Name/Date] ____\n") == ["DBA@2"], "one role, first line")
        #expect(roles("## Sign-Off\n- Name: ____\n") == [], "a bare Sign-Off heading names no role")
        #expect(roles("- **Incident Commander:** [Name] - [Phone/Slack]\n") == [], "a contact, not a sign-off")
    }

    /// The cheap first look lets every form through and most tasks not (the console derives sign-offs at start).
    @Test func theFirstLookKeepsEveryForm() {
        for form in ["**Engineering Lead:** [Name/Date] ****\\_\\_****", "Operations: _______ Date: ____",
                     "**SRE Lead:** SIGN-OFF before T-0", "**PO:** approves the release", "Approved by the Security Lead",
                     "*Signed off by* Release Manager", "**Verified by:** ______"] {
            #expect(SignOffText.mayBeSignOff(form), "\(form)")
        }
        for task in ["Verify component 12 is healthy", "[P] **Check 4:** verify service 1 responds", "Deploy: run the script",
                     "Restore [drill] timed"] {
            #expect(!SignOffText.mayBeSignOff(task), "\(task)")
        }
    }

    @Test func roleLookupIgnoresCaseAndSpaces() {
        let c = ChecklistParser.parse("## S\n- [ ] **Engineering Lead:** [Name/Date] ___\n", path: "t.md")
        #expect(c.signOff(role: "engineering   LEAD")?.line == 2)
        #expect(c.signOff(role: "Engineering") == nil)
    }
}

private let started = JournalEvent(seq: 1, time: 1_000, actor: "dana",
                                   body: .runStarted(RunStarted(checklist: "c.md", checklistSHA256: "ab", items: 1, host: "h", pid: 1)))

@Suite struct SignOffReducer {
    @Test func signOnceUndoBySignerOnly() throws {
        var s = RunState()
        try s.apply(started)
        try s.apply(JournalEvent(seq: 2, time: 2_000, actor: "lee", body: .signOff(SignOffEvent(role: "SRE Lead"))))
        #expect(s.signature("sre lead") == Signature(role: "SRE Lead", actor: "lee", time: 2_000, seq: 2))

        let again = JournalEvent(seq: 3, time: 3_000, actor: "sun", body: .signOff(SignOffEvent(role: "sre  LEAD")))
        let e1 = #expect(throws: ReduceError.self) { try s.apply(again) }
        #expect(e1?.message.contains("already signed off by lee at 1970-01-01T00:00:02.000Z") == true, "\(e1?.message ?? "")")

        let otherUndo = JournalEvent(seq: 3, time: 3_000, actor: "sun", body: .signOffUndo(SignOffEvent(role: "SRE Lead")))
        let e2 = #expect(throws: ReduceError.self) { try s.apply(otherUndo) }
        #expect(e2?.message.contains("only lee can undo it") == true)
        #expect(s.lastSeq == 2, "a refused event changes nothing")

        try s.apply(JournalEvent(seq: 3, time: 3_000, actor: "lee", body: .signOffUndo(SignOffEvent(role: "SRE Lead"))))
        #expect(s.signature("SRE Lead") == nil)
        try s.apply(JournalEvent(seq: 4, time: 4_000, actor: "sun", body: .signOff(SignOffEvent(role: "SRE Lead"))))
        #expect(s.signature("SRE Lead")?.actor == "sun")
        #expect(s.signOffHistory.map(\.signed) == [true, false, true])
    }

    /// The one rule the reducer and the console's engine share.
    @Test func verdictNamesTheSigner() throws {
        var s = RunState()
        try s.apply(started)
        #expect(s.signOffVerdict("SRE Lead", by: "lee", sign: true) == .allowed)
        #expect(s.signOffVerdict("SRE Lead", by: "lee", sign: false) == .notSigned)
        try s.apply(JournalEvent(seq: 2, time: 2_000, actor: "lee", body: .signOff(SignOffEvent(role: "SRE Lead"))))
        let sig = try #require(s.signature("SRE Lead"))
        #expect(s.signOffVerdict("sre lead", by: "sun", sign: true) == .alreadySigned(sig))
        #expect(s.signOffVerdict("sre lead", by: "lee", sign: true) == .alreadySigned(sig))
        #expect(s.signOffVerdict("SRE Lead", by: "sun", sign: false) == .signedByOther(sig))
        #expect(s.signOffVerdict("SRE Lead", by: "lee", sign: false) == .allowed)
        #expect(s.signOffVerdict("Engineering Lead", by: "lee", sign: true) == .allowed, "per role")
    }

    @Test func refusesBeforeStartAndUndoOfUnsigned() throws {
        var s = RunState()
        #expect(throws: ReduceError.self) { try s.apply(JournalEvent(seq: 1, time: 0, actor: "a", body: .signOff(SignOffEvent(role: "X")))) }
        try s.apply(started)
        #expect(throws: ReduceError.self) { try s.apply(JournalEvent(seq: 2, time: 0, actor: "a", body: .signOffUndo(SignOffEvent(role: "X")))) }
    }
}
