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
