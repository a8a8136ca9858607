/// The console's words for a journaled event: what the message line says when it is saved (or, for another
/// writer's event, merged).
extension Engine {
    public func describe(_ e: JournalEvent) -> String {
        switch e.body {
        case .itemSet(let s):
            let title = checklist.item(id: s.id)?.title ?? s.id
            return "saved: \(s.id) \(s.status.rawValue)\(s.reason.map { " (\($0))" } ?? "") — \(title)"
        case .itemUndo(let u):
            let now = checklist.item(id: u.id).map { run.status(of: $0).rawValue } ?? "?"
            return "saved: undo \(u.id) → \(now)\(u.reason.map { " (\($0))" } ?? "")"
        case .runStarted:
            return "run started"
        case .handover(let h) where h.offered == true:
            return "\(h.to) drives now — took over from \(h.from ?? "?") as offered, without a gap: \(h.reason)"
        case .handover(let h):
            let from = h.from.map { " — took over from \($0)" } ?? ""
            let gap = h.gapMs.map { " after \(DurationText.clockish($0)) without a driver" } ?? ""
            return "\(h.to) drives now\(from)\(gap): \(h.reason)"
        case .driverOffer(let o):
            guard let to = o.to else {
                return "\(e.actor) withdrew the offer of driving\(o.note.map { " (\($0))" } ?? "") — \(e.actor) keeps driving"
            }
            return "\(e.actor) offers driving to \(to)\(o.note.map { " (\($0))" } ?? "") — \(to): warroom run … --take-over REASON"
        case .headRepair(let r):
            return "journal opened by \(e.actor): \(r.summary)\(r.reason.map { " — accepted: \($0)" } ?? " — kept")"
        case .notifyFailed(let f):
            return "NOTIFY FAILED: \(f.event) to \(f.target) after \(f.attempts) tries: \(f.error)"
        case .signOff(let so):
            return "signed: \(so.role) by \(e.actor)"
        case .signOffUndo(let so):
            return "signature taken back: \(so.role) by \(e.actor)"
        case .runConfig(let c):
            return "config: \(c.config.service), \(c.config.plan.steps.count) ramp steps"
        case .rampDecision(let d):
            switch d.kind {
            case .nogo: return "saved: NO-GO at \(d.from) % — observation window restarted"
            case .verified: return "saved: rollback VERIFIED"
            case .rollback where d.traffic != nil: return "ROLLBACK decided — \(d.traffic ?? "") moving the traffic to 0 %…"
            case .go where d.traffic != nil, .override where d.traffic != nil: return "\(d.kind.label) decided — \(d.traffic ?? "") setting \(d.to) %…"
            case .rollback where d.hook != nil: return "ROLLBACK decided — running the rollback hook…"
            case .rollback: return "saved: ROLLBACK to 0 % (no hook: move the traffic yourself)"
            case .go, .override:
                return d.hook != nil ? "\(d.kind.label) decided — applying \(d.to) %…" : "saved: \(d.kind.label) \(d.from) → \(d.to) %"
            }
        case .hookResult(let h) where run.decisions.last(where: { $0.seq == h.decision })?.decision.traffic != nil:
            return h.ok ? "traffic moved: \(h.summary): ramp at \(run.percent) %" : "TRAFFIC NOT MOVED: \(h.summary) · ramp stays at \(run.percent) %"
        case .hookResult(let h):
            if h.ok { return "hook done (\(h.summary), \(h.durationMs) ms): ramp at \(run.percent) %" }
            return "HOOK FAILED: \(h.summary)\(h.tail.last.map { " — \($0)" } ?? "") · ramp stays at \(run.percent) %"
        case .decisionReason(let r): return "saved: reason “\(r.reason)”"
        case .lightTrip(let l):
            return "TRIPPED: \(l.name)" + (l.byTelemetry ? " — by warroom (telemetry)\(l.detail.map { ": \($0)" } ?? "")" : l.reason.map { " (\($0))" } ?? "")
        case .lightClear(let l):
            return "cleared: \(l.name)" + (l.byTelemetry ? " — by warroom (telemetry)\(l.detail.map { ": \($0)" } ?? "")" : l.reason.map { " (\($0))" } ?? "")
        case .verdictChange(let v): return "\(v.name): \(v.from) → \(v.to)"
        case .gaugePoints(let g): return "telemetry: \(g.points.count) SLO point\(g.points.count == 1 ? "" : "s") recorded"
        }
    }
}
