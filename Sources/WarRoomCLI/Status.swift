import ArgumentParser
import Foundation
import WarRoomConfig
import WarRoomCore
import WarRoomStore

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show per-section and total progress, and who did what when.",
        discussion: "Reads the journal without taking the writer's lock, so it works while a console is running."
    )

    @Option(help: "The checklist (Markdown), when there is no config.") var checklist: String?
    @Option(help: "The run's warroom.yaml (its ramp and criteria give the gate verdict).") var config: String?
    @Option(help: "The run's state directory.") var state: String
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "How many recent changes to list in text output (0 = all).") var recent = 20

    func validate() throws {
        if (checklist == nil) == (config == nil) { throw ValidationError("give --config FILE or --checklist FILE") }
    }

    func run() throws {
        let setup: LoadedRun
        if let config { setup = try loadRunConfig(config) } else { setup = try deriveRunConfig(checklistPath: checklist ?? "") }
        let loaded = setup.checklist
        let c = loaded.checklist
        var run = RunState()
        var torn: TornTail?
        var lines = 0
        if Journal.exists(in: state) {
            do {
                let replay = try Journal.replay(stateDir: state)
                run = replay.state
                torn = replay.tornTail
                lines = replay.lineCount
                for w in replay.warnings { writeStderr("warroom: warning: \(w)") }
            } catch {
                throw Failure("\(error)")
            }
        }
        let report = StatusReport(checklist: c, sha256: loaded.sha256, run: run, lines: lines, torn: torn, config: setup.config,
                                  now: Clock.now())
        if json { print(jsonString(report)) } else { print(report.text(recent: recent), terminator: "") }
    }
}

struct StatusReport: Encodable {
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

    var checklist: String
    var title: String?
    var run: Run?
    var total: ChecklistProgress
    var sections: [SectionProgress]
    var items: [ItemEntry]
    var changes: [ChangeEntry]
    var orphans: [Orphan]
    var tornTail: Int?
    var ramp: Ramp?
    var decisions: [DecisionEntry]
    var tripped: [TrippedEntry]

    struct Ramp: Encodable {
        var percent: Int
        /// 1-based step number, nil at 0 % or off the plan.
        var step: Int?
        var steps: [Int]
        /// READY, WAITING, BLOCKED, BUSY, COMPLETE.
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
        var reason: String?
        var detail: String?
    }

    init(checklist c: Checklist, sha256: String, run: RunState, lines: Int, torn: TornTail?, config: RunConfig? = nil,
         now: Millis = 0) {
        checklist = c.path
        title = c.title
        if let started = run.started {
            self.run = Run(id: run.runID, startedAt: run.startedAt.map(Timestamp.iso8601), startedBy: run.startedBy,
                           events: run.lastSeq, checklistChanged: started.checklistSHA256 != sha256)
        }
        total = ChecklistProgress(checklist: c, state: run, indices: c.items.indices)
        let title = c.titleSection
        sections = c.sections.dropFirst().filter { $0.index != title }.map { s in
            var depth = 0
            var p = s.parent
            while let pi = p, pi != 0, pi != title { depth += 1; p = c.sections[pi].parent }
            return SectionProgress(title: s.title, path: s.path, level: s.level, depth: depth, line: s.line,
                            progress: ChecklistProgress(checklist: c, state: run, indices: c.itemIndices(inSubtree: s.index)))
        }
        items = c.items.map { item in
            let r = run.record(item.id)
            return ItemEntry(id: item.id, line: item.line, section: c.sections[item.section].path.joined(separator: " / "),
                             title: item.title, status: run.status(of: item), actor: r?.actor,
                             time: r.map { Timestamp.iso8601($0.time) }, reason: r?.reason, note: r?.note)
        }
        changes = run.changes.map {
            ChangeEntry(seq: $0.seq, time: Timestamp.iso8601($0.time), actor: $0.actor, item: $0.item, from: $0.from,
                        to: $0.to, undo: $0.undo, reason: $0.reason, note: $0.note)
        }
        orphans = run.orphans(in: c).compactMap { id in
            run.record(id).map { Orphan(id: id, status: $0.status, actor: $0.actor, time: Timestamp.iso8601($0.time)) }
        }
        tornTail = torn?.line
        decisions = run.decisions.map { d in
            DecisionEntry(seq: d.seq, time: Timestamp.iso8601(d.time), actor: d.actor, kind: d.kind.rawValue, from: d.decision.from,
                          to: d.decision.to, reason: d.reason, verdict: d.decision.verdict, unmet: d.decision.unmet,
                          hook: d.pending ? "running" : d.hook.map { $0.ok ? "ok (\($0.summary))" : "FAILED (\($0.summary))" })
        }
        tripped = run.tripped.values.sorted { $0.seq < $1.seq }.map {
            TrippedEntry(name: $0.name, since: Timestamp.iso8601($0.since), actor: $0.actor, reason: $0.reason, detail: $0.detail)
        }
        if let config, !config.plan.steps.isEmpty {
            // status does not poll: SLOs count as unknown, as they would for a console that has no reading yet.
            let slos = config.slos.map {
                $0.bound ? GateSignal(name: $0.name, green: false, state: .unknown, detail: "(status does not poll)")
                    : GateSignal(name: $0.name, green: true, state: .unbound)
            }
            let lights = config.lights.map { l in GateSignal(name: l.name, green: run.tripped[l.name] == nil, state: run.tripped[l.name] == nil ? .ok : .tripped) }
            let v = Gates.evaluate(plan: config.plan, run: run, checklist: c, slos: slos, lights: lights, now: now)
            ramp = Ramp(percent: run.percent, step: config.plan.stepIndex(at: run.percent).map { $0 + 1 },
                        steps: config.plan.steps.map(\.percent), verdict: v.state.rawValue, unmet: v.unmet,
                        rolledBack: run.rollback?.executedAt != nil && run.percent == 0, tracker: !config.plan.hasApply)
        } else if run.percent != 0 || !run.decisions.isEmpty {
            ramp = Ramp(percent: run.percent, step: nil, steps: [], verdict: GateState.none.rawValue, unmet: [],
                        rolledBack: run.rollback?.executedAt != nil && run.percent == 0, tracker: true)
        }
    }

    func text(recent: Int) -> String {
        var out = ""
        func line(_ s: String) { out += s + "\n" }
        line("\(title ?? checklist) — \(checklist)")
        if let r = run {
            line("run \(r.id ?? "?") started \(r.startedAt ?? "?") by \(r.startedBy ?? "?") · \(r.events) journal entries")
            if r.checklistChanged { line("warning: the checklist changed since this run started") }
        } else {
            line("no run yet (no journal in this state directory): showing the checklist as written")
        }
        if let t = tornTail { line("warning: journal has a torn last line (\(t)); the next writer cuts it off") }
        if let r = ramp {
            let step = r.step.map { " (step \($0)/\(r.steps.count))" } ?? ""
            line("Ramp \(r.percent) %\(step) · \(r.verdict)\(r.rolledBack ? " · rolled back" : "")\(r.tracker ? " · tracker only" : "")")
            for u in r.unmet { line("  - \(u)") }
        }
        for t in tripped { line("TRIPPED: \(t.name) since \(t.since) by \(t.actor)\(t.reason.map { " — \($0)" } ?? "")") }
        if !decisions.isEmpty {
            line("Decisions:")
            for d in decisions {
                var s = "  \(d.time)  \(column(d.actor, 12)) \(column(d.kind.uppercased(), 9)) \(d.from) → \(d.to) %  \(d.verdict)"
                if let h = d.hook { s += " · hook \(h)" }
                if let r = d.reason { s += " — \(r)" }
                line(s)
            }
        }
        line("")
        line("Total \(summary(total))")
        for s in sections where s.progress.items > 0 {
            let indent = String(repeating: "  ", count: s.depth)
            line("  " + column(indent + s.title, 52) + " " + summary(s.progress, short: true))
        }
        let open = items.filter { $0.status == .blocked || $0.status == .skipped }
        if !open.isEmpty {
            line("")
            line("Blocked and skipped:")
            for i in open {
                line("  \(column(i.id, 14)) \(column(i.status.rawValue, 8)) \(column(i.title, 40)) \(i.actor ?? "?") \(i.time ?? ""): \(i.reason ?? "")")
            }
        }
        if !changes.isEmpty {
            line("")
            let shown = recent > 0 ? Array(changes.suffix(recent)) : changes
            line(shown.count < changes.count ? "Recent changes (last \(shown.count) of \(changes.count)):" : "Changes:")
            let titles = Dictionary(items.map { ($0.id, $0.title) }, uniquingKeysWith: { a, _ in a })
            for ch in shown {
                let verb = ch.undo ? "undo → \(ch.to?.rawValue ?? "as written")" : (ch.to?.rawValue ?? "")
                var s = "  \(ch.time)  \(column(ch.actor, 12)) \(column(verb, 18)) \(column(ch.item, 14)) \(titles[ch.item] ?? "(not in checklist)")"
                if let r = ch.reason { s += " — \(r)" }
                if let n = ch.note { s += " [note: \(n)]" }
                line(s)
            }
        }
        if !orphans.isEmpty {
            line("")
            line("State for items no longer in the checklist:")
            for o in orphans { line("  \(o.id): \(o.status.rawValue) by \(o.actor) at \(o.time)") }
        }
        return out
    }

    func summary(_ p: ChecklistProgress, short: Bool = false) -> String {
        let pct = p.items == 0 ? 0 : p.complete * 100 / p.items
        var s = "\(p.complete)/\(p.items) complete \(pct)%"
        if !short || p.skipped + p.blocked > 0 {
            var parts = ["\(p.done) done"]
            if p.skipped > 0 || !short { parts.append("\(p.skipped) skipped") }
            if p.blocked > 0 || !short { parts.append("\(p.blocked) blocked") }
            if !short { parts.append("\(p.open) open") }
            s += " (" + parts.joined(separator: ", ") + ")"
        }
        return s
    }
}
