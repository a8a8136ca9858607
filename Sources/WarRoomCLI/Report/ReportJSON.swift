import WarRoomCore

/// `warroom report --format json`: the run summary as the report's JSON document (times as ISO 8601 and T±).
struct ReportJSON: Encodable {
    struct Stamp: Encodable {
        /// ISO 8601, UTC.
        var time: String
        /// `T+00:12:30`: relative to t0, or to the run's start when no t0 is configured.
        var t: String
    }
    struct Outcome: Encodable {
        /// `completed`, `rolled-back`, `in-progress` or `not-started`.
        var state: String
        var text: String
        /// For a rollback: whether it was verified.
        var verified: Bool?
        var notes: [String]
        /// Overrides, items open or blocked, sign-offs missing: what the run left behind.
        var shortfalls: [String]
        /// Completed with nothing left behind (the only outcome the Markdown marks ✅).
        var clean: Bool
    }
    struct Summary: Encodable {
        var service: String
        var runID: String?
        var t0: String?
        /// What the T± times count from: `t0` or `run start`.
        var clock: String
        var start: Stamp?
        var startedBy: String?
        /// The last journal entry.
        var end: Stamp?
        var durationMs: Int64?
        var percent: Int
        /// 1-based step of the plan, nil at 0 % or off the plan.
        var step: Int?
        var steps: [Int]
        var outcome: Outcome
        var decisions: [String: Int]
        var entries: Int
    }
    struct Hook: Encodable {
        /// `ok`, `failed` or `running` (no result journaled yet).
        var status: String
        var summary: String?
        var durationMs: Int64?
        var tail: [String]
        /// When the result arrived.
        var at: Stamp?
    }
    struct Decision: Encodable {
        var seq: Int
        var at: Stamp
        var actor: String
        /// GO, NO-GO, OVERRIDE, ROLLBACK, VERIFIED.
        var kind: String
        var from: Int
        var to: Int
        var reason: String?
        /// The gate's verdict when the key was pressed.
        var verdict: String
        /// What the gate said was not met (for an OVERRIDE: what was overridden).
        var unmet: [String]
        var hook: Hook?
        /// The move happened (no hook, or its hook succeeded).
        var applied: Bool
        var gauges: [SnapshotEntry]
        var lights: [SnapshotEntry]
    }
    struct CriterionEvent: Encodable {
        var seq: Int
        var at: Stamp
        /// `trip` or `clear`.
        var event: String
        var name: String
        var actor: String
        /// A trip by the telemetry: `warroom (telemetry, source prom, in dana's console)` (absent for a person's).
        var by: String?
        var reason: String?
        var detail: String?
        var source: String?
        var value: Double?
    }
    struct VerdictEntry: Encodable {
        var seq: Int
        var at: Stamp
        /// `slo` or `light`.
        var subject: String
        var name: String
        var from: String
        var to: String
        var detail: String?
    }
    struct Criteria: Encodable {
        /// The configured rollback criteria.
        var configured: [String]
        var events: [CriterionEvent]
        var stillTripped: [String]
        var verdictChanges: [VerdictEntry]
    }
    struct Phase: Encodable {
        /// `decide`, `execute`, `verify`.
        var name: String
        var ms: Int64?
        var targetMs: Int64?
        /// `within`, `over`, `not-measured` or `no-target`.
        var result: String
    }
    struct Rollback: Encodable {
        var decision: Int
        var actor: String
        var reason: String?
        var tripped: Stamp?
        var decided: Stamp
        var executed: Stamp?
        var verified: Stamp?
        var verifiedBy: String?
        var failed: String?
        var phases: [Phase]
    }
    struct ItemEntry: Encodable {
        var id: String
        var taskID: String?
        var title: String
        var section: String
        var status: ItemStatus
        var actor: String?
        var at: Stamp?
        var reason: String?
        var note: String?
        /// Checked as written in the file, with no change in this run.
        var asWritten: Bool
    }
    struct SectionEntry: Encodable {
        var title: String
        var progress: ChecklistProgress
        /// Every item that is not open, with who and when.
        var items: [ItemEntry]
        /// Open items, by task ID (or ID).
        var open: [String]
    }
    struct ChecklistPart: Encodable {
        var path: String
        var title: String?
        var changedSinceStart: Bool
        var total: ChecklistProgress
        var sections: [SectionEntry]
        var skippedOrBlocked: [ItemEntry]
        /// IDs with state in the journal that the checklist no longer has.
        var orphans: [String]
    }
    struct SignOff: Encodable {
        var id: String
        var taskID: String?
        var title: String
        var section: String
        var status: ItemStatus
        var signed: Bool
        var actor: String?
        var at: Stamp?
        var reason: String?
        var asWritten: Bool
    }
    struct RoleSignOff: Encodable {
        var role: String
        var line: Int?
        var item: String?
        var signed: Bool
        var signedBy: String?
        var at: Stamp?
    }
    struct Damage: Encodable {
        var file: String
        var line: Int?
        var message: String
    }
    struct JournalPart: Encodable {
        var path: String
        var intact: Bool
        /// Verified entries (before the damage, if any).
        var entries: Int
        var head: String?
        var runID: String?
        var damage: Damage?
        var tornTail: Int?
        var warnings: [String]
    }

    /// The ramp and each SLO over the run's time (`gauge.points`, one a minute and at each verdict change), with
    /// the moments the Markdown's charts mark.
    struct Chart: Encodable {
        struct Step: Encodable { var at: Stamp; var percent: Int }
        struct Mark: Encodable {
            var seq: Int
            var at: Stamp
            /// `decision`, `rollback`, `trip` or `clear`.
            var kind: String
            var text: String
        }
        struct Point: Encodable {
            var at: Stamp
            /// Nil while the gauge had no finite value.
            var value: Double?
            var state: String
        }
        struct Series: Encodable {
            var name: String
            var unit: String?
            var objective: String
            var threshold: Double?
            var points: [Point]
        }
        var ramp: [Step]
        var marks: [Mark]
        var series: [Series]
    }

    var version = 1
    var summary: Summary
    var timeline: [Decision]
    var criteria: Criteria
    var rollback: Rollback?
    var checklist: ChecklistPart
    /// With t0: the phases on the mission clock, when each was due, done and how late (absent without t0 or phases).
    var phases: [PhaseJSON]?
    var signOffs: [SignOff]
    var signatures: [RoleSignOff]
    var journal: JournalPart
    var chart: Chart

    init(_ s: RunSummary) {
        func stamp(_ ms: Millis) -> Stamp { Stamp(time: Timestamp.iso8601(ms), t: s.missionTime(ms)) }

        summary = Summary(service: s.service, runID: s.start?.id, t0: s.t0.map(Timestamp.iso8601),
                          clock: s.t0 != nil ? "t0" : "run start", start: s.start.map { stamp($0.at) }, startedBy: s.start?.by,
                          end: s.lastEntry.map(stamp), durationMs: s.durationMs, percent: s.ramp.percent, step: s.ramp.step,
                          steps: s.ramp.steps,
                          outcome: Outcome(state: s.outcome.state.rawValue, text: s.outcome.text, verified: s.outcome.verified,
                                           notes: s.outcome.notes, shortfalls: s.outcome.shortfalls, clean: s.outcome.clean),
                          decisions: Dictionary(uniqueKeysWithValues: s.decisionCounts.map { ($0.key.label, $0.value) }),
                          entries: s.journal.lines)

        timeline = s.decisions.map { d in
            Decision(seq: d.seq, at: stamp(d.time), actor: d.actor, kind: d.kind.label, from: d.from, to: d.to, reason: d.reason,
                     verdict: d.verdict, unmet: d.unmet,
                     hook: d.hook.map { Hook(status: $0.status.rawValue, summary: $0.summary, durationMs: $0.durationMs, tail: $0.tail,
                                             at: $0.at.map(stamp)) },
                     applied: d.applied, gauges: d.gauges, lights: d.lights)
        }

        criteria = Criteria(
            configured: s.criteria,
            events: s.criterionEvents.map {
                CriterionEvent(seq: $0.seq, at: stamp($0.time), event: $0.trip ? "trip" : "clear", name: $0.change.name,
                               actor: $0.actor, by: $0.change.byTelemetry ? $0.change.attribution(actor: $0.actor) : nil, reason: $0.change.reason,
                               detail: $0.change.detail, source: $0.change.source, value: $0.change.value)
            },
            stillTripped: s.tripped.map(\.name),
            verdictChanges: s.verdictChanges.map {
                VerdictEntry(seq: $0.seq, at: stamp($0.time), subject: $0.change.subject, name: $0.change.name,
                             from: $0.change.from, to: $0.change.to, detail: $0.change.detail)
            })

        rollback = s.rollback.map { r in
            Rollback(decision: r.decision, actor: r.actor, reason: r.reason, tripped: r.trippedAt.map(stamp), decided: stamp(r.decidedAt),
                     executed: r.executedAt.map(stamp), verified: r.verifiedAt.map(stamp), verifiedBy: r.verifiedBy, failed: r.failed,
                     phases: r.phases.map { Phase(name: $0.name.rawValue, ms: $0.ms, targetMs: $0.targetMs, result: $0.result.rawValue) })
        }

        func entry(_ i: Int) -> ItemEntry {
            let item = s.items[i]
            return ItemEntry(id: item.id, taskID: item.taskID, title: item.displayTitle,
                             section: item.pathBelowTitle.joined(separator: " / "), status: item.status,
                             actor: item.record?.actor, at: item.record.map { stamp($0.time) }, reason: item.record?.reason,
                             note: item.record?.note, asWritten: item.asWritten)
        }
        checklist = ChecklistPart(
            path: s.checklistPath, title: s.checklistTitle, changedSinceStart: s.checklistChanged, total: s.total,
            sections: s.parts.map { p in
                SectionEntry(title: p.title, progress: p.progress, items: p.items.filter { s.items[$0].status != .open }.map(entry),
                             open: p.items.filter { s.items[$0].status == .open }.map { s.items[$0].taskID ?? s.items[$0].id })
            },
            skippedOrBlocked: s.items.indices.filter { [.skipped, .blocked].contains(s.items[$0].status) }.map(entry),
            orphans: s.orphans.map(\.id))

        phases = s.missionPhases.isEmpty ? nil : s.missionPhases.map { PhaseJSON($0, s) }

        signOffs = s.signOffs.map { i in
            let e = entry(i)
            return SignOff(id: e.id, taskID: e.taskID, title: e.title, section: e.section, status: e.status,
                           signed: e.status == .done, actor: e.actor, at: e.at, reason: e.reason, asWritten: e.asWritten)
        }

        signatures = s.signatures.map {
            RoleSignOff(role: $0.role, line: $0.line, item: $0.itemID, signed: $0.signature != nil, signedBy: $0.signature?.actor,
                        at: $0.signature.map { stamp($0.time) })
        }

        chart = Chart(
            ramp: s.chart.ramp.map { Chart.Step(at: stamp($0.time), percent: $0.percent) },
            marks: s.chart.marks.map { Chart.Mark(seq: $0.seq, at: stamp($0.time), kind: $0.kind.rawValue, text: $0.text) },
            series: s.chart.series.map { c in
                Chart.Series(name: c.name, unit: c.unit, objective: c.objective, threshold: c.threshold,
                             points: c.points.map { Chart.Point(at: stamp($0.time), value: $0.value, state: $0.state) })
            })

        journal = JournalPart(path: s.journal.path, intact: s.journal.damage == nil, entries: s.journal.lines, head: s.journal.lastHash,
                              runID: s.start?.id, damage: s.journal.damage.map { Damage(file: $0.file, line: $0.line, message: $0.message) },
                              tornTail: s.journal.tornTail, warnings: s.journal.warnings)
    }
}
