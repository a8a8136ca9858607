/// The ramp: the plan (steps, holds, requirements), the decisions that move along it, and the journal events
/// that record them. `RunState` applies the events; `Gates.evaluate` says whether GO is allowed right now.

/// One step of the ramp: the traffic percentage, its observation window, and what must be done before entering it.
public struct RampStep: Sendable, Equatable, Codable {
    public var percent: Int
    /// Observation window at this step; nil uses the plan's default.
    public var holdMs: Millis?
    /// Checklist item IDs / task IDs or section titles that must be done before GO into this step.
    public var require: [String]
    /// The `require` entries for which a skipped item counts as done (`skipped_ok: true`); by default skipped blocks.
    public var skippedOk: [String]
    /// The step's own items ("Route 10% traffic to Blue"): GO into the step ticks them, a rollback past it un-ticks them.
    public var ticks: [String]

    public init(percent: Int, holdMs: Millis? = nil, require: [String] = [], skippedOk: [String] = [], ticks: [String] = []) {
        self.percent = percent
        self.holdMs = holdMs
        self.require = require
        self.skippedOk = skippedOk
        self.ticks = ticks
    }

    enum CodingKeys: String, CodingKey { case percent, holdMs, require, skippedOk, ticks }

    /// Journals written before `skippedOk` and `ticks` existed decode with both empty.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        percent = try c.decode(Int.self, forKey: .percent)
        holdMs = try c.decodeIfPresent(Millis.self, forKey: .holdMs)
        require = try c.decodeIfPresent([String].self, forKey: .require) ?? []
        skippedOk = try c.decodeIfPresent([String].self, forKey: .skippedOk) ?? []
        ticks = try c.decodeIfPresent([String].self, forKey: .ticks) ?? []
    }
}

/// Rollback time targets, as the checklists state them (decide, execute, verify).
public struct RollbackTargets: Sendable, Equatable, Codable {
    public var decideMs: Millis?
    public var executeMs: Millis?
    public var verifyMs: Millis?

    public init(decideMs: Millis? = nil, executeMs: Millis? = nil, verifyMs: Millis? = nil) {
        self.decideMs = decideMs
        self.executeMs = executeMs
        self.verifyMs = verifyMs
    }
}

public struct RampPlan: Sendable, Equatable, Codable {
    public var steps: [RampStep]
    /// The observation window of every step that does not set its own.
    public var holdMs: Millis
    /// An `apply` hook (or a `ramp.traffic` adapter) moves real traffic; without one the ramp is a tracker only.
    public var hasApply: Bool
    public var hasRollbackHook: Bool
    public var targets: RollbackTargets

    public init(steps: [RampStep], holdMs: Millis = 0, hasApply: Bool = false, hasRollbackHook: Bool = false,
                targets: RollbackTargets = RollbackTargets()) {
        self.steps = steps
        self.holdMs = holdMs
        self.hasApply = hasApply
        self.hasRollbackHook = hasRollbackHook
        self.targets = targets
    }

    /// The step at `percent`, if the plan has one.
    public func stepIndex(at percent: Int) -> Int? { steps.firstIndex { $0.percent == percent } }

    /// The step GO moves to from `percent`: the first one above it.
    public func next(after percent: Int) -> (index: Int, step: RampStep)? {
        guard let i = steps.firstIndex(where: { $0.percent > percent }) else { return nil }
        return (i, steps[i])
    }

    public func hold(at percent: Int) -> Millis {
        guard let i = stepIndex(at: percent) else { return percent == 0 ? 0 : holdMs }
        return steps[i].holdMs ?? holdMs
    }
}

// MARK: Journal payloads

public enum DecisionKind: String, Sendable, Codable, CaseIterable {
    case go, nogo, override, rollback, verified

    public var label: String {
        switch self {
        case .go: "GO"
        case .nogo: "NO-GO"
        case .override: "OVERRIDE"
        case .rollback: "ROLLBACK"
        case .verified: "VERIFIED"
        }
    }
}

/// One gauge or light as it stood when a decision was taken.
public struct SnapshotEntry: Sendable, Equatable, Codable {
    public var name: String
    /// `ok`, `warn`, `breach`, `unknown`, `stale` for gauges; `ok`, `watch`, `tripped`, `blind` for lights.
    public var state: String
    public var detail: String?

    public init(name: String, state: String, detail: String? = nil) {
        self.name = name
        self.state = state
        self.detail = detail
    }
}

/// A ramp decision, journaled with who, when (the envelope), the gate verdict and a snapshot.
public struct RampDecision: Sendable, Equatable, Codable {
    public var kind: DecisionKind
    public var from: Int
    public var to: Int
    public var reason: String?
    /// READY, WAITING, BLOCKED, … as shown when the key was pressed.
    public var verdict: String
    /// What the gate said was not met (the list an OVERRIDE overrode).
    public var unmet: [String]
    public var gauges: [SnapshotEntry]
    public var lights: [SnapshotEntry]
    /// The hook's argv when one runs for this decision: the ramp moves only when its `ramp.hook` result is ok.
    public var hook: [String]?
    /// Checklist items this decision changes when it takes effect: a GO/OVERRIDE ticks the step's own items (done), a
    /// ROLLBACK reopens the items earlier GOs ticked (reason "rolled back"). Attributed to the decision's actor.
    public var ticks: [String]?
    /// The traffic adapter that carries this decision out (`ramp.traffic:`): like a hook, the ramp moves only when its
    /// `ramp.hook` result (set and read back agree) is ok.
    public var traffic: String?

    public init(kind: DecisionKind, from: Int, to: Int, reason: String? = nil, verdict: String, unmet: [String] = [],
                gauges: [SnapshotEntry] = [], lights: [SnapshotEntry] = [], hook: [String]? = nil, ticks: [String]? = nil, traffic: String? = nil) {
        self.ticks = ticks
        self.traffic = traffic
        self.kind = kind
        self.from = from
        self.to = to
        self.reason = reason
        self.verdict = verdict
        self.unmet = unmet
        self.gauges = gauges
        self.lights = lights
        self.hook = hook
    }
}

/// How a decision's hook ended.
public struct HookResult: Sendable, Equatable, Codable {
    /// Seq of the decision it ran for.
    public var decision: Int
    public var ok: Bool
    /// "exit 0", "exit 3", "timed out after 60 s", …
    public var summary: String
    /// Last lines of the hook's output.
    public var tail: [String]
    public var durationMs: Millis

    public init(decision: Int, ok: Bool, summary: String, tail: [String] = [], durationMs: Millis) {
        self.decision = decision
        self.ok = ok
        self.summary = summary
        self.tail = tail
        self.durationMs = durationMs
    }
}

/// The reason typed after a decision (the decision itself is journaled the moment the key is pressed).
public struct DecisionReason: Sendable, Equatable, Codable {
    public var decision: Int
    public var reason: String

    public init(decision: Int, reason: String) {
        self.decision = decision
        self.reason = reason
    }
}

/// A rollback criterion tripped (by an operator, or by telemetry) or cleared (acknowledged, with a reason).
public struct LightChange: Sendable, Equatable, Codable {
    public var name: String
    public var reason: String?
    /// What tripped it: "manual", or the value and condition that held ("6.2 % > 5 for 10m").
    public var detail: String?
    /// A trip by the telemetry: the source it read (absent in journals written before it was recorded).
    public var source: String?
    /// A trip by the telemetry: the metric's value that tripped it (finite values only).
    public var value: Double?
    /// A trip by the telemetry: the driving console whose poller read it (the entry's actor is `warroom`).
    public var console: String?

    public init(name: String, reason: String? = nil, detail: String? = nil, source: String? = nil, value: Double? = nil,
                console: String? = nil) {
        self.name = name
        self.reason = reason
        self.detail = detail
        self.source = source
        self.value = value.flatMap { $0.isFinite ? $0 : nil }
        self.console = console
    }
}

/// A gauge's or light's verdict changed because of telemetry (a breach, a source failing, data returning).
public struct VerdictChange: Sendable, Equatable, Codable {
    /// "slo" or "light".
    public var subject: String
    public var name: String
    public var from: String
    public var to: String
    public var detail: String?

    public init(subject: String, name: String, from: String, to: String, detail: String? = nil) {
        self.subject = subject
        self.name = name
        self.from = from
        self.to = to
        self.detail = detail
    }
}

// MARK: State kept by the reducer

public struct DecisionRecord: Sendable, Equatable {
    public var seq: Int
    public var time: Millis
    public var actor: String
    public var decision: RampDecision
    /// The reason: given with the decision, or typed after it.
    public var reason: String?
    public var hook: HookResult?
    /// When the hook result arrived.
    public var hookTime: Millis?
    /// The hook result's seq (journal order does not depend on the consoles' clocks).
    public var hookSeq: Int?

    public var kind: DecisionKind { decision.kind }
    /// A hook was asked for and has not reported yet.
    public var pending: Bool { decision.hook != nil && hook == nil }
    /// Whether the decision took effect (no hook, or the hook exited 0).
    public var effective: Bool { decision.hook == nil || hook?.ok == true }
}

public struct TrippedLight: Sendable, Equatable {
    public var name: String
    public var since: Millis
    public var actor: String
    public var reason: String?
    public var detail: String?
    public var seq: Int
    /// The journaled trip (source, value and console of a trip by the telemetry).
    public var change: LightChange?

    /// Who tripped it: the person, or the telemetry (`LightChange.attribution`).
    public var by: String { (change ?? LightChange(name: name, reason: reason, detail: detail)).attribution(actor: actor) }
}

/// Where the last rollback stands against its targets.
public struct RollbackTimeline: Sendable, Equatable {
    /// Seq of the rollback decision.
    public var decision: Int
    /// The earliest trip among the lights tripped when `R` was pressed (nil: rolled back with none tripped).
    public var trippedAt: Millis?
    public var decidedAt: Millis
    /// The rollback hook (or, without one, the decision itself) completed: traffic is at 0 %.
    public var executedAt: Millis?
    /// The hook failed: the rollback has not happened.
    public var failed: String?
    public var verifiedAt: Millis?
    public var verifiedBy: String?

    public var decideMs: Millis? { trippedAt.map { decidedAt - $0 } }
    public var executeMs: Millis? { executedAt.map { $0 - decidedAt } }
    public var verifyMs: Millis? {
        guard let e = executedAt, let v = verifiedAt else { return nil }
        return v - e
    }
}

// MARK: Gates

public enum GateState: String, Sendable, Codable {
    case ready = "READY"
    case waiting = "WAITING"
    case blocked = "BLOCKED"
    /// A hook is running.
    case busy = "BUSY"
    /// At the last step: nothing to GO to.
    case complete = "COMPLETE"
    /// No steps configured.
    case none = "NONE"
}

/// A gauge or light as the gates see it.
public struct GateSignal: Sendable, Equatable {
    public var name: String
    /// SLO: only OK is green. Light: not tripped.
    public var green: Bool
    public var state: SignalState
    public var detail: String

    public init(name: String, green: Bool, state: SignalState, detail: String = "") {
        self.name = name
        self.green = green
        self.state = state
        self.detail = detail
    }
}

public struct GateVerdict: Sendable, Equatable {
    public var state: GateState
    /// The step GO would move to.
    public var next: RampStep?
    /// What blocks GO (checklist, SLOs, lights).
    public var blockers: [String]
    /// What GO is waiting for (the observation window), with the time it ends.
    public var waits: [String]
    public var waitUntil: Millis?

    /// Everything not met, for the journal and the override prompt.
    public var unmet: [String] { waits + blockers }

    /// One line: "READY → 25 %", "WAITING 3:12 (observation window)", "BLOCKED: T1219 not done".
    public func summary(now: Millis) -> String {
        switch state {
        case .ready: return "READY" + (next.map { " → \($0.percent) %" } ?? "")
        case .waiting:
            let left = waitUntil.map { DurationText.countdown($0 - now) } ?? ""
            return "WAITING \(left)" + (waits.first.map { " (\($0))" } ?? "")
        case .blocked:
            // The observation countdown stays visible while blocked: both facts at once.
            let left = waitUntil.map { " · hold \(DurationText.countdown($0 - now)) left" } ?? ""
            return "BLOCKED: " + blockers.joined(separator: "; ") + left
        case .busy: return "BUSY: " + (blockers.first ?? "a hook is running")
        case .complete: return "COMPLETE: at the last step"
        case .none: return "no ramp steps"
        }
    }
}

public enum Gates {
    /// Whether GO is allowed now, and if not, why. Pure: the caller passes the SLO and light signals and the time.
    public static func evaluate(plan: RampPlan, run: RunState, checklist: Checklist, slos: [GateSignal],
                                lights: [GateSignal], now: Millis) -> GateVerdict {
        guard !plan.steps.isEmpty else { return GateVerdict(state: .none, next: nil, blockers: [], waits: [], waitUntil: nil) }
        if let p = run.pendingDecision {
            let d = run.decisions[p]
            let what = d.kind == .rollback ? "rolling back" : "applying \(d.decision.to) %"
            return GateVerdict(state: .busy, next: plan.next(after: run.percent)?.step, blockers: ["\(what)…"], waits: [], waitUntil: nil)
        }
        var blockers: [String] = []
        var waits: [String] = []
        var until: Millis?
        // The observation window (the step's hold) of the current step (none at 0 %), shown even while blocked.
        if run.percent > 0, let start = run.windowStart {
            let end = start + plan.hold(at: run.percent)
            if now < end {
                waits.append("observation window at \(run.percent) % ends \(Timestamp.hms(end))Z")
                until = end
            }
        }
        guard let next = plan.next(after: run.percent) else {
            // The last step's hold must elapse before the run is complete.
            if !waits.isEmpty { return GateVerdict(state: .waiting, next: nil, blockers: [], waits: waits, waitUntil: until) }
            return GateVerdict(state: .complete, next: nil, blockers: [], waits: [], waitUntil: nil)
        }
        blockers = requirementBlockers(next.step, run: run, checklist: checklist)
        for s in slos where !s.green {
            blockers.append("SLO \(s.name) \(s.state.label)" + (s.detail.isEmpty ? "" : " \(s.detail)"))
        }
        for l in lights where !l.green {
            blockers.append("\(l.name) tripped")
        }
        let state: GateState = !blockers.isEmpty ? .blocked : (!waits.isEmpty ? .waiting : .ready)
        return GateVerdict(state: state, next: next.step, blockers: blockers, waits: waits, waitUntil: until)
    }
}

extension Gates {
    /// Listed per section before the rest are counted.
    static let namedPerSection = 4

    /// Each unmet requirement of `step`, by item ID and state: "T1216 blocked: checklist owner absent",
    /// "T1219 skipped (skipped_ok not set)", "T1218 open". A section names its unmet items the same way.
    public static func requirementBlockers(_ step: RampStep, run: RunState, checklist: Checklist) -> [String] {
        var out: [String] = []
        for r in step.require {
            let skippedOk = step.skippedOk.contains(r)
            switch checklist.requirement(r) {
            case .item(let i):
                if let b = unmet(checklist.items[i], run: run, skippedOk: skippedOk) { out.append(b) }
            case .section(let s):
                let missing = checklist.itemIndices(inSubtree: s).compactMap { unmet(checklist.items[$0], run: run, skippedOk: skippedOk) }
                out.append(contentsOf: missing.prefix(namedPerSection))
                if missing.count > namedPerSection {
                    out.append("\(missing.count - namedPerSection) more not done in \(checklist.sections[s].title)")
                }
            case nil:
                out.append("required “\(r)” is not in the checklist")
            }
        }
        return out
    }

    /// Why `item` does not meet a requirement, or nil when it does (done; skipped only with `skipped_ok`).
    static func unmet(_ item: Item, run: RunState, skippedOk: Bool) -> String? {
        let name = item.taskID ?? item.title
        switch run.status(of: item) {
        case .done: return nil
        case .skipped: return skippedOk ? nil : "\(name) skipped (skipped_ok not set)"
        case .blocked: return "\(name) blocked" + (run.record(item.id)?.reason.map { ": \($0)" } ?? "")
        case .open: return "\(name) open"
        }
    }
}

public enum Requirement: Sendable, Equatable {
    case item(Int)
    case section(Int)
}

extension Checklist {
    /// Resolves a `require:` entry: an item ID or task ID (exact), else the first section whose title equals it
    /// (ignoring case and leading emoji/punctuation), else the first section whose title contains it.
    public func requirement(_ text: String) -> Requirement? {
        if let i = itemIndex(id: text) { return .item(i) }
        if let i = items.firstIndex(where: { $0.taskID == text }) { return .item(i) }
        let want = Self.normalizedTitle(text)
        guard !want.isEmpty else { return nil }
        if let s = sections.first(where: { $0.index != 0 && Self.normalizedTitle($0.title) == want }) { return .section(s.index) }
        if let s = sections.first(where: { $0.index != 0 && Self.normalizedTitle($0.title).contains(want) }) { return .section(s.index) }
        return nil
    }

    static func normalizedTitle(_ s: String) -> String {
        var out = ""
        var space = false
        for ch in s.lowercased() {
            if ch.isLetter || ch.isNumber {
                if space, !out.isEmpty { out.append(" ") }
                out.append(ch)
                space = false
            } else {
                space = true
            }
        }
        return out
    }
}

extension LightChange {
    /// Tripped or cleared by the telemetry, not a person: a person's trip or clear always carries a reason.
    public var byTelemetry: Bool { reason == nil }

    /// Who did it, as the report and `status` say it: the person (`actor`), or for the telemetry
    /// `warroom (telemetry, source prom, in dana's console)`. `actor` is the journal entry's: `warroom` in journals
    /// that record the telemetry as the writer, the driving console's person in older ones.
    public func attribution(actor: String) -> String {
        guard byTelemetry else { return actor }
        var parts: [String] = []
        if let source { parts.append("source \(source)") }
        let console = console ?? (actor == JournalEvent.telemetryActor ? nil : actor)
        if let console { parts.append("in \(console)'s console") }
        return "\(JournalEvent.telemetryActor) (telemetry\(parts.map { ", " + $0 }.joined()))"
    }
}
