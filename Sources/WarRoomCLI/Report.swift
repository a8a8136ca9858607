import ArgumentParser
import Foundation
import WarRoomConfig
import WarRoomCore
import WarRoomStore

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case md, json
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the go-live report: summary, decisions, tripped criteria, rollback timings, checklist, sign-offs.",
        discussion: """
        Markdown that renders on GitHub (an issue, a pull request, a wiki page), or JSON for tooling. Read-only: \
        never takes the writer's lock. The journal's hash chain is checked as `warroom verify` checks it; a damaged \
        journal still gets a report of what could be read before the damage, marked as such, and the command exits 1. \
        Without --config or --checklist the checklist recorded when the run started is used.
        """
    )

    @Option(help: "The run's state directory.") var state: String
    @Option(help: "The run's warroom.yaml (service, t0, ramp plan and rollback targets).") var config: String?
    @Option(help: "The checklist (Markdown), when there is no config.") var checklist: String?
    @Option(help: "md (GitHub Markdown) or json.") var format: ReportFormat = .md
    @Option(name: [.customShort("o"), .long], help: "Write the report to this file instead of standard output.")
    var output: String?

    func validate() throws {
        if checklist != nil, config != nil { throw ValidationError("give --config FILE or --checklist FILE, not both") }
    }

    func run() throws {
        guard Journal.exists(in: state) else { throw Failure("\(state): no journal here (\(Journal.path(in: state)) is missing)") }
        let journal = try ReportJournal.read(stateDir: state)
        for w in journal.warnings { writeStderr("warroom: warning: \(w)") }
        let setup: LoadedRun
        if let config {
            setup = try loadRunConfig(config)
        } else if let checklist {
            setup = try deriveRunConfig(checklistPath: checklist)
        } else if let recorded = journal.state.started?.checklist, FileManager.default.fileExists(atPath: recorded) {
            setup = try deriveRunConfig(checklistPath: recorded)
        } else {
            let recorded = journal.state.started.map { " (the run's checklist \($0.checklist) is not here)" } ?? ""
            throw Failure("give --config FILE or --checklist FILE\(recorded)")
        }
        let report = GoLiveReport(journal: journal, setup: setup)
        let text = format == .json ? jsonString(report) + "\n" : report.markdown()
        if let output {
            do { try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                throw Failure("\(output): cannot write the report: \(error.localizedDescription)")
            }
        } else {
            print(text, terminator: "")
        }
        if let d = journal.damage {
            throw Failure("\(d) — the report covers only the \(journal.lines) line\(journal.lines == 1 ? "" : "s") before it")
        }
    }
}

// MARK: Reading the journal

/// The journal as far as it verifies: all of it, or the lines before the first damaged one.
struct ReportJournal {
    var path: String
    var state: RunState
    /// Verified lines (all of them, or those before the damage).
    var lines: Int
    var lastHash: String?
    var torn: TornTail?
    var warnings: [String]
    /// What `warroom verify` reports for this journal; nil when the chain is intact.
    var damage: JournalError?

    static func read(stateDir: String) throws(Failure) -> ReportJournal {
        let r: (replay: Replay, damage: JournalError?)
        do { r = try Journal.readVerifiedPrefix(stateDir: stateDir) } catch { throw Failure("\(error)") }
        return ReportJournal(path: Journal.path(in: stateDir), state: r.replay.state, lines: r.replay.lineCount,
                             lastHash: r.replay.lastHash, torn: r.replay.tornTail, warnings: r.replay.warnings, damage: r.damage)
    }
}

// MARK: The report

/// The report's content, as the JSON document; `markdown()` renders the same content for GitHub.
struct GoLiveReport: Encodable {
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
        var reason: String?
        var detail: String?
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

    var version = 1
    var summary: Summary
    var timeline: [Decision]
    var criteria: Criteria
    var rollback: Rollback?
    var checklist: ChecklistPart
    var signOffs: [SignOff]
    var journal: JournalPart

    init(journal j: ReportJournal, setup: LoadedRun) {
        let run = j.state
        let config = setup.config
        let c = setup.checklist.checklist
        let base = config.t0 ?? run.startedAt ?? 0
        func stamp(_ ms: Millis) -> Stamp { Stamp(time: Timestamp.iso8601(ms), t: Timestamp.clock(ms - base, signed: true)) }

        // Summary and outcome.
        var notes: [String] = []
        let outcome: Outcome
        let last = config.plan.steps.last?.percent ?? 100
        if let p = run.pendingDecision {
            let d = run.decisions[p]
            notes.append("the hook for \(d.kind.label) \(d.decision.from) → \(d.decision.to) % has not reported")
        }
        if let rb = run.rollback, let failed = rb.failed {
            notes.append("the rollback hook failed (\(failed)): traffic did not move")
        }
        if let rb = run.rollback, rb.executedAt != nil, run.percent == 0 {
            let verified = rb.verifiedAt.map { "verified by \(rb.verifiedBy ?? "?") at \(Timestamp.clock($0 - base, signed: true))" }
            outcome = Outcome(state: "rolled-back", text: "Rolled back to 0 % — " + (verified ?? "not verified"),
                              verified: rb.verifiedAt != nil, notes: notes)
        } else if run.percent > 0, run.percent == 100 || run.percent == last {
            outcome = Outcome(state: "completed", text: "Completed at \(run.percent) %", verified: nil, notes: notes)
        } else if run.percent > 0 || !run.decisions.isEmpty {
            outcome = Outcome(state: "in-progress", text: "In progress at \(run.percent) %", verified: nil, notes: notes)
        } else {
            outcome = Outcome(state: "not-started", text: "Not started (0 %)", verified: nil, notes: notes)
        }
        var counts: [String: Int] = [:]
        for d in run.decisions { counts[d.kind.label, default: 0] += 1 }
        summary = Summary(service: config.service, runID: run.runID, t0: config.t0.map(Timestamp.iso8601),
                          clock: config.t0 != nil ? "t0" : "run start", start: run.startedAt.map(stamp), startedBy: run.startedBy,
                          end: run.lastTime.map(stamp), durationMs: run.startedAt.flatMap { s in run.lastTime.map { $0 - s } },
                          percent: run.percent, step: config.plan.stepIndex(at: run.percent).map { $0 + 1 },
                          steps: config.plan.steps.map(\.percent), outcome: outcome, decisions: counts, entries: j.lines)

        // Every decision.
        timeline = run.decisions.map { d in
            var hook: Hook?
            if d.decision.hook != nil {
                if let h = d.hook {
                    hook = Hook(status: h.ok ? "ok" : "failed", summary: h.summary, durationMs: h.durationMs, tail: h.tail,
                                at: d.hookTime.map(stamp))
                } else {
                    hook = Hook(status: "running", summary: nil, durationMs: nil, tail: [], at: nil)
                }
            }
            return Decision(seq: d.seq, at: stamp(d.time), actor: d.actor, kind: d.kind.label, from: d.decision.from,
                            to: d.decision.to, reason: d.reason, verdict: d.decision.verdict, unmet: d.decision.unmet,
                            hook: hook, applied: d.effective && !d.pending, gauges: d.decision.gauges, lights: d.decision.lights)
        }

        // Rollback criteria and telemetry.
        criteria = Criteria(
            configured: config.lights.map(\.name),
            events: run.lightHistory.map {
                CriterionEvent(seq: $0.seq, at: stamp($0.time), event: $0.trip ? "trip" : "clear", name: $0.change.name,
                               actor: $0.actor, reason: $0.change.reason, detail: $0.change.detail)
            },
            stillTripped: run.tripped.values.sorted { $0.seq < $1.seq }.map(\.name),
            verdictChanges: run.verdictChanges.map {
                VerdictEntry(seq: $0.seq, at: stamp($0.time), subject: $0.change.subject, name: $0.change.name,
                             from: $0.change.from, to: $0.change.to, detail: $0.change.detail)
            })

        // The last rollback against its targets.
        if let rb = run.rollback {
            let targets = config.plan.targets
            func phase(_ name: String, _ ms: Millis?, _ target: Millis?) -> Phase {
                let result = ms == nil ? "not-measured" : target == nil ? "no-target" : ms! <= target! ? "within" : "over"
                return Phase(name: name, ms: ms, targetMs: target, result: result)
            }
            let d = run.decisions.first { $0.seq == rb.decision }
            rollback = Rollback(decision: rb.decision, actor: d?.actor ?? "?", reason: d?.reason, tripped: rb.trippedAt.map(stamp),
                                decided: stamp(rb.decidedAt), executed: rb.executedAt.map(stamp), verified: rb.verifiedAt.map(stamp),
                                verifiedBy: rb.verifiedBy, failed: rb.failed,
                                phases: [phase("decide", rb.decideMs, targets.decideMs), phase("execute", rb.executeMs, targets.executeMs),
                                         phase("verify", rb.verifyMs, targets.verifyMs)])
        }

        // The checklist, by top-level section.
        /// The section's headings, without the checklist's title.
        func sectionPath(_ s: Int) -> String {
            let path = c.sections[s].path
            return (c.titleSection != nil && !path.isEmpty ? Array(path.dropFirst()) : path).joined(separator: " / ")
        }
        func entry(_ i: Int) -> ItemEntry {
            let item = c.items[i]
            let r = run.record(item.id)
            return ItemEntry(id: item.id, taskID: item.taskID, title: Self.displayTitle(item),
                             section: sectionPath(item.section), status: run.status(of: item),
                             actor: r?.actor, at: r.map { stamp($0.time) }, reason: r?.reason, note: r?.note,
                             asWritten: r == nil && item.checked)
        }
        var groups: [(title: String, indices: [Int])] = []
        let top = c.titleSection ?? 0
        if !c.sections[top].items.isEmpty {
            groups.append((c.sections[top].title.isEmpty ? "(before the first heading)" : c.sections[top].title,
                           c.itemIndices(inSubtree: top).filter { c.items[$0].section == top }))
        }
        for s in c.sections[top].children {
            let idx = c.itemIndices(inSubtree: s)
            if !idx.isEmpty { groups.append((c.sections[s].title, idx)) }
        }
        if top == 0, groups.isEmpty, !c.items.isEmpty { groups.append((c.title ?? "Checklist", Array(c.items.indices))) }
        let sections = groups.map { g in
            SectionEntry(title: g.title, progress: ChecklistProgress(checklist: c, state: run, indices: g.indices),
                         items: g.indices.filter { run.status(of: c.items[$0]) != .open }.map(entry),
                         open: g.indices.filter { run.status(of: c.items[$0]) == .open }.map { c.items[$0].taskID ?? c.items[$0].id })
        }
        checklist = ChecklistPart(path: c.path, title: c.title,
                                  changedSinceStart: run.started.map { $0.checklistSHA256 != setup.checklist.sha256 } ?? false,
                                  total: ChecklistProgress(checklist: c, state: run, indices: c.items.indices), sections: sections,
                                  skippedOrBlocked: c.items.indices.filter { [.skipped, .blocked].contains(run.status(of: c.items[$0])) }.map(entry),
                                  orphans: run.orphans(in: c))

        // Sign-offs: items that say sign-off or approval, or sit in a section that does.
        signOffs = c.items.indices.filter { i in
            Self.isSignOff(c.items[i].text) || c.sections[c.items[i].section].path.contains(where: Self.isSignOff)
        }.map { i in
            let e = entry(i)
            return SignOff(id: e.id, taskID: e.taskID, title: e.title, section: e.section, status: e.status,
                           signed: e.status == .done, actor: e.actor, at: e.at, reason: e.reason, asWritten: e.asWritten)
        }

        journal = JournalPart(path: j.path, intact: j.damage == nil, entries: j.lines, head: j.lastHash, runID: run.runID,
                              damage: j.damage.map { Damage(file: $0.path, line: $0.line, message: $0.message) },
                              tornTail: j.torn?.line, warnings: j.warnings)
    }

    static func isSignOff(_ text: String) -> Bool {
        let t = String(text.lowercased().map { $0 == "-" || $0 == "_" ? " " : $0 })
        return ["sign off", "signoff", "signed off", "approv"].contains { t.contains($0) }
    }

    /// The bold lead and what follows it (`Engineering Lead: sign-off before T-0`), else the title.
    static func displayTitle(_ item: Item) -> String {
        guard let d = item.detail, !d.isEmpty else { return item.title }
        let lead = item.title.hasSuffix(":") ? item.title : item.title + ":"
        return lead + " " + d
    }
}

// MARK: Markdown

extension GoLiveReport {
    func markdown() -> String {
        var out: [String] = []
        func add(_ lines: String...) { out.append(contentsOf: lines) }
        let clockNote = summary.clock == "t0" ? "T0" : "the run's start (no t0 configured)"

        add("# Go-live report: \(Self.inline(summary.service))", "")
        if let d = journal.damage {
            add("> [!CAUTION]",
                "> **The journal is damaged** — \(Self.inline(d.message)) (line \(d.line.map(String.init) ?? "?")).",
                "> This report shows only the \(journal.entries) entr\(journal.entries == 1 ? "y" : "ies") before the damage; nothing after it could be read.",
                "")
        }

        // Summary.
        var rows: [(String, String)] = [("Service", Self.cell(summary.service))]
        if let id = summary.runID {
            rows.append(("Run", "`\(id)`" + (summary.startedBy.map { ", started by \(Self.cell($0))" } ?? "")))
        }
        if let t0 = summary.t0 { rows.append(("T0", Self.long(t0))) }
        if let s = summary.start { rows.append(("Start", "\(Self.long(s.time)) (\(s.t))")) }
        if let e = summary.end { rows.append(("Last entry", "\(Self.long(e.time)) (\(e.t))")) }
        if let d = summary.durationMs { rows.append(("Duration", DurationText.clockish(d))) }
        let plan = summary.steps.isEmpty ? "no ramp plan" : "plan " + summary.steps.map(String.init).joined(separator: " → ") + " %"
        let step = summary.step.map { "step \($0)/\(summary.steps.count), " } ?? ""
        rows.append(("Ramp", "\(summary.percent) % (\(step)\(plan))"))
        rows.append(("Outcome", Self.outcomeIcon(summary.outcome) + " **\(Self.cell(summary.outcome.text))**"
                     + summary.outcome.notes.map { "<br>⚠ " + Self.cell($0) }.joined()))
        if !timeline.isEmpty {
            let kinds = DecisionKind.allCases.map(\.label).compactMap { k in summary.decisions[k].map { "\($0) \(k)" } }
            rows.append(("Decisions", kinds.joined(separator: ", ")))
        }
        let names = criteria.events.filter { $0.event == "trip" }.map(\.name).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        if !names.isEmpty {
            rows.append(("Tripped", names.map { "⚠ " + Self.cell($0) }.joined(separator: "<br>")
                         + (criteria.stillTripped.isEmpty ? "" : "<br>still tripped: " + criteria.stillTripped.map(Self.cell).joined(separator: ", "))))
        }
        rows.append(("Checklist", "\(checklist.total.complete)/\(checklist.total.items) complete: " + Self.counts(checklist.total)))
        rows.append(("Journal", journalLine(short: true)))
        add("| | |", "|---|---|")
        for (k, v) in rows { add("| **\(k)** | \(v) |") }
        add("", "Times (T) are relative to \(clockNote), in UTC.", "")

        // Decisions.
        add("## Decisions", "")
        if timeline.isEmpty {
            add("No ramp decision was taken.", "")
        } else {
            add("| T | Time | By | Decision | Ramp | Gate | Hook | Reason | Snapshot |",
                "|---|---|---|---|---|---|---|---|---|")
            for d in timeline {
                let kind: String
                switch d.kind {
                case DecisionKind.override.label, DecisionKind.rollback.label: kind = "**\(d.kind)**"
                default: kind = d.kind
                }
                let ramp: String
                switch d.kind {
                case DecisionKind.nogo.label: ramp = "hold \(d.from) %"
                case DecisionKind.verified.label: ramp = "\(d.to) %"
                default: ramp = "\(d.from) → \(d.to) %"
                }
                var gate = Self.cell(d.verdict)
                if !d.unmet.isEmpty {
                    let label = d.kind == DecisionKind.override.label ? "**overrode:**" : "unmet:"
                    gate += "<br>\(label)" + d.unmet.map { "<br>• " + Self.cell($0) }.joined()
                }
                var hook = "—"
                if let h = d.hook {
                    let took = h.durationMs.map { " · \(DurationText.clockish($0))" } ?? ""
                    switch h.status {
                    case "ok": hook = "✓ \(Self.cell(h.summary ?? "ok"))\(took)"
                    case "failed": hook = "✗ **\(Self.cell(h.summary ?? "failed"))**\(took)"
                    default: hook = "⏳ running"
                    }
                }
                if !d.applied, d.hook?.status == "failed" { hook += "<br>not applied" }
                add("| \(d.at.t) | \(Self.hms(d.at.time)) | \(Self.cell(d.actor)) | \(kind) | \(ramp) | \(gate) | \(hook) | "
                    + "\(d.reason.map(Self.cell) ?? "—") | \(Self.snapshot(d.gauges, d.lights)) |")
            }
            add("")
        }

        // Rollback criteria and telemetry.
        add("## Rollback criteria", "")
        if criteria.events.isEmpty {
            add(criteria.configured.isEmpty ? "No rollback criteria configured; none tripped."
                : "None of the \(criteria.configured.count) criteria tripped: " + criteria.configured.map(Self.inline).joined(separator: ", ") + ".", "")
        } else {
            add("| T | Time | Event | Criterion | By | Reason | Detail |", "|---|---|---|---|---|---|---|")
            for e in criteria.events {
                let ev = e.event == "trip" ? "⚠ **TRIPPED**" : "cleared"
                add("| \(e.at.t) | \(Self.hms(e.at.time)) | \(ev) | \(Self.cell(e.name)) | \(Self.cell(e.actor)) | "
                    + "\(e.reason.map(Self.cell) ?? "—") | \(e.detail.map(Self.cell) ?? "—") |")
            }
            add("")
            if !criteria.stillTripped.isEmpty {
                add("Still tripped at the last entry: " + criteria.stillTripped.map { "**\(Self.inline($0))**" }.joined(separator: ", ") + ".", "")
            }
        }
        if !criteria.verdictChanges.isEmpty {
            add("**Telemetry verdict changes** (\(criteria.verdictChanges.count)):", "")
            add("| Signal | Changes |", "|---|---|")
            var order: [String] = []
            var byName: [String: [VerdictEntry]] = [:]
            for v in criteria.verdictChanges {
                let key = v.subject + "\u{0}" + v.name
                if byName[key] == nil { order.append(key) }
                byName[key, default: []].append(v)
            }
            for key in order {
                let list = byName[key] ?? []
                guard let first = list.first else { continue }
                let what = first.subject == "slo" ? "SLO" : first.subject == "light" ? "criterion" : first.subject
                let path = "`\(Self.code(first.from))`" + list.map { " → `\(Self.code($0.to))` \($0.at.t)" }.joined()
                add("| \(Self.cell(first.name)) (\(Self.cell(what))) | \(path) |")
            }
            add("")
        }

        // Rollback timings.
        add("## Rollback", "")
        if let r = rollback {
            var steps: [String] = []
            if let t = r.tripped { steps.append("First trip \(t.t)") }
            steps.append((steps.isEmpty ? "Decided" : "decided") + " \(r.decided.t) by \(Self.inline(r.actor))" + (r.reason.map { " (“\(Self.inline($0))”)" } ?? ""))
            if let e = r.executed { steps.append("traffic at 0 % \(e.t)") }
            if let f = r.failed { steps.append("**hook failed: \(Self.inline(f))**") }
            steps.append(r.verified.map { "verified \($0.t) by \(Self.inline(r.verifiedBy ?? "?"))" } ?? "not verified")
            add(steps.joined(separator: " · "), "")
            add("| Phase | Took | Target | Result |", "|---|---|---|---|")
            let labels = ["decide": "Decide (first trip → ROLLBACK)", "execute": "Execute (ROLLBACK → 0 %)",
                          "verify": "Verify (0 % → VERIFIED)"]
            for p in r.phases {
                let result: String
                switch p.result {
                case "within": result = "✓ within"
                case "over": result = "✗ **over** by \(DurationText.clockish((p.ms ?? 0) - (p.targetMs ?? 0)))"
                case "no-target": result = "no target"
                default: result = "— not measured"
                }
                add("| \(labels[p.name] ?? p.name) | \(p.ms.map(DurationText.clockish) ?? "—") | "
                    + "\(p.targetMs.map(DurationText.format) ?? "—") | \(result) |")
            }
            add("")
        } else {
            add("No rollback in this run.", "")
        }

        // Checklist.
        add("## Checklist", "")
        var head = "**\(checklist.total.complete)/\(checklist.total.items) complete** — \(Self.counts(checklist.total))."
        if checklist.changedSinceStart { head += " ⚠ The checklist file changed since the run started." }
        add(head, "")
        add("| Section | Done | Skipped | Blocked | Open | Complete |", "|---|--:|--:|--:|--:|--:|")
        for s in checklist.sections {
            let p = s.progress
            add("| \(Self.cell(s.title)) | \(p.done) | \(p.skipped) | \(p.blocked) | \(p.open) | \(p.complete)/\(p.items) |")
        }
        add("")
        if !checklist.skippedOrBlocked.isEmpty {
            add("**Skipped and blocked:**", "")
            add("| Item | Status | Reason | By | T |", "|---|---|---|---|---|")
            for i in checklist.skippedOrBlocked {
                add("| \(Self.label(i.taskID, i.title)) | \(i.status == .blocked ? "**blocked**" : "skipped") | "
                    + "\(i.reason.map(Self.cell) ?? "—") | \(i.actor.map(Self.cell) ?? "—") | \(i.at?.t ?? "—") |")
            }
            add("")
        }
        for s in checklist.sections where !s.items.isEmpty || !s.open.isEmpty {
            add("<details><summary><b>\(Self.html(s.title))</b>: \(s.progress.complete)/\(s.progress.items) complete</summary>", "")
            if !s.items.isEmpty {
                add("| Item | Status | By | T |", "|---|---|---|---|")
                for i in s.items {
                    let status: String
                    switch i.status {
                    case .done: status = "✓ done"
                    case .skipped: status = "skipped"
                    case .blocked: status = "**blocked**"
                    case .open: status = "open"
                    }
                    let by = i.asWritten ? "checked in the file" : (i.actor.map(Self.cell) ?? "—")
                    add("| \(Self.label(i.taskID, i.title)) | \(status) | \(by) | \(i.at?.t ?? "—") |")
                }
                add("")
            }
            if !s.open.isEmpty { add("Open: " + s.open.map { "`\(Self.code($0))`" }.joined(separator: ", "), "") }
            add("</details>", "")
        }
        if !checklist.orphans.isEmpty {
            add("State recorded for items no longer in the checklist: " + checklist.orphans.map { "`\(Self.code($0))`" }.joined(separator: ", ") + ".", "")
        }

        // Sign-offs.
        add("## Sign-offs", "")
        if signOffs.isEmpty {
            add("The checklist has no sign-off or approval items.", "")
        } else {
            add("| Sign-off | Status |", "|---|---|")
            for s in signOffs {
                let status: String
                switch s.status {
                case .done where s.asWritten: status = "✓ checked in the checklist file (no journal record)"
                case .done: status = "✓ signed by \(Self.cell(s.actor ?? "?")), \(s.at.map { "\(Self.long($0.time)) (\($0.t))" } ?? "")"
                case .skipped: status = "skipped by \(Self.cell(s.actor ?? "?"))" + (s.reason.map { ": " + Self.cell($0) } ?? "")
                case .blocked: status = "**blocked** by \(Self.cell(s.actor ?? "?"))" + (s.reason.map { ": " + Self.cell($0) } ?? "")
                case .open: status = "**not signed**"
                }
                add("| \(Self.label(s.taskID, s.title)) | \(status) |")
            }
            add("")
        }

        // Journal.
        add("## Journal", "")
        add(journalLine(short: false), "")
        if let t = journal.tornTail { add("A torn last line (line \(t), never acknowledged) was ignored.", "") }
        for w in journal.warnings { add("⚠ " + Self.inline(w), "") }
        while out.last == "" { out.removeLast() }
        return out.joined(separator: "\n") + "\n"
    }

    func journalLine(short: Bool) -> String {
        if let d = journal.damage {
            let at = "`\(Self.code((d.file as NSString).lastPathComponent))` line \(d.line.map(String.init) ?? "?")"
            if short { return "✗ **damaged** at \(at): \(Self.cell(d.message))" }
            return "✗ **Damaged** at \(at): \(Self.inline(d.message)). The \(journal.entries) entr\(journal.entries == 1 ? "y" : "ies") before it verified"
                + (journal.head.map { " (last good hash `\($0.prefix(12))`)" } ?? "")
                + "; this report stops there. `warroom verify` reports the same line."
        }
        let head = journal.head.map { ", head `\($0.prefix(12))`" } ?? ""
        if short { return "✓ chain intact: \(journal.entries) entries\(head)" }
        return "✓ Chain intact: \(journal.entries) entries" + (journal.runID.map { ", run `\($0)`" } ?? "") + head
            + " (`\(Self.code(journal.path))`, checked as `warroom verify` does)."
    }

    static func outcomeIcon(_ o: Outcome) -> String {
        switch o.state {
        case "completed": "✅"
        case "rolled-back": o.verified == true ? "⏪" : "⚠️"
        case "in-progress": "🚧"
        default: "⏸"
        }
    }

    static func counts(_ p: ChecklistProgress) -> String {
        "\(p.done) done, \(p.skipped) skipped, \(p.blocked) blocked, \(p.open) open"
    }

    /// A decision's snapshot: what was not OK, each with its detail, then how many were.
    static func snapshot(_ gauges: [SnapshotEntry], _ lights: [SnapshotEntry]) -> String {
        if gauges.isEmpty, lights.isEmpty { return "—" }
        var lines: [String] = []
        var okGauges = 0, okLights = 0
        for g in gauges {
            if g.state == "ok" || g.state == "unbound" { okGauges += 1; continue }
            lines.append("**\(cell(g.name))** \(cell(g.state.uppercased()))" + (g.detail.map { " (\(cell($0)))" } ?? ""))
        }
        for l in lights {
            if l.state == "ok" { okLights += 1; continue }
            let detail = l.detail.map { " (\(cell($0)))" } ?? ""
            lines.append(l.state == "tripped" ? "⚠ **\(cell(l.name)) tripped**\(detail)" : "\(cell(l.name)): \(cell(l.state))\(detail)")
        }
        var ok: [String] = []
        if okGauges > 0 { ok.append("\(okGauges) SLO\(okGauges == 1 ? "" : "s")") }
        if okLights > 0 { ok.append("\(okLights) criteri\(okLights == 1 ? "on" : "a")") }
        if !ok.isEmpty { lines.append("✓ \(ok.joined(separator: ", ")) ok") }
        return lines.joined(separator: "<br>")
    }

    static func label(_ taskID: String?, _ title: String) -> String {
        (taskID.map { "`\(code($0))` " } ?? "") + cell(title)
    }

    /// `2026-11-23 09:00:00 UTC`
    static func long(_ iso: String) -> String { "\(iso.prefix(10)) \(iso.dropFirst(11).prefix(8)) UTC" }

    /// `09:00:00`
    static func hms(_ iso: String) -> String { String(iso.dropFirst(11).prefix(8)) }

    /// Text for a table cell: one line, no column breaks, no raw HTML.
    static func cell(_ s: String) -> String {
        inline(s).replacingOccurrences(of: "|", with: "\\|")
    }

    /// Text on one line, with no raw HTML: a `<` that could open a tag is escaped (`< 5 minutes` stays as it is).
    static func inline(_ s: String) -> String {
        var out = ""
        var previousLT = false
        for ch in s {
            if previousLT {
                out.append(ch.isLetter || ch == "/" || ch == "!" || ch == "?" ? "&lt;" : "<")
                previousLT = false
            }
            switch ch {
            case "\n", "\r", "\r\n", "\t": out.append(" ")
            case "<": previousLT = true
            default: out.append(ch)
            }
        }
        if previousLT { out.append("<") }
        return out
    }

    /// Text inside backticks (which it cannot contain).
    static func code(_ s: String) -> String { inline(s).replacingOccurrences(of: "`", with: "'") }

    /// Text inside HTML (the `<summary>` of a collapsible block).
    static func html(_ s: String) -> String {
        inline(s.replacingOccurrences(of: "&", with: "&amp;")).replacingOccurrences(of: "<", with: "&lt;")
    }
}
