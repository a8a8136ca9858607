import Testing
@testable import WarRoomCore
@testable import WarRoomUI

/// A phase on the mission clock going OVERDUE on screen: "Pre-Deployment (T-2h)" is due at T-0 (the next phase's
/// start) and has a blocked item.
@Suite struct PhaseOverdueOnScreen {
    func screen(_ s: ConsoleState) -> String {
        Renderer.render(s, theme: Theme(name: "default", roles: [:]), glyphs: .unicode, size: Size(width: 120, height: 40)).text
    }

    @Test func dueThenOverdueInTheHeaderAndTheChecklist() throws {
        var s = rampState()
        let pre = try #require(s.checklist.sections.first { $0.title == "Pre-Deployment (T-2h)" })
        let phase = try #require(s.checklist.phases.first { $0.section == pre.index })
        #expect(phase.due(t0: t0) == t0, "due at T-0, when the next phase starts")
        _ = s.update(.tick(t0 - 60_000))
        let before = screen(s)
        #expect(before.contains("Pre-Deployment (T-2h) due in 1:00"))
        #expect(!before.contains("OVERDUE"))
        _ = s.update(.tick(t0 + 1))
        let after = screen(s)
        #expect(after.contains("OVERDUE: Pre-Deployment (T-2h)"))
        let row = try #require(after.split(separator: "\n").first { $0.contains("▾ Pre-Deployment (T-2h)") })
        #expect(row.contains("OVERDUE"))
        #expect(s.phaseOverdue(pre.index))
    }
}

@Suite struct UnfilledContactsOnScreen {
    @Test func placeholdersShowAsUnfilled() {
        let c = ChecklistParser.parse("""
            # Go
            ## Emergency Contacts
            - **Incident Commander:** [Name] - [Phone/Slack]
            ## Prep
            - [ ] T1 a
            """, path: "c.md")
        #expect(c.contacts.count == 1)
        let config = RunConfig(path: nil, service: "s", checklist: c.path, plan: RampPlan(steps: []))
        let s = ConsoleState(engine: Engine(config: config, session: Session(actor: "dana", role: .driver, stateDir: ".w"), checklist: c,
                                            run: RunState(), now: 0), size: Size(width: 120, height: 40))
        let text = Renderer.render(s, theme: Theme(name: "default", roles: [:]), glyphs: .unicode, size: Size(width: 120, height: 40)).text
        #expect(text.contains("Incident Commander"))
        #expect(text.contains("unfilled"))
        #expect(!text.contains("[Name]") && !text.contains("[Phone/Slack]"))
    }
}

/// Clock ranges on items, read in t0's own offset (-05:00): the header shows the current phase and the next due with
/// a countdown, then OVERDUE; the item that owns the due time carries OVERDUE on its row.
@Suite struct ClockPhasesOnScreen {
    func state() throws -> ConsoleState {
        let c = ChecklistParser.parse("""
            # Go
            ## Rollout (Day 0)
            - [ ] **Meeting** (9:00 AM)
            - [ ] **Validate** (9:15-9:45 AM)
              - [ ] T11 smoke tests
            """, path: "c.md")
        let t0 = try #require(Timestamp.parse("2026-11-23T09:00:00-05:00"))
        var config = RunConfig(path: nil, service: "s", checklist: c.path, t0: t0, plan: RampPlan(steps: []))
        config.t0UTCOffsetMinutes = -300
        return ConsoleState(engine: Engine(config: config, session: Session(actor: "dana", role: .driver, stateDir: ".w"), checklist: c,
                                           run: RunState(), now: t0), size: Size(width: 120, height: 40))
    }

    func screen(_ s: ConsoleState) -> String {
        Renderer.render(s, theme: Theme(name: "default", roles: [:]), glyphs: .unicode, size: Size(width: 120, height: 40)).text
    }

    @Test func headerCountsDownThenTheItemGoesOverdue() throws {
        var s = try state()
        let t0 = try #require(s.config.t0)
        #expect(s.phases.map(\.title) == ["Meeting (9:00 AM)", "Validate (9:15-9:45 AM)", "Rollout (Day 0)"])
        _ = s.update(.tick(t0 + 5 * 60_000))
        let early = screen(s)
        #expect(early.contains("Meeting (9:00 AM) due in 10:00"))
        _ = try merge(&s, .runStarted(RunStarted(checklist: "c.md", checklistSHA256: "ab", items: 3, host: "h", pid: 1)))
        _ = try merge(&s, .itemSet(ItemSet(id: s.checklist.items[0].id, status: .done)), actor: "lee")
        _ = s.update(.tick(t0 + 20 * 60_000))
        // Meeting done; Validate started at 9:15 and is due at 9:45 — it is current and next due.
        #expect(screen(s).contains("Validate (9:15-9:45 AM) due in 25:00"))
        _ = s.update(.tick(t0 + 46 * 60_000))
        let late = screen(s)
        #expect(late.contains("OVERDUE: Validate (9:15-9:45 AM)"))
        let row = try #require(late.split(separator: "\n").first { $0.contains("Validate —") || $0.contains("Validate (9:15") && !$0.contains("OVERDUE:") })
        #expect(row.contains("OVERDUE"), "\(row)")
        #expect(s.itemPhaseOverdue(1) && !s.itemPhaseOverdue(0))
    }
}
