import ArgumentParser
import Foundation
import WarRoomCore
import WarRoomStore

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show per-section and total progress, and who did what when.",
        discussion: "Reads the journal without taking the writer's lock, so it works while a console is running."
    )

    @Option(help: "The checklist (Markdown).") var checklist: String
    @Option(help: "The run's state directory.") var state: String
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "How many recent changes to list in text output (0 = all).") var recent = 20

    func run() throws {
        let loaded = try loadChecklist(checklist)
        let c = loaded.checklist
        try requireValid(c)
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
        let report = StatusReport(checklist: c, sha256: loaded.sha256, run: run, lines: lines, torn: torn)
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

    init(checklist c: Checklist, sha256: String, run: RunState, lines: Int, torn: TornTail?) {
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
