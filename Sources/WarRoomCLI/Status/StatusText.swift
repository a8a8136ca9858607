import WarRoomCore

/// `warroom status`: the run summary as aligned text for a terminal.
enum StatusText {
    static func render(_ s: RunSummary, recent: Int) -> String {
        var out = ""
        func line(_ t: String) { out += t + "\n" }
        line("\(s.checklistTitle ?? s.checklistPath) — \(s.checklistPath)")
        if let r = s.start {
            line("run \(r.id ?? "?") started \(Timestamp.iso8601(r.at)) by \(r.by) · \(s.events) journal entries")
            if s.checklistChanged { line("warning: the checklist changed since this run started") }
        } else {
            line("no run yet (no journal in this state directory): showing the checklist as written")
        }
        if let t = s.journal.tornTail { line("warning: journal has a torn last line (\(t)); the next writer cuts it off") }
        if showsRamp(s) {
            let r = s.ramp
            let step = r.step.map { " (step \($0)/\(r.steps.count))" } ?? ""
            let verdict = (r.gate?.state ?? .none).rawValue
            let tracker = r.gate == nil || r.tracker
            line("Ramp \(r.percent) %\(step) · \(verdict)\(r.rolledBack ? " · rolled back" : "")\(tracker ? " · tracker only" : "")")
            for u in r.gate?.unmet ?? [] { line("  - \(u)") }
        }
        for t in s.tripped {
            line("TRIPPED: \(t.name) since \(Timestamp.iso8601(t.since)) by \(t.by)\(t.reason.map { " — \($0)" } ?? "")")
        }
        if !s.decisions.isEmpty {
            line("Decisions:")
            for d in s.decisions {
                var t = "  \(Timestamp.iso8601(d.time))  \(column(d.actor, 12)) \(column(d.kind.rawValue.uppercased(), 9)) \(d.from) → \(d.to) %  \(d.verdict)"
                if let h = hook(d.hook) { t += " · hook \(h)" }
                if let r = d.reason { t += " — \(r)" }
                line(t)
            }
        }
        line("")
        line("Total \(progress(s.total))")
        for sec in s.sections where sec.progress.items > 0 {
            let indent = String(repeating: "  ", count: sec.depth)
            let late = sec.overdue ? sec.due.map { " · OVERDUE (due \(s.missionTime($0)))" } ?? "" : ""
            line("  " + column(indent + sec.title, 52) + " " + progress(sec.progress, short: true) + late)
        }
        // Items and timeline bullets that own a due time (headings show theirs above).
        for p in s.missionPhases where p.overdue && p.kind != "section" {
            line("  OVERDUE: \(p.title) (due \(s.missionTime(p.due)), \(p.progress.complete)/\(p.progress.items) done)")
        }
        if !s.signatures.isEmpty {
            line("")
            line("Sign-offs (\(s.signatures.filter { $0.signature != nil }.count)/\(s.signatures.count) signed):")
            for r in s.signatures {
                let who = r.signature.map { "signed by \($0.actor) at \(Timestamp.iso8601($0.time))" } ?? "unsigned"
                line("  \(column(r.role, 28)) \(who)\(r.line == nil ? " (not in the checklist)" : "")")
            }
        }
        let open = s.items.filter { $0.status == .blocked || $0.status == .skipped }
        if !open.isEmpty {
            line("")
            line("Blocked and skipped:")
            for i in open {
                let when = i.record.map { Timestamp.iso8601($0.time) } ?? ""
                line("  \(column(i.id, 14)) \(column(i.status.rawValue, 8)) \(column(i.title, 40)) \(i.record?.actor ?? "?") \(when): \(i.record?.reason ?? "")")
            }
        }
        if !s.changes.isEmpty {
            line("")
            let shown = recent > 0 ? Array(s.changes.suffix(recent)) : s.changes
            line(shown.count < s.changes.count ? "Recent changes (last \(shown.count) of \(s.changes.count)):" : "Changes:")
            let titles = Dictionary(s.items.map { ($0.id, $0.title) }, uniquingKeysWith: { a, _ in a })
            for ch in shown {
                let verb = ch.undo ? "undo → \(ch.to?.rawValue ?? "as written")" : (ch.to?.rawValue ?? "")
                var t = "  \(Timestamp.iso8601(ch.time))  \(column(ch.actor, 12)) \(column(verb, 18)) \(column(ch.item, 14)) \(titles[ch.item] ?? "(not in checklist)")"
                if let r = ch.reason { t += " — \(r)" }
                if let n = ch.note { t += " [note: \(n)]" }
                line(t)
            }
        }
        let orphans = s.orphans.compactMap { o in o.record.map { (o.id, $0) } }
        if !orphans.isEmpty {
            line("")
            line("State for items no longer in the checklist:")
            for (id, r) in orphans { line("  \(id): \(r.status.rawValue) by \(r.actor) at \(Timestamp.iso8601(r.time))") }
        }
        return out
    }

    /// A ramp line when there is a plan, or the ramp moved (or was decided on) without one.
    static func showsRamp(_ s: RunSummary) -> Bool {
        s.ramp.gate != nil || s.ramp.percent != 0 || !s.decisions.isEmpty
    }

    /// `running`, `ok (exit 0)`, `FAILED (exit 3)`; nil when the decision ran no hook.
    static func hook(_ h: RunSummary.Hook?) -> String? {
        guard let h else { return nil }
        switch h.status {
        case .running: return "running"
        case .ok: return "ok (\(h.summary ?? ""))"
        case .failed: return "FAILED (\(h.summary ?? ""))"
        }
    }

    /// `4/46 complete 8% (3 done, 1 skipped, 1 blocked, 41 open)`; short: only the counts that are not zero.
    static func progress(_ p: ChecklistProgress, short: Bool = false) -> String {
        var t = "\(p.complete)/\(p.items) complete \(NumberText.percent(p.complete, of: p.items))%"
        if !short || p.skipped + p.blocked > 0 {
            var parts = ["\(p.done) done"]
            if p.skipped > 0 || !short { parts.append("\(p.skipped) skipped") }
            if p.blocked > 0 || !short { parts.append("\(p.blocked) blocked") }
            if !short { parts.append("\(p.open) open") }
            t += " (" + parts.joined(separator: ", ") + ")"
        }
        return t
    }
}
