/// What `notify:` targets receive: one message per decision (GO, NO-GO, OVERRIDE, ROLLBACK, VERIFIED, and the reason
/// typed after one), light trip and clear, hook failure, hand-over and overdue phase. Built from the journaled entry
/// after the run applied it, so `percent` is the ramp as it stands then. Plain text only: no link, no secret.
public struct RunNotification: Sendable, Equatable, Codable {
    /// `decision.go`, `decision.nogo`, `decision.override`, `decision.rollback`, `decision.verified`,
    /// `decision.reason`, `light.trip`, `light.clear`, `hook.failed`, `driver.handover`, `phase.overdue`.
    public var event: String
    public var service: String
    public var run: String?
    /// The journal entry it reports (nil for an overdue phase, which the clock finds, not the journal).
    public var seq: Int?
    public var time: Millis
    public var actor: String
    /// The ramp's traffic percentage once the entry was applied.
    public var percent: Int
    /// A decision's move (from → to), when it is one.
    public var from: Int?
    public var to: Int?
    public var reason: String?
    /// The gate's verdict when the decision was taken (READY, WAITING, BLOCKED, …), and what it said was not met.
    public var verdict: String?
    public var unmet: [String]?
    /// One line of plain text: what happened, to what, by whom.
    public var summary: String
    /// The journal's head when it was sent, as `warroom witness` prints it (`warroom-witness run=… seq=N hash=…`):
    /// each message keeps a witness outside the state directory, for `verify --witness` (set by the sender).
    public var witness: String?

    public init(event: String, service: String, run: String?, seq: Int?, time: Millis, actor: String, percent: Int,
                from: Int? = nil, to: Int? = nil, reason: String? = nil, verdict: String? = nil, unmet: [String]? = nil,
                summary: String) {
        self.event = event
        self.service = service
        self.run = run
        self.seq = seq
        self.time = time
        self.actor = actor
        self.percent = percent
        self.from = from
        self.to = to
        self.reason = reason
        self.verdict = verdict
        self.unmet = unmet
        self.summary = summary
    }

    /// The notification for a journaled entry, or nil when its kind is not sent (item changes, verdict changes,
    /// config, sign-offs, offers, notify.failed itself, a hook that succeeded). `run`: the state after applying it.
    public static func of(_ e: JournalEvent, run: RunState, service: String) -> RunNotification? {
        func make(_ event: String, reason: String? = nil, from: Int? = nil, to: Int? = nil, verdict: String? = nil,
                  unmet: [String]? = nil, _ what: String) -> RunNotification {
            let why = reason.map { ": \($0)" } ?? ""
            return RunNotification(event: event, service: service, run: run.runID, seq: e.seq, time: e.time, actor: e.actor,
                                percent: run.percent, from: from, to: to, reason: reason, verdict: verdict,
                                unmet: unmet?.isEmpty == false ? unmet : nil,
                                summary: "[\(service)] \(what) by \(e.actor)\(why) · ramp at \(run.percent) %")
        }
        switch e.body {
        case .rampDecision(let d):
            let move: String
            switch d.kind {
            case .go, .override: move = "\(d.kind.label) \(d.from) → \(d.to) %" + (d.hook != nil ? " (applying)" : "")
            case .nogo: move = "NO-GO at \(d.from) %"
            case .rollback: move = "ROLLBACK \(d.from) → 0 %" + (d.hook != nil ? " (rolling back)" : "")
            case .verified: move = "rollback VERIFIED"
            }
            let gate = d.kind == .verified ? "" : " (gate \(d.verdict)\(d.unmet.isEmpty ? "" : ": " + d.unmet.joined(separator: "; ")))"
            return make("decision." + d.kind.rawValue, reason: d.reason, from: d.from, to: d.to, verdict: d.verdict,
                        unmet: d.unmet, move + gate)
        case .decisionReason(let r):
            guard let d = run.decisions.first(where: { $0.seq == r.decision }) else { return nil }
            return make("decision.reason", reason: r.reason, from: d.decision.from, to: d.decision.to,
                        verdict: d.decision.verdict, "reason for \(d.kind.label) (seq \(r.decision)) given")
        case .hookResult(let h) where !h.ok:
            let d = run.decisions.first { $0.seq == h.decision }
            let what = d.map { "\($0.kind.label) \($0.decision.from) → \($0.decision.to) %" } ?? "seq \(h.decision)"
            return make("hook.failed", reason: h.summary, "HOOK FAILED for \(what)")
        case .lightTrip(let l):
            return make("light.trip", reason: l.reason ?? l.detail, "TRIPPED “\(l.name)”")
        case .lightClear(let l):
            return make("light.clear", reason: l.reason ?? l.detail, "cleared “\(l.name)”")
        case .handover(let h):
            return make("driver.handover", reason: h.reason, "\(h.to) drives now (took over from \(h.from ?? "nobody"))")
        default:
            return nil
        }
    }

    /// An overdue phase (found by the clock): "[svc] phase “Cutover” OVERDUE (due 09:30:00 UTC): 3 of 7 items open".
    public static func overdue(phase: String, due: Millis, open: Int, items: Int, now: Millis, run: RunState,
                               service: String, actor: String) -> RunNotification {
        RunNotification(event: "phase.overdue", service: service, run: run.runID, seq: nil, time: now, actor: actor,
                     percent: run.percent,
                     summary: "[\(service)] phase “\(phase)” OVERDUE (due \(Timestamp.hms(due)) UTC): \(open) of \(items) items open · ramp at \(run.percent) %")
    }
}

/// A notification that could not be delivered after its last try (`notify.failed` in the journal): which target (as
/// `NotifyTarget.label` shows it, never the URL), which message, how many tries and the last error.
public struct NotifyFailed: Sendable, Equatable, Codable {
    public var target: String
    public var event: String
    /// The entry the message reported (nil for an overdue phase).
    public var seq: Int?
    public var attempts: Int
    public var error: String

    public init(target: String, event: String, seq: Int?, attempts: Int, error: String) {
        self.target = target
        self.event = event
        self.seq = seq
        self.attempts = attempts
        self.error = error
    }
}
