import WarRoomCore

/// `warroom status --json`: the run summary as a JSON document (times in ISO 8601, UTC).
struct StatusJSON: Encodable {
    struct Run: Encodable {
        var id: String?
        var startedAt: String?
        var startedBy: String?
        var events: Int
        var checklistChanged: Bool
    }
    struct SectionProgress: Encodable {
        var title: String
        var path: [String]
        var level: Int
        /// Nesting below the checklist's top level (0 = top).
        var depth: Int
        var line: Int
        var progress: ChecklistProgress
        /// With t0, for a heading that is a phase on the mission clock: when it is due (ISO 8601), and whether it is past due with items open.
        var due: String?
        var overdue: Bool?
    }
    struct ItemEntry: Encodable {
        var id: String
        var line: Int
        var section: String
        var title: String
        var status: ItemStatus
        var actor: String?
        var time: String?
        var reason: String?
        var note: String?
    }
    struct ChangeEntry: Encodable {
        var seq: Int
        var time: String
        var actor: String
        var item: String
        var from: ItemStatus?
        var to: ItemStatus?
        var undo: Bool
        var reason: String?
        var note: String?
    }
    struct Orphan: Encodable {
        var id: String
        var status: ItemStatus
        var actor: String
        var time: String
    }
    struct Ramp: Encodable {
        var percent: Int
        /// 1-based step number, nil at 0 % or off the plan.
        var step: Int?
        var steps: [Int]
        /// READY, WAITING, BLOCKED, BUSY, COMPLETE, NONE.
        var verdict: String
        var unmet: [String]
        var rolledBack: Bool
        var tracker: Bool
    }
    struct DecisionEntry: Encodable {
        var seq: Int
        var time: String
        var actor: String
        var kind: String
        var from: Int
        var to: Int
        var reason: String?
        var verdict: String
        var unmet: [String]
        var hook: String?
    }
    struct TrippedEntry: Encodable {
        var name: String
        var since: String
        var actor: String
        /// The person, or `warroom (telemetry, …)` for a trip by the telemetry.
        var by: String
        var reason: String?
        var detail: String?
    }

    struct SignOffEntry: Encodable {
        var role: String
        /// Its line in the checklist (nil: signed in the journal, no longer in the checklist).
        var line: Int?
        var item: String?
        var signed: Bool
        var signedBy: String?
        var time: String?
        var seq: Int?
    }

    var checklist: String
    var title: String?
    var run: Run?
    var total: ChecklistProgress
    var sections: [SectionProgress]
    /// With t0: every phase on the mission clock, by due time (absent without t0 or phases).
    var phases: [PhaseJSON]?
    var items: [ItemEntry]
    var changes: [ChangeEntry]
    var orphans: [Orphan]
    var signOffs: [SignOffEntry]
    var tornTail: Int?
    var ramp: Ramp?
    var decisions: [DecisionEntry]
    var tripped: [TrippedEntry]

    init(_ s: RunSummary) {
        checklist = s.checklistPath
        title = s.checklistTitle
        run = s.start.map {
            Run(id: $0.id, startedAt: Timestamp.iso8601($0.at), startedBy: $0.by, events: s.events, checklistChanged: s.checklistChanged)
        }
        total = s.total
        sections = s.sections.map {
            SectionProgress(title: $0.title, path: $0.path, level: $0.level, depth: $0.depth, line: $0.line, progress: $0.progress,
                            due: $0.due.map(Timestamp.iso8601), overdue: $0.due == nil ? nil : $0.overdue)
        }
        phases = s.missionPhases.isEmpty ? nil : s.missionPhases.map { PhaseJSON($0, s) }
        items = s.items.map { i in
            ItemEntry(id: i.id, line: i.line, section: i.path.joined(separator: " / "), title: i.title, status: i.status,
                      actor: i.record?.actor, time: i.record.map { Timestamp.iso8601($0.time) }, reason: i.record?.reason,
                      note: i.record?.note)
        }
        changes = s.changes.map {
            ChangeEntry(seq: $0.seq, time: Timestamp.iso8601($0.time), actor: $0.actor, item: $0.item, from: $0.from,
                        to: $0.to, undo: $0.undo, reason: $0.reason, note: $0.note)
        }
        orphans = s.orphans.compactMap { o in
            o.record.map { Orphan(id: o.id, status: $0.status, actor: $0.actor, time: Timestamp.iso8601($0.time)) }
        }
        signOffs = s.signatures.map {
            SignOffEntry(role: $0.role, line: $0.line, item: $0.itemID, signed: $0.signature != nil, signedBy: $0.signature?.actor,
                         time: $0.signature.map { Timestamp.iso8601($0.time) }, seq: $0.signature?.seq)
        }
        tornTail = s.journal.tornTail
        decisions = s.decisions.map { d in
            DecisionEntry(seq: d.seq, time: Timestamp.iso8601(d.time), actor: d.actor, kind: d.kind.rawValue, from: d.from,
                          to: d.to, reason: d.reason, verdict: d.verdict, unmet: d.unmet, hook: StatusText.hook(d.hook))
        }
        tripped = s.tripped.map {
            TrippedEntry(name: $0.name, since: Timestamp.iso8601($0.since), actor: $0.actor, by: $0.by, reason: $0.reason, detail: $0.detail)
        }
        if StatusText.showsRamp(s) {
            let r = s.ramp
            ramp = Ramp(percent: r.percent, step: r.step, steps: r.steps, verdict: (r.gate?.state ?? .none).rawValue,
                        unmet: r.gate?.unmet ?? [], rolledBack: r.rolledBack, tracker: r.gate == nil || r.tracker)
        }
    }
}
