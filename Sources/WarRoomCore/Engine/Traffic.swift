/// `ramp.traffic`: a decision's move goes to the adapter (`.setTraffic`); its answer (`.trafficRead`) settles the
/// decision like a hook's result — ok only when the weight read back is the weight asked for. Read-backs on the timer
/// keep `traffic` current: a weight in effect other than the ramp's (DRIFT) or a failed read-back blocks the gate, and
/// each change of that state is journaled once (`verdict.change`, subject "traffic").
extension Engine {
    /// The decision's traffic move, or its journaled failure when the console is closing.
    mutating func startTraffic(_ d: RampDecision, seq: Int) -> [Command] {
        if stopping {
            return [.log("traffic for seq \(seq) not set: the console is closing"),
                    append(.hookResult(HookResult(decision: seq, ok: false, summary: "not run: the console closed before the traffic was set",
                                                  durationMs: 0)))]
        }
        return [.log("traffic for seq \(seq) (\(d.kind.rawValue) \(d.from) → \(d.to) %) through \(d.traffic ?? "")"),
                .setTraffic(TrafficRequest(decision: seq, percent: d.to))]
    }

    /// "intended 25 % · observed 25 % (haproxy)"
    static func trafficText(intended: Int, observed: Int?, adapter: String) -> String {
        "intended \(intended) % · observed \(observed.map { "\($0) %" } ?? "?") (\(adapter))"
    }

    mutating func trafficRead(_ r: TrafficReading) -> [Command] {
        var status = TrafficStatus(adapter: r.adapter, observed: r.observed, error: r.error, at: now)
        // A console that just took over starts from what the last driver journaled (a drift it left open is ended here).
        status.journaled = traffic?.journaled ?? run.journaledTrafficState
        traffic = status
        var out: [Command] = []
        if let seq = r.decision, let intended = r.intended {
            let text = Self.trafficText(intended: intended, observed: r.observed, adapter: r.adapter)
            let ok = r.error == nil && r.observed == intended
            let summary = ok ? text : r.error.map { "\(r.adapter): \($0)" } ?? "MISMATCH: \(text)"
            out.append(.log("traffic for seq \(seq): \(summary) in \(r.durationMs) ms"))
            out.append(append(.hookResult(HookResult(decision: seq, ok: ok, summary: summary, durationMs: r.durationMs))))
            return out
        }
        return out + trafficEpisode()
    }

    /// The traffic's state against the ramp: "ok", "drift" or "failed"; nil while a decision is under way (its own
    /// answer settles it) or before the first read-back.
    var trafficState: String? {
        guard let t = traffic, run.pendingDecision == nil, !decisionInFlight else { return nil }
        if t.error != nil { return "failed" }
        return t.observed == run.percent ? "ok" : "drift"
    }

    /// Journals a change of the traffic's state once (a drift episode starts, or ends).
    mutating func trafficEpisode() -> [Command] {
        guard let state = trafficState, var t = traffic, state != t.journaled else { return [] }
        let detail = t.error.map { "read-back failed: \($0)" }
            ?? Self.trafficText(intended: run.percent, observed: t.observed, adapter: t.adapter)
        let change = VerdictChange(subject: "traffic", name: "traffic (\(t.adapter))", from: t.journaled, to: state, detail: detail)
        t.journaled = state
        traffic = t
        let level: Notice.Level = state == "ok" ? .info : .error
        return [.log("traffic \(state): \(detail)"), append(.verdictChange(change)),
                .show(Notice(state == "ok" ? "traffic back as intended: \(detail)" : "TRAFFIC \(state == "drift" ? "DRIFT" : "READ-BACK FAILED"): \(detail)",
                             level, sticky: state != "ok"))]
    }

    /// What blocks GO on the traffic, or nil: no read-back yet, a failed one, or a weight other than the ramp's.
    /// Only the driver reads the traffic back: followers and replays are not blocked on what they cannot see.
    public var trafficBlocker: String? {
        guard driving, let c = config.traffic, run.pendingDecision == nil, !decisionInFlight else { return nil }
        guard let t = traffic else { return "traffic: no read-back yet (\(c.adapter))" }
        if let e = t.error { return "traffic read-back failed (\(t.adapter)): \(e)" }
        if t.observed != run.percent {
            return "traffic DRIFT: " + Self.trafficText(intended: run.percent, observed: t.observed, adapter: t.adapter)
        }
        return nil
    }

    /// The RAMP pane's traffic line and whether it is in trouble; nil without `ramp.traffic`. Followers (and replays)
    /// show what the driver journaled: they read nothing back themselves.
    public var trafficLine: (text: String, trouble: Bool)? {
        guard driving else { return run.journaledTraffic }
        guard let c = config.traffic else { return nil }
        guard let t = traffic else { return ("intended \(run.percent) % · observed … (\(c.adapter))", false) }
        if let e = t.error { return ("READ-BACK FAILED (\(t.adapter)): \(e)", true) }
        // Short enough for the RAMP pane; the blocker and the message name the adapter.
        if trafficState == "drift" { return ("DRIFT: observed \(t.observed.map { "\($0) %" } ?? "?") ≠ intended \(run.percent) %", true) }
        return (Self.trafficText(intended: run.percent, observed: t.observed, adapter: t.adapter), false)
    }

    /// The gate with the traffic's blocker added (a settled ramp whose traffic is not where the journal says).
    func trafficGate(_ v: GateVerdict) -> GateVerdict {
        guard let b = trafficBlocker else { return v }
        switch v.state {
        case .ready, .waiting, .blocked:
            var out = v
            out.state = .blocked
            out.blockers.append(b)
            return out
        case .busy, .complete, .none:
            return v
        }
    }
}

extension RunState {
    /// The traffic's state as last journaled ("ok", "drift" or "failed"): the last traffic `verdict.change` after the
    /// last traffic decision, else "ok" (a decision's answer settles it).
    var journaledTrafficState: String {
        let last = decisions.last(where: { $0.decision.traffic != nil })?.seq ?? 0
        guard let e = verdictChanges.last(where: { $0.change.subject == "traffic" }), e.seq > last else { return "ok" }
        return e.change.to
    }

    /// The traffic as the driver journaled it, for consoles that do not read it back: the latest of the last traffic
    /// decision's answer (its set and read-back) and the last traffic `verdict.change` (a drift or a failed read-back
    /// starting or ending). Nil when no decision of the run went through an adapter.
    public var journaledTraffic: (text: String, trouble: Bool)? {
        guard let last = decisions.last(where: { $0.decision.traffic != nil }), let adapter = last.decision.traffic else { return nil }
        let episode = verdictChanges.last { $0.change.subject == "traffic" }
        // An episode journaled after the decision's answer (or while it is under way) is the newer news.
        // By seq, not time: a console that took over may run on a clock behind the one that journaled the answer.
        if let e = episode, e.seq > (last.hookSeq ?? last.seq) {
            let detail = e.change.detail ?? e.change.to
            switch e.change.to {
            case "drift": return ("DRIFT (driver's read-back): \(detail)", true)
            case "failed": return ("READ-BACK FAILED (driver's): \(detail)", true)
            default: return (detail, false)
            }
        }
        guard let h = last.hook else {
            return ("setting \(last.decision.to) % through \(adapter)…", false)
        }
        return h.ok ? (h.summary, false) : ("traffic: \(h.summary)", true)
    }
}
