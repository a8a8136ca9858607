import Foundation
import Testing

/// `init --from` on the seeds (copies in Tests/Fixtures/seeds): what it prints agrees with what it wrote, and what it
/// wrote lints clean.
@Suite struct InitFromSeeds {
    func seedPath(_ prefix: String) throws -> String {
        let seeds = repoRoot.appendingPathComponent("Tests/Fixtures/seeds").path
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: seeds).first { $0.hasPrefix(prefix) })
        return seeds + "/" + name
    }

    func initFrom(_ prefix: String) throws -> (out: String, yaml: String, lint: String) {
        let dir = tempDir("init-seeds")
        let out = dir + "/warroom.yaml"
        let r = try warroom(["init", "--from", try seedPath(prefix), "-o", out])
        #expect(r.status == 0, "\(r.err)")
        let lint = try warroom(["lint", out])
        #expect(lint.status == 0, "\(lint.out)")
        return (r.out, try String(contentsOfFile: out, encoding: .utf8), lint.out)
    }

    @Test func seed001SaysTheSLOsItWrote() throws {
        let (out, yaml, _) = try initFrom("001")
        let written = yaml.split(separator: "\n").filter { $0.hasPrefix("  - {name: ") && $0.contains("objective:") }.count
        #expect(out.contains("\(written) SLOs"), "\(out)")
        #expect(written == 5)
        #expect(yaml.contains("# t0: 2025-11-13T00:00:00Z   # proposed from line 3"))
    }

    @Test(arguments: ["002", "003"]) func noRampWritesNoSteps(_ prefix: String) throws {
        let (out, yaml, lint) = try initFrom(prefix)
        #expect(yaml.contains("  steps: []"))
        #expect(!yaml.contains("\n  steps: [1"), "only a commented suggestion")
        #expect(out.contains("no ramp (a tracker of the checklist only)"))
        #expect(lint.contains("no ramp: tracker of the checklist only"), "\(lint)")
    }

    @Test func seed004WritesRequireAndTicksWithTheirLines() throws {
        let (_, yaml, lint) = try initFrom("004")
        #expect(yaml.contains("        - \"Pre-Cutover Checklist\"   # line 142: Pre-Cutover Checklist"))
        #expect(yaml.contains("        - \"T1217\"   # line 150: Route 10% traffic to Blue environment"))
        #expect(yaml.contains("        - \"T1219\"   # line 152: Verify no errors or performance degradation"))
        #expect(lint.contains("5 ramp steps"))
    }

    @Test func seed002ProposesT0FromTheTargetDeploymentLine() throws {
        let (_, yaml, _) = try initFrom("002")
        #expect(yaml.contains("# t0: 2025-10-25T01:00:00-05:00   # proposed from line 6: Target Deployment: 2025-10-25 01:00 CDT"))
    }

    @Test func skippedOkIsValidated() throws {
        let dir = tempDir("skipped-ok")
        try "# C\n## Prep\n- [ ] T1 a\n".write(toFile: dir + "/c.md", atomically: true, encoding: .utf8)
        try """
        service: s
        checklist: c.md
        ramp:
          steps:
            - {percent: 10, require: [{id: T1, skipped_ok: maybe}]}
            - {percent: 20, require: [{skipped_ok: true}]}
        rollback: []
        """.write(toFile: dir + "/w.yaml", atomically: true, encoding: .utf8)
        let r = try warroom(["lint", dir + "/w.yaml"])
        #expect(r.status != 0)
        #expect(r.out.contains("w.yaml:5: error: skipped_ok must be true or false"), "\(r.out)")
        #expect(r.out.contains("w.yaml:6: error: a require entry written as a mapping needs id:"), "\(r.out)")
    }

    @Test func statusJSONGivesPhasesDueAndOverdue() throws {
        let dir = tempDir("phases")
        try "# C\n## Prep (T-1h)\n- [ ] T1 a\n## Cutover (T-0 to T+30 min)\n- [ ] T2 b\n".write(toFile: dir + "/c.md", atomically: true, encoding: .utf8)
        try """
        service: s
        checklist: c.md
        t0: 2020-01-01T09:00:00Z
        ramp:
          steps: []
        rollback: []
        """.write(toFile: dir + "/w.yaml", atomically: true, encoding: .utf8)
        let state = dir + "/state"
        #expect(try warroom(["check", "T2", "--checklist", dir + "/c.md", "--state", state]).status == 0)
        let r = try warroom(["status", "--config", dir + "/w.yaml", "--state", state, "--json"])
        #expect(r.status == 0, "\(r.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let sections = json["sections"] as? [[String: Any]] ?? []
        let prep = sections.first { $0["title"] as? String == "Prep (T-1h)" }
        let cut = sections.first { $0["title"] as? String == "Cutover (T-0 to T+30 min)" }
        #expect(prep?["due"] as? String == "2020-01-01T09:00:00.000Z")
        #expect(prep?["overdue"] as? Bool == true)
        #expect(cut?["due"] as? String == "2020-01-01T09:30:00.000Z")
        #expect(cut?["overdue"] as? Bool == false, "done: not overdue")
        let text = try warroom(["status", "--config", dir + "/w.yaml", "--state", state])
        #expect(text.out.contains("OVERDUE (due T+00:00:00)"), "\(text.out)")
    }

    /// Clock ranges in t0's own offset: status --json lists every phase with the items it covers; the report says how
    /// late each finished, and which are overdue and not finished.
    @Test func clockPhasesInStatusAndReport() throws {
        let dir = tempDir("clock-phases")
        try """
        # C
        ## Rollout (Day 0)
        - [ ] T10 **Validate** (9:15-9:45 AM)
          - [ ] T11 smoke
        - [ ] **Cutover** (10:00-11:00 AM)
        """.write(toFile: dir + "/c.md", atomically: true, encoding: .utf8)
        try """
        service: s
        checklist: c.md
        t0: 2020-01-01T09:00:00-05:00
        ramp:
          steps: []
        rollback: []
        """.write(toFile: dir + "/w.yaml", atomically: true, encoding: .utf8)
        let state = dir + "/state"
        let validate = "T10"
        for id in [validate, "T11"] {
            #expect(try warroom(["check", id, "--checklist", dir + "/c.md", "--state", state]).status == 0)
        }
        let r = try warroom(["status", "--config", dir + "/w.yaml", "--state", state, "--json"])
        #expect(r.status == 0, "\(r.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let phases = json["phases"] as? [[String: Any]] ?? []
        #expect(phases.map { $0["title"] as? String } == ["Validate (9:15-9:45 AM)", "Cutover (10:00-11:00 AM)", "Rollout (Day 0)"])
        #expect(phases.first?["due"] as? String == "2020-01-01T14:45:00.000Z", "9:45 AM at -05:00")
        #expect(phases.first?["items"] as? [String] == [validate, "T11"])
        #expect(phases.first?["overdue"] as? Bool == false, "done")
        #expect(phases.dropFirst().first?["overdue"] as? Bool == true)
        let text = try warroom(["status", "--config", dir + "/w.yaml", "--state", state])
        #expect(text.out.contains("OVERDUE: Cutover (10:00-11:00 AM) (due T+02:00:00, 0/1 done)"), "\(text.out)")
        #expect(!text.out.contains("OVERDUE: Validate"))
        let md = try warroom(["report", "--state", state, "--config", dir + "/w.yaml"])
        let lines = md.out.split(separator: "\n")
        let done = try #require(lines.first { $0.hasPrefix("| Validate (9:15-9:45 AM) |") }, "\(md.out)")
        #expect(!done.contains("not finished"), "finished late, with how late: \(done)")
        #expect(lines.contains { $0.hasPrefix("| Cutover (10:00-11:00 AM) |") && $0.contains("not finished (OVERDUE)") })
        let rj = try warroom(["report", "--state", state, "--config", dir + "/w.yaml", "--format", "json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(rj.out.utf8)) as? [String: Any])
        let first = try #require((report["phases"] as? [[String: Any]])?.first)
        #expect(first["doneAt"] is String)
        #expect((first["lateMs"] as? Int ?? 0) > 365 * 86_400_000, "finished years after 2020")
    }
}

@Suite struct PlaceholderContacts {
    @Test func lintWarnsWithTheLine() throws {
        let seeds = repoRoot.appendingPathComponent("Tests/Fixtures/seeds").path
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: seeds).first { $0.hasPrefix("000") })
        let r = try warroom(["lint", seeds + "/" + name])
        #expect(r.status == 0, "warnings only")
        #expect(r.out.contains(":245: warning: contact Incident Commander: unfilled name “[Name]”, handle “[Phone/Slack]”"), "\(r.out)")
    }
}
