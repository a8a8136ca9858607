/// `comms: {every: 30m}`: when the commander owes stakeholders an update during the ramp, and a drafted one from the
/// journal alone (the latest decisions, the ramp's percentage, rollback criteria and SLO state as journaled). Pure:
/// the caller passes the run, the config and the time.
public enum StakeholderUpdate {
    /// How long after each boundary the header says UPDATE DUE (at most half the cadence).
    public static let dueWindowMs: Millis = 5 * 60_000

    /// When the ramp started: the first GO or OVERRIDE; nil before.
    public static func rampStart(_ run: RunState) -> Millis? {
        run.decisions.first { $0.kind == .go || $0.kind == .override }?.time
    }

    /// The ramp is under way: started, and neither at 100 % nor rolled back and verified.
    public static func inRamp(_ run: RunState) -> Bool {
        guard rampStart(run) != nil else { return false }
        if run.rollback?.verifiedAt != nil, run.percent == 0 { return false }
        return run.percent < 100
    }

    /// During the ramp: how many updates have fallen due since it started (`index`, 0 before the first), whether one
    /// is due now (its boundary passed within `dueWindowMs`), and when the next falls due. Nil outside the ramp.
    public static func reminder(run: RunState, comms: CommsConfig?, now: Millis) -> (index: Int, due: Bool, next: Millis)? {
        guard let comms, comms.everyMs > 0, inRamp(run), let start = rampStart(run), now >= start else { return nil }
        let k = Int((now - start) / comms.everyMs)
        let boundary = start + Millis(k) * comms.everyMs
        let window = min(dueWindowMs, comms.everyMs / 2)
        return (k, k > 0 && now - boundary < window, boundary + comms.everyMs)
    }

    /// A stakeholder update, ready to paste: what is live, the latest decisions, the criteria and SLOs as journaled.
    public static func draft(run: RunState, config: RunConfig, now: Millis, decisions count: Int = 3) -> String {
        var lines: [String] = []
        let plan = config.plan.steps.map { "\($0.percent)" }.joined(separator: " → ")
        let state: String
        if let r = run.rollback, r.executedAt != nil {
            state = r.verifiedAt != nil ? "rolled back to 0 % and verified" : "rolled back to 0 %, verification pending"
        } else if run.pendingDecision != nil {
            state = "at \(run.percent) %, a change is being applied"
        } else if rampStart(run) == nil {
            state = "not started (0 %)"
        } else {
            state = "at \(run.percent) %" + (run.percent >= 100 ? " (complete)" : "")
        }
        lines.append("Update on \(config.service) (\(Timestamp.hms(now)) UTC): traffic \(state)" + (plan.isEmpty ? "." : "; plan \(plan) %."))
        let latest = run.decisions.suffix(count)
        if !latest.isEmpty {
            lines.append("Latest decisions:")
            for d in latest.reversed() {
                let move: String
                switch d.kind {
                case .go, .override: move = "\(d.kind.label) \(d.decision.from) → \(d.decision.to) %"
                case .nogo: move = "NO-GO, holding at \(d.decision.from) %"
                case .rollback: move = "ROLLBACK to 0 %"
                case .verified: move = "rollback VERIFIED"
                }
                let failed = d.hook.map { $0.ok ? "" : " (not applied: \($0.summary))" } ?? ""
                lines.append("- \(Timestamp.hms(d.time)) \(move) by \(d.actor)\(d.reason.map { ": \($0)" } ?? "")\(failed)")
            }
        }
        let tripped = run.tripped.values.sorted { $0.since < $1.since }
        lines.append(tripped.isEmpty ? "Rollback criteria: none tripped."
                                     : "Rollback criteria TRIPPED: " + tripped.map { "\($0.name) since \(Timestamp.hms($0.since))" }.joined(separator: "; ") + ".")
        var slo: [String: String] = [:]
        var order: [String] = []
        for v in run.verdictChanges where v.change.subject == "slo" {
            if slo[v.change.name] == nil { order.append(v.change.name) }
            slo[v.change.name] = v.change.to
        }
        if order.isEmpty {
            lines.append(config.slos.isEmpty ? "SLOs: none configured." : "SLOs: no change journaled (" + config.slos.map(\.name).joined(separator: ", ") + ").")
        } else {
            lines.append("SLOs: " + order.map { "\($0) \(slo[$0] ?? "?")" }.joined(separator: ", ") + ".")
        }
        if let r = reminder(run: run, comms: config.comms, now: now) {
            lines.append("Next update by \(Timestamp.hms(r.next)) UTC.")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
