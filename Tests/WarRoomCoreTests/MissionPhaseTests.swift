import Testing
@testable import WarRoomCore

private let min: Millis = 60_000
private let hr: Millis = 60 * min
private let day: Millis = 24 * hr

// MARK: - Clock ranges, day offsets and timeline bullets on the mission clock

@Suite struct MissionPhaseDerivation {
    /// Due offsets from t0 in minutes, by title (the first phase of each title).
    func dues(_ ps: [PhaseDue]) -> [String: Int] {
        Dictionary(ps.map { ($0.title, $0.dueMinutes) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func parsesClockRanges() {
        #expect(clockRange("**Infrastructure Validation** (9:15-9:45 AM)") == ClockRange(start: 555, end: 585, single: false))
        #expect(clockRange("(10:00 AM-5:00 PM)") == ClockRange(start: 600, end: 1020, single: false))
        #expect(clockRange("(1:00-2:00 PM)") == ClockRange(start: 780, end: 840, single: false))
        #expect(clockRange("(11:00-1:00 PM)") == ClockRange(start: 660, end: 780, single: false))
        #expect(clockRange("(9:00 AM)") == ClockRange(start: 540, end: 540, single: true))
        #expect(clockRange("(22:00 to 01:30)") == ClockRange(start: 1320, end: 1530, single: false))
        for s in ["(T1137-T1162)", "(Day 7 Morning)", "(24h stable)", "(1-2)", "(9:00 AM sharp)", "9:00 AM"] { #expect(clockRange(s) == nil, "\(s)") }
        #expect(dayLabel("Day -7: Final Preparation")! == (-7, -7))
        #expect(dayLabel("Day 1-7: Hypercare Period")! == (1, 7))
        #expect(dayLabel("**Phase 3: Full Deployment (Day 8)**")! == (8, 8))
        #expect(dayLabel("Sunday 4 things") == nil && dayLabel("Days") == nil)
        #expect(Timestamp.utcOffsetMinutes("2026-11-23T09:00:00-05:00") == -300)
        #expect(Timestamp.utcOffsetMinutes("2026-11-23T09:00:00+05:30") == 330)
        #expect(Timestamp.utcOffsetMinutes("2026-11-23T09:00:00Z") == 0 && Timestamp.utcOffsetMinutes("soon") == nil)
        #expect(hourLabel("**Hour 4-5:** Gradual traffic cutover")! == (4, 5))
        #expect(taskRanges("Deploy Blue (T1175-T1183), then T1216").map { "\($0.prefix)\($0.low)-\($0.high)" } == ["T1175-1183", "T1216-1216"])
    }

    /// Seed 000: clock ranges under "Phase 1: … (Day 7 Morning)", "Phase 2 (Day 7 Afternoon)", "Phase 3 (Day 8)".
    /// No day 0 or below: Day 7, the lowest day, is t0's day; times are in t0's own offset (-05:00).
    @Test func seed000ClockRangesOnDays7And8() throws {
        let c = try seed("000")
        let t0 = try #require(Timestamp.parse("2026-11-23T09:00:00-05:00"))
        let ps = c.phases(t0: t0, utcOffsetMinutes: -300)
        let d = dues(ps)
        #expect(d["Pre-deployment Meeting (9:00 AM)"] == 15, "a single time: due when the next timed item starts")
        #expect(d["Infrastructure Validation (9:15-9:45 AM)"] == 45)
        #expect(d["Application Deployment (9:45-11:00 AM)"] == 120)
        #expect(d["Phase 1: Infrastructure Deployment (Day 7 Morning)"] == 120, "the latest of its clock ranges")
        #expect(d["10% Traffic Ramp (1:00-2:00 PM)"] == 5 * 60)
        #expect(d["50% Traffic Ramp (3:00-5:00 PM)"] == 8 * 60)
        #expect(d["Phase 2: Traffic Ramp (Day 7 Afternoon)"] == 8 * 60)
        #expect(d["100% Traffic Cutover (9:00-10:00 AM)"] == 24 * 60 + 60, "Day 8 is the next day")
        #expect(d["Stability Monitoring (10:00 AM-5:00 PM)"] == 24 * 60 + 8 * 60)
        #expect(d["Phase 3: Full Deployment (Day 8)"] == 24 * 60 + 8 * 60)
        // An item's phase covers it and its sub-items; a heading's, its subtree.
        let infra = try #require(ps.first { $0.title.hasPrefix("Infrastructure Validation") })
        #expect(infra.items.count == 6)
        #expect(infra.ownerItem == infra.items.first)
        let p1 = try #require(ps.first { $0.title.hasPrefix("Phase 1") })
        #expect(p1.items == c.itemIndices(inSubtree: p1.section))
        #expect(ps.map(\.dueOffset) == ps.map(\.dueOffset).sorted(), "by due time")
        // The same wall-clock times in UTC: t0 at 09:00Z moves nothing relative to t0.
        let utc = try #require(Timestamp.parse("2026-11-23T09:00:00Z"))
        #expect(dues(c.phases(t0: utc, utcOffsetMinutes: 0)) == d)
        // t0 at 14:00Z written as 09:00-05:00: read in UTC instead, "9:45 AM" would be hours earlier.
        #expect(dues(c.phases(t0: t0, utcOffsetMinutes: 0))["Infrastructure Validation (9:15-9:45 AM)"] == 45 - 5 * 60)
    }

    /// Seed 004's "Deployment Timeline": Day -7, Day -1, Day 0 with Hour a-b bullets naming task IDs, Day 1-7.
    @Test func seed004DayOffsetsAndHours() throws {
        let c = try seed("004")
        let t0 = try #require(Timestamp.parse("2026-11-23T14:00:00Z"))
        let ps = c.phases(t0: t0, utcOffsetMinutes: 0)
        let d = dues(ps)
        let midnight = -14 * 60 // t0's day starts 14 h before t0
        #expect(d["Day -7: Final Preparation"] == midnight - 6 * 24 * 60, "the end of day -7")
        #expect(d["Day -1: Deployment Dry-Run"] == midnight, "the end of day -1 is the start of t0's day")
        #expect(d["Hour 0-2: Deploy Blue environment (T1175-T1183)"] == 120)
        #expect(d["Hour 2-4: Validate Blue environment (T1189-T1211)"] == 240)
        #expect(d["Hour 4-5: Gradual traffic cutover (T1217-T1226)"] == 300)
        #expect(d["Hour 5-24: Stabilization monitoring (T1227-T1232)"] == 24 * 60)
        #expect(d["Day 0: Production Deployment"] == 24 * 60, "the latest of its hours")
        #expect(d["Day 1-7: Hypercare Period"] == midnight + 8 * 24 * 60, "the end of day 7")
        func ids(_ title: String) throws -> [String] { try #require(ps.first { $0.title == title }).items.map { c.items[$0].id } }
        #expect(try ids("Hour 4-5: Gradual traffic cutover (T1217-T1226)") == (1217...1226).map { "T\($0)" })
        let prep = try ids("Day -7: Final Preparation")
        #expect(prep.first == "T1137" && prep.last == "T1174" && prep.count >= 38, "both bullets' task ranges")
        #expect(try ids("Day -1: Deployment Dry-Run").isEmpty)
        // In t0's own offset: 09:00-05:00 is the same instant, but the day starts 9 h before it.
        let local = c.phases(t0: t0, utcOffsetMinutes: -300)
        #expect(dues(local)["Day -1: Deployment Dry-Run"] == -9 * 60)
        #expect(dues(local)["Hour 4-5: Gradual traffic cutover (T1217-T1226)"] == 300, "hours count from t0")
    }

    @Test func seeds001And002KeepTheirTOffsets() throws {
        for (name, expected) in [("001", ["Pre-Deployment (T-30 min)": 0, "Deployment Execution (T-0 to T+15 min)": 15, "Post-Deployment (T+15 to T+60 min)": 60]),
                                 ("002", ["Pre-Deployment (T-2 hours)": 0, "Deployment Window (T-0 to T+1h)": 60, "Post-Deployment (T+1h to T+4h)": 240])] {
            let c = try seed(name)
            let all = c.phases(t0: 1_000_000_000, utcOffsetMinutes: -300)
            #expect(all.map(\.dueMinutes).sorted() == c.phases.map(\.dueMinutes).sorted(), "no clock or day phases in \(name)")
            for (title, due) in expected { #expect(dues(all)[title] == due, "\(name) \(title)") }
        }
    }

    @Test func overdueWithAnInjectedClock() throws {
        let c = ChecklistParser.parse("""
            # Go
            ## Day 0
            - [ ] **Validate** (9:15-9:45 AM)
              - [ ] T11 smoke
            - [ ] T12 other
            ## Timeline
            ### Day 0: Cutover
            - **Hour 0-1:** switch (T12)
            """, path: "p.md")
        let t0 = try #require(Timestamp.parse("2026-11-23T09:00:00-05:00"))
        let ps = c.phases(t0: t0, utcOffsetMinutes: -300)
        let validate = try #require(ps.first { $0.ownerItem != nil })
        #expect(validate.due(t0: t0) == t0 + 45 * min && validate.items == [0, 1])
        let hour = try #require(ps.first { if case .timeline = $0.owner { true } else { false } })
        #expect(hour.due(t0: t0) == t0 + hr && hour.items == [2])
        var r = try GateRun()
        #expect(!c.overdue(validate, t0: t0, now: t0 + 45 * min, run: r.state), "due, not past due")
        #expect(c.overdue(validate, t0: t0, now: t0 + 45 * min + 1, run: r.state))
        try r.add(.itemSet(ItemSet(id: c.items[0].id, status: .done)), at: t0 + 50 * min)
        #expect(c.overdue(validate, t0: t0, now: t0 + hr, run: r.state), "a sub-item still open")
        try r.add(.itemSet(ItemSet(id: "T11", status: .skipped)), at: t0 + 55 * min)
        #expect(!c.overdue(validate, t0: t0, now: t0 + hr, run: r.state))
        #expect(c.overdue(hour, t0: t0, now: t0 + hr + 1, run: r.state))
        try r.add(.itemSet(ItemSet(id: "T12", status: .done)), at: t0 + 2 * hr)
        #expect(!c.overdue(hour, t0: t0, now: t0 + day, run: r.state))
        // The summary: when each finished and how late.
        let phases = RunSummary.PhaseSummary.all(c, r.state, t0: t0, utcOffsetMinutes: -300, now: t0 + day)
        let h = try #require(phases.first { $0.kind == "timeline" })
        #expect(h.finishedAt == t0 + 2 * hr && h.lateMs(now: t0 + day) == hr && !h.overdue && h.items == ["T12"])
        let v = try #require(phases.first { $0.kind == "item" })
        #expect(v.lateMs(now: t0 + day) == 10 * min)
    }

    @Test func rollbackTimesAreConditional() throws {
        let c = ChecklistParser.parse("""
            # Go
            ## Rollback (If Needed)
            - [ ] **Revert** (9:00-9:30 AM)
            """, path: "p.md")
        #expect(c.phases(t0: 0, utcOffsetMinutes: 0).isEmpty)
    }
}
