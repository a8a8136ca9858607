import Foundation
import WarRoomCore

/// `warroom report`: the run summary as GitHub Markdown (summary, decisions, criteria, rollback timings, checklist,
/// sign-offs, journal).
struct ReportMarkdown {
    let s: RunSummary
    private var out: [String] = []

    static func render(_ s: RunSummary) -> String {
        var r = ReportMarkdown(s: s)
        r.header()
        r.summaryTable()
        r.out += ReportChart.render(s.chart, missionTime: { s.missionTime($0) })
        r.decisions()
        r.handovers()
        r.headRepairs()
        r.criteria()
        r.rollback()
        r.checklist()
        r.signOffs()
        r.journal()
        while r.out.last == "" { r.out.removeLast() }
        return r.out.joined(separator: "\n") + "\n"
    }

    private init(s: RunSummary) { self.s = s }

    private mutating func add(_ lines: String...) { out.append(contentsOf: lines) }

    /// `T+00:12:30` on the run's mission clock.
    private func t(_ ms: Millis) -> String { s.missionTime(ms) }

    private mutating func header() {
        add("# Go-live report: \(inline(s.service))", "")
        if let d = s.journal.damage {
            add("> [!CAUTION]",
                "> **The journal is damaged** — \(inline(d.message)) (line \(d.line.map(String.init) ?? "?")).",
                "> This report shows only the \(entries) before the damage; nothing after it could be read.",
                "")
        }
    }

    private var entries: String { NumberText.counted(s.journal.lines, "entry", "entries") }

    private mutating func summaryTable() {
        var rows: [(String, String)] = [("Service", cell(s.service))]
        if let start = s.start, let id = start.id { rows.append(("Run", "`\(id)`, started by \(cell(start.by))")) }
        if let t0 = s.t0 { rows.append(("T0", Timestamp.long(t0))) }
        if let start = s.start { rows.append(("Start", "\(Timestamp.long(start.at)) (\(t(start.at)))")) }
        if let e = s.lastEntry { rows.append(("Last entry", "\(Timestamp.long(e)) (\(t(e)))")) }
        if let d = s.durationMs { rows.append(("Duration", DurationText.clockish(d))) }
        let steps = s.ramp.steps
        let plan = steps.isEmpty ? "no ramp plan" : "plan " + steps.map(String.init).joined(separator: " → ") + " %"
        let step = s.ramp.step.map { "step \($0)/\(steps.count), " } ?? ""
        rows.append(("Ramp", "\(s.ramp.percent) % (\(step)\(plan))"))
        rows.append(("Outcome", Self.outcomeIcon(s.outcome) + " **\(cell(s.outcome.text))**"
                     + s.outcome.notes.map { "<br>⚠ " + cell($0) }.joined()))
        if !s.decisions.isEmpty {
            let kinds = DecisionKind.allCases.compactMap { k in s.decisionCounts[k].map { "\($0) \(k.label)" } }
            rows.append(("Decisions", kinds.joined(separator: ", ")))
        }
        let names = s.criterionEvents.filter(\.trip).map(\.change.name).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        if !names.isEmpty {
            rows.append(("Tripped", names.map { "⚠ " + cell($0) }.joined(separator: "<br>")
                         + (s.tripped.isEmpty ? "" : "<br>still tripped: " + s.tripped.map { cell($0.name) }.joined(separator: ", "))))
        }
        rows.append(("Checklist", "\(s.total.complete)/\(s.total.items) complete: " + Self.counts(s.total)))
        rows.append(("Journal", journalLine(short: true)))
        add("| | |", "|---|---|")
        for (k, v) in rows { add("| **\(k)** | \(v) |") }
        let clockNote = s.t0 != nil ? "T0" : "the run's start (no t0 configured)"
        add("", "Times (T) are relative to \(clockNote), in UTC.", "")
    }

    private mutating func decisions() {
        add("## Decisions", "")
        guard !s.decisions.isEmpty else { return add("No ramp decision was taken.", "") }
        add("| T | Time | By | Decision | Ramp | Gate | Hook | Reason | Snapshot |",
            "|---|---|---|---|---|---|---|---|---|")
        for d in s.decisions {
            let kind = d.kind == .override || d.kind == .rollback ? "**\(d.kind.label)**" : d.kind.label
            let ramp: String
            switch d.kind {
            case .nogo: ramp = "hold \(d.from) %"
            case .verified: ramp = "\(d.to) %"
            default: ramp = "\(d.from) → \(d.to) %"
            }
            var gate = cell(d.verdict)
            // A verification confirms traffic is at 0 %: no gate was asked, so none is shown (it would read as a
            // BLOCKED ramp that nobody was ramping).
            if d.kind == .verified { gate = "—" } else if !d.unmet.isEmpty {
                let label = d.kind == .override ? "**overrode:**" : "unmet:"
                gate += "<br>\(label)" + d.unmet.map { "<br>• " + cell($0) }.joined()
            }
            var hook = "—"
            if let h = d.hook {
                let took = h.durationMs.map { " · \(DurationText.clockish($0))" } ?? ""
                switch h.status {
                case .ok: hook = "✓ \(cell(h.summary ?? "ok"))\(took)"
                case .failed: hook = "✗ **\(cell(h.summary ?? "failed"))**\(took)"
                case .running: hook = "⏳ running"
                }
            }
            if !d.applied, d.hook?.status == .failed { hook += "<br>not applied" }
            add("| \(t(d.time)) | \(Timestamp.hms(d.time)) | \(cell(d.actor)) | \(kind) | \(ramp) | \(gate) | \(hook) | "
                + "\(d.reason.map(MarkdownText.cell) ?? "—") | \(Self.snapshot(d.gauges, d.lights)) |")
        }
        add("")
    }

    /// Who drove when: offers of driving (`D`) and take-overs, in journal order; only when there were any (a run
    /// one person drove says nothing here).
    private mutating func handovers() {
        guard !s.handovers.isEmpty || !s.offers.isEmpty else { return }
        add("## Hand-overs", "", "| T | UTC | what | from | to | without a driver | reason |", "|---|---|---|---|---|---|---|")
        var rows: [(seq: Int, line: String)] = []
        for h in s.handovers {
            let gap = h.handover.gapMs.map { DurationText.clockish($0) } ?? "—"
            rows.append((h.seq, "| \(t(h.time)) | \(Timestamp.hms(h.time)) | \(h.handover.offered == true ? "accepted offer" : "take-over") | "
                + "\(MarkdownText.cell(h.handover.from ?? "—")) | \(MarkdownText.cell(h.handover.to)) | \(gap) | "
                + "\(MarkdownText.cell(h.handover.reason)) |"))
        }
        for o in s.offers {
            rows.append((o.seq, "| \(t(o.time)) | \(Timestamp.hms(o.time)) | \(o.offer.to == nil ? "offer withdrawn" : "offered") | "
                + "\(MarkdownText.cell(o.actor)) | \(MarkdownText.cell(o.offer.to ?? "—")) | — | \(o.offer.note.map(MarkdownText.cell) ?? "—") |"))
        }
        for r in rows.sorted(by: { $0.seq < $1.seq }) { add(r.line) }
        add("")
    }

    /// Openings of the journal whose head record was missing or behind: a line never acknowledged (a writer killed
    /// between its syncs) or lines deleted or added by hand. Only when there were any.
    private mutating func headRepairs() {
        guard !s.headRepairs.isEmpty else { return }
        add("## Journal integrity", "", "| T | UTC | who | found | taken on because |", "|---|---|---|---|---|")
        for r in s.headRepairs {
            add("| \(t(r.time)) | \(Timestamp.hms(r.time)) | \(MarkdownText.cell(r.actor)) | \(MarkdownText.cell(r.repair.summary)) | "
                + "\(r.repair.reason.map(MarkdownText.cell) ?? "automatic: one line beyond the head") |")
        }
        add("")
    }

    private mutating func criteria() {
        add("## Rollback criteria", "")
        if s.criterionEvents.isEmpty {
            add(s.criteria.isEmpty ? "No rollback criteria configured; none tripped."
                : "None of the \(s.criteria.count) criteria tripped: " + s.criteria.map { MarkdownText.inline($0) }.joined(separator: ", ") + ".", "")
        } else {
            add("| T | Time | Event | Criterion | By | Reason | Detail |", "|---|---|---|---|---|---|---|")
            for e in s.criterionEvents {
                let ev = e.trip ? "⚠ **TRIPPED**" : "cleared"
                // Telemetry's own trips: the telemetry did them (with its source and the console that read it).
                let by = cell(e.change.attribution(actor: e.actor))
                add("| \(t(e.time)) | \(Timestamp.hms(e.time)) | \(ev) | \(cell(e.change.name)) | \(by) | "
                    + "\(e.change.reason.map(MarkdownText.cell) ?? "—") | \(e.change.detail.map(MarkdownText.cell) ?? "—") |")
            }
            add("")
            if !s.tripped.isEmpty {
                add("Still tripped at the last entry: " + s.tripped.map { "**\(inline($0.name))**" }.joined(separator: ", ") + ".", "")
            }
        }
        guard !s.verdictChanges.isEmpty else { return }
        add("**Telemetry verdict changes** (\(s.verdictChanges.count)):", "")
        add("| Signal | Changes |", "|---|---|")
        var order: [String] = []
        var byName: [String: [RunSummary.VerdictEvent]] = [:]
        for v in s.verdictChanges {
            let key = v.change.subject + "\u{0}" + v.change.name
            if byName[key] == nil { order.append(key) }
            byName[key, default: []].append(v)
        }
        for key in order {
            let list = byName[key] ?? []
            guard let first = list.first?.change else { continue }
            let what = first.subject == "slo" ? "SLO" : first.subject == "light" ? "criterion" : first.subject
            // A criterion's path runs on through its trip and clear (journaled as their own events): watch → tripped → cleared.
            var steps = list.map { (seq: $0.seq, text: " → `\(code($0.change.to))` \(t($0.time))") }
            if first.subject == "light" {
                steps += s.criterionEvents.filter { $0.change.name == first.name }
                    .map { (seq: $0.seq, text: " → " + ($0.trip ? "**tripped**" : "cleared") + " \(t($0.time))") }
                steps.sort { $0.seq < $1.seq }
            }
            let path = "`\(code(first.from))`" + steps.map(\.text).joined()
            add("| \(cell(first.name)) (\(cell(what))) | \(path) |")
        }
        add("")
    }

    private mutating func rollback() {
        add("## Rollback", "")
        guard let r = s.rollback else { return add("No rollback in this run.", "") }
        var steps: [String] = []
        if let tripped = r.trippedAt { steps.append("First trip \(t(tripped))") }
        steps.append((steps.isEmpty ? "Decided" : "decided") + " \(t(r.decidedAt)) by \(inline(r.actor))" + (r.reason.map { " (“\(inline($0))”)" } ?? ""))
        if let e = r.executedAt { steps.append("traffic at 0 % \(t(e))") }
        if let f = r.failed { steps.append("**hook failed: \(inline(f))**") }
        steps.append(r.verifiedAt.map { "verified \(t($0)) by \(inline(r.verifiedBy ?? "?"))" } ?? "not verified")
        add(steps.joined(separator: " · "), "")
        add("| Phase | Took | Target | Result |", "|---|---|---|---|")
        for p in r.phases {
            let label: String
            switch p.name {
            case .decide: label = "Decide (first trip → ROLLBACK)"
            case .execute: label = "Execute (ROLLBACK → 0 %)"
            case .verify: label = "Verify (0 % → VERIFIED)"
            }
            let result: String
            switch p.result {
            case .within: result = "✓ within"
            case .over: result = "✗ **over** by \(DurationText.clockish((p.ms ?? 0) - (p.targetMs ?? 0)))"
            case .noTarget: result = "no target"
            case .notMeasured: result = "— not measured"
            }
            add("| \(label) | \(p.ms.map(DurationText.clockish) ?? "—") | \(p.targetMs.map(DurationText.format) ?? "—") | \(result) |")
        }
        add("")
    }

    private mutating func checklist() {
        add("## Checklist", "")
        var head = "**\(s.total.complete)/\(s.total.items) complete** — \(Self.counts(s.total))."
        if s.checklistChanged { head += " ⚠ The checklist file changed since the run started." }
        add(head, "")
        add("| Section | Done | Skipped | Blocked | Open | Complete |", "|---|--:|--:|--:|--:|--:|")
        for part in s.parts {
            let p = part.progress
            add("| \(cell(part.title)) | \(p.done) | \(p.skipped) | \(p.blocked) | \(p.open) | \(p.complete)/\(p.items) |")
        }
        add("")
        let held = s.items.filter { $0.status == .skipped || $0.status == .blocked }
        if !held.isEmpty {
            add("**Skipped and blocked:**", "")
            add("| Item | Status | Reason | By | T |", "|---|---|---|---|---|")
            for i in held {
                add("| \(label(i)) | \(i.status == .blocked ? "**blocked**" : "skipped") | "
                    + "\(i.record?.reason.map(MarkdownText.cell) ?? "—") | \(i.record.map { cell($0.actor) } ?? "—") | \(i.record.map { t($0.time) } ?? "—") |")
            }
            add("")
        }
        for part in s.parts {
            let done = part.items.map { s.items[$0] }.filter { $0.status != .open }
            let open = part.items.map { s.items[$0] }.filter { $0.status == .open }
            guard !done.isEmpty || !open.isEmpty else { continue }
            add("<details><summary><b>\(MarkdownText.html(part.title))</b>: \(part.progress.complete)/\(part.progress.items) complete</summary>", "")
            if !done.isEmpty {
                add("| Item | Status | By | T |", "|---|---|---|---|")
                for i in done {
                    let status: String
                    switch i.status {
                    case .done: status = "✓ done"
                    case .skipped: status = "skipped"
                    case .blocked: status = "**blocked**"
                    case .open: status = "open"
                    }
                    let by = i.asWritten ? "checked in the file" : (i.record.map { cell($0.actor) } ?? "—")
                    add("| \(label(i)) | \(status) | \(by) | \(i.record.map { t($0.time) } ?? "—") |")
                }
                add("")
            }
            // Open items with their text: a bare ID tells the reader nothing.
            if !open.isEmpty { add("Open (\(open.count)):", "") ; for i in open { add("- \(label(i))") }; add("") }
            add("</details>", "")
        }
        // Every skip and every undo, in order: what was left out, and what was taken back, by whom.
        let skipsAndUndos = s.changes.filter { $0.undo || $0.to == .skipped }
        if !skipsAndUndos.isEmpty {
            add("**Skips and undos** (\(skipsAndUndos.count)):", "")
            add("| T | Time | By | Item | Change | Reason |", "|---|---|---|---|---|---|")
            for c in skipsAndUndos {
                let item = s.items.first { $0.id == c.item }.map(label) ?? "`\(code(c.item))`"
                let change = c.undo ? "undo \(c.from?.rawValue ?? "?") → \(c.to?.rawValue ?? "open")" : "skipped"
                add("| \(t(c.time)) | \(Timestamp.hms(c.time)) | \(cell(c.actor)) | \(item) | \(change) | \(c.reason.map(cell) ?? "—") |")
            }
            add("")
        }
        phasesPastDue()
        if !s.orphans.isEmpty {
            add("State recorded for items no longer in the checklist: " + s.orphans.map { "`\(code($0.id))`" }.joined(separator: ", ") + ".", "")
        }
    }

    /// Phases on the mission clock that are overdue, or finished after they were due, and how late.
    private mutating func phasesPastDue() {
        let late = s.missionPhases.filter { $0.lateMs(now: s.now) != nil }
        guard !late.isEmpty else { return }
        add("**Phases past due**", "", "| Phase | Due | Finished | Late by |", "|---|---|---|--:|")
        for p in late {
            add("| \(cell(p.title)) | \(t(p.due)) | \(p.finishedAt.map(t) ?? "not finished (OVERDUE)") | \(DurationText.clockish(p.lateMs(now: s.now)!)) |")
        }
        add("")
    }

    private mutating func signOffs() {
        add("## Sign-offs", "")
        if !s.signatures.isEmpty {
            add("Signed with `warroom sign ROLE` (\(s.signatures.filter { $0.signature != nil }.count) of \(s.signatures.count)):", "")
            add("| Role | Signed by | When |", "|---|---|---|")
            for r in s.signatures {
                let role = cell(r.role) + (r.line.map { " (line \($0))" } ?? " (not in the checklist)")
                if let sig = r.signature {
                    add("| \(role) | \(cell(sig.actor)) | \(Timestamp.long(sig.time)) (\(t(sig.time))) |")
                } else if let id = r.itemID, let item = s.items.first(where: { $0.id == id }), item.status == .done, let rec = item.record {
                    // Ticked with `check`, not signed: say both, so neither reading hides the other.
                    add("| \(role) | **unsigned** (its item was ticked by \(cell(rec.actor))) | \(Timestamp.long(rec.time)) (\(t(rec.time))) |")
                } else {
                    add("| \(role) | **unsigned** | |")
                }
            }
            add("")
        }
        guard !s.signOffs.isEmpty else { return add("The checklist has no sign-off or approval items.", "") }
        if !s.signatures.isEmpty { add("Sign-off and approval items, by their checkbox:", "") }
        add("| Sign-off | Status |", "|---|---|")
        for i in s.signOffs.map({ s.items[$0] }) {
            let actor = cell(i.record?.actor ?? "?")
            let reason = i.record?.reason.map { ": " + cell($0) } ?? ""
            let status: String
            switch i.status {
            case .done where i.asWritten: status = "✓ checked in the checklist file (no journal record)"
            case .done: status = "✓ signed by \(actor), \(i.record.map { "\(Timestamp.long($0.time)) (\(t($0.time)))" } ?? "")"
            case .skipped: status = "skipped by \(actor)" + reason
            case .blocked: status = "**blocked** by \(actor)" + reason
            case .open: status = "**not signed**"
            }
            add("| \(label(i)) | \(status) |")
        }
        add("")
    }

    private mutating func journal() {
        add("## Journal", "")
        add(journalLine(short: false), "")
        if let torn = s.journal.tornTail { add("A torn last line (line \(torn), never acknowledged) was ignored.", "") }
        for w in s.journal.warnings { add("⚠ " + inline(w), "") }
    }

    private func journalLine(short: Bool) -> String {
        let j = s.journal
        if let d = j.damage {
            let at = "`\(code((d.file as NSString).lastPathComponent))` line \(d.line.map(String.init) ?? "?")"
            if short { return "✗ **damaged** at \(at): \(cell(d.message))" }
            return "✗ **Damaged** at \(at): \(inline(d.message)). The \(entries) before it verified"
                + (j.lastHash.map { " (last good hash `\($0.prefix(12))`)" } ?? "")
                + "; this report stops there. `warroom verify` reports the same line."
        }
        let head = j.lastHash.map { ", head `\($0.prefix(12))`" } ?? ""
        if short { return "✓ chain intact: \(j.lines) entries\(head)" }
        return "✓ Chain intact: \(j.lines) entries" + (s.start?.id.map { ", run `\($0)`" } ?? "") + head
            + " (`\(code(j.path))`, checked as `warroom verify` does)."
    }

    // MARK: Pieces

    static func outcomeIcon(_ o: RunSummary.Outcome) -> String {
        switch o.state {
        case .completed: o.clean ? "✅" : "⚠️"
        case .rolledBack: o.verified == true ? "⏪" : "⚠️"
        case .inProgress: "🚧"
        case .notStarted: "⏸"
        }
    }

    static func counts(_ p: ChecklistProgress) -> String {
        "\(p.done) done, \(p.skipped) skipped, \(p.blocked) blocked, \(p.open) open"
    }

    /// A decision's snapshot: what was not OK, each with its detail, then how many were.
    static func snapshot(_ gauges: [SnapshotEntry], _ lights: [SnapshotEntry]) -> String {
        if gauges.isEmpty, lights.isEmpty { return "—" }
        let cell = MarkdownText.cell
        var lines: [String] = []
        var okGauges = 0, okLights = 0, unmeasured = 0
        for g in gauges {
            if g.state == "ok" { okGauges += 1; continue }
            // No query: nothing measured it, so it is never summed up as ok.
            if g.state == "unbound" { unmeasured += 1; continue }
            lines.append("**\(cell(g.name))** \(cell(g.state.uppercased()))" + (g.detail.map { " (\(cell($0)))" } ?? ""))
        }
        for l in lights {
            if l.state == "ok" { okLights += 1; continue }
            let detail = l.detail.map { " (\(cell($0)))" } ?? ""
            lines.append(l.state == "tripped" ? "⚠ **\(cell(l.name)) tripped**\(detail)" : "\(cell(l.name)): \(cell(l.state))\(detail)")
        }
        var ok: [String] = []
        if okGauges > 0 { ok.append(NumberText.counted(okGauges, "SLO", "SLOs")) }
        if okLights > 0 { ok.append(NumberText.counted(okLights, "criterion", "criteria")) }
        if !ok.isEmpty { lines.append("✓ \(ok.joined(separator: ", ")) ok") }
        if unmeasured > 0 { lines.append("\(NumberText.counted(unmeasured, "SLO", "SLOs")) not measured") }
        return lines.joined(separator: "<br>")
    }

    private func label(_ i: RunSummary.ItemSummary) -> String {
        (i.taskID.map { "`\(code($0))` " } ?? "") + cell(i.displayTitle)
    }

    private func cell(_ t: String) -> String { MarkdownText.cell(t) }
    private func inline(_ t: String) -> String { MarkdownText.inline(t) }
    private func code(_ t: String) -> String { MarkdownText.code(t) }
}
