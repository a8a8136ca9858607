/// Events, the reducer and the run state. Every change to a run is one `JournalEvent`;
/// replaying the journal's events through `RunState.apply` rebuilds the state exactly.

public enum ItemStatus: String, Sendable, Codable, CaseIterable {
    case open, done, skipped, blocked
}

/// One change to one item: who set which status, when, and why.
public struct ItemRecord: Sendable, Equatable, Codable {
    public var status: ItemStatus
    public var reason: String?
    public var note: String?
    public var actor: String
    public var time: Millis
    public var seq: Int

    public init(status: ItemStatus, reason: String? = nil, note: String? = nil, actor: String, time: Millis, seq: Int) {
        self.status = status
        self.reason = reason
        self.note = note
        self.actor = actor
        self.time = time
        self.seq = seq
    }
}

/// First event of every run.
public struct RunStarted: Sendable, Equatable, Codable {
    /// The checklist path as given when the run started.
    public var checklist: String
    /// SHA-256 of the checklist file's bytes, to tell when it changed under the run.
    public var checklistSHA256: String
    public var items: Int
    public var host: String
    public var pid: Int32

    public init(checklist: String, checklistSHA256: String, items: Int, host: String, pid: Int32) {
        self.checklist = checklist
        self.checklistSHA256 = checklistSHA256
        self.items = items
        self.host = host
        self.pid = pid
    }
}

/// The run's effective configuration, journaled at run start and whenever it is reloaded, so the state directory
/// describes its own run: `status`, `report`, `replay` and `follow` need nothing but the directory. The checklist's
/// exact bytes are kept in the state directory under `checklistSHA256`.
public struct RunConfigRecord: Sendable, Equatable, Codable {
    public var config: RunConfig
    /// SHA-256 (hex) of the checklist bytes this config ran with.
    public var checklistSHA256: String

    public init(config: RunConfig, checklistSHA256: String) {
        self.config = config
        self.checklistSHA256 = checklistSHA256
    }
}

/// The driver changed: a take-over after the previous driver's lease expired (its laptop died, kill -9), or a
/// deliberate hand-over. Journaled by the new driver, under its new lease.
public struct Handover: Sendable, Equatable, Codable {
    /// The previous driver (nil: nobody held the lease).
    public var from: String?
    public var to: String
    public var reason: String
    /// How long nobody drove: from the previous driver's last heartbeat to the take-over (ms).
    public var gapMs: Millis?
    /// The previous driver offered driving to the new one (`driver.offer`), who accepted: true; absent for a
    /// take-over after the lease expired (and in older journals).
    public var offered: Bool?

    public init(from: String?, to: String, reason: String, gapMs: Millis?, offered: Bool? = nil) {
        self.from = from
        self.to = to
        self.reason = reason
        self.gapMs = gapMs
        self.offered = offered
    }
}

/// The driver offers driving to someone (`driver.offer`, a deliberate hand-over): `to` accepts with
/// `warroom run … --take-over REASON` and drives from then on; the driver drives until then. Without `to` (`{}`) it
/// withdraws the offer. The driver lease carries the same offer (written first), which is what lets the take-over
/// in while the lease is live.
public struct DriverOffer: Sendable, Equatable, Codable {
    /// The next driver's actor name; nil withdraws the offer.
    public var to: String?
    public var note: String?

    public init(to: String?, note: String? = nil) {
        self.to = to
        self.note = note
    }
}

/// A writer opened a journal whose `head` record (the last acknowledged seq and hash) was missing or behind the
/// journal's lines (`journal.repair`), and went on. One line beyond the head is what a writer killed between its journal
/// and head syncs leaves: taken on automatically (`reason` nil), and recorded so a line added by hand is not silent.
/// More than one, or no head at all, could be lines deleted or added by hand: only with `--accept-damaged-head REASON`.
public struct HeadRepair: Sendable, Equatable, Codable {
    /// The seq the head record named (0: empty); nil when it was missing.
    public var head: Int?
    /// The journal's lines when it was opened.
    public var lines: Int
    /// Why it was accepted (`--accept-damaged-head`); nil for the automatic one-line crash recovery.
    public var reason: String?

    public init(head: Int?, lines: Int, reason: String?) {
        self.head = head
        self.lines = lines
        self.reason = reason
    }

    /// "head was at seq 5, the journal had 6 lines: line 6 was never acknowledged"
    public var summary: String {
        let was = head.map { "head was at seq \($0)" } ?? "head was missing"
        let beyond = head.map { lines - $0 } ?? lines
        let what = head == nil ? "nothing shows whether lines were deleted or added by hand"
            : beyond == 1 ? "line \(lines) was never acknowledged (a writer killed between its syncs, or added by hand)"
            : "lines \((head ?? 0) + 1)–\(lines) were never acknowledged (added by hand, or lines before them deleted?)"
        return "\(was), the journal had \(lines) line\(lines == 1 ? "" : "s"): \(what)"
    }
}

/// An offer of driving in force: who offered it to whom, and when.
public struct PendingOffer: Sendable, Equatable {
    public var from: String
    public var to: String
    public var note: String?
    public var seq: Int
    public var time: Millis
}

/// Set one item's status.
public struct ItemSet: Sendable, Equatable, Codable {
    public var id: String
    public var status: ItemStatus
    public var reason: String?
    public var note: String?

    public init(id: String, status: ItemStatus, reason: String? = nil, note: String? = nil) {
        self.id = id
        self.status = status
        self.reason = reason
        self.note = note
    }
}

/// Take back the most recent change to one item.
public struct ItemUndo: Sendable, Equatable, Codable {
    public var id: String
    /// Why someone took back another person's change (`check --undo --force REASON`); absent in older journals and
    /// when people undo their own.
    public var reason: String?
    /// The seq of the change this takes back, as its writer saw the item: applied against the journal's real tip,
    /// an undo whose item changed meanwhile (another writer got there first) is refused instead of taking back
    /// someone else's change. Absent in older journals.
    public var undoes: Int?
    public init(id: String, reason: String? = nil, undoes: Int? = nil) {
        self.id = id
        self.reason = reason
        self.undoes = undoes
    }
}

/// A sign-off: the role's holder signs (`signoff.sign`) or takes the signature back (`signoff.unsign`). Who and
/// when come from the event's envelope.
public struct SignOffEvent: Sendable, Equatable, Codable {
    /// The role as the checklist writes it.
    public var role: String
    public init(role: String) { self.role = role }
}

/// A role's signature in force.
public struct Signature: Sendable, Equatable {
    public var role: String
    public var actor: String
    public var time: Millis
    public var seq: Int
}

public enum EventBody: Sendable, Equatable {
    case runStarted(RunStarted)
    case itemSet(ItemSet)
    case itemUndo(ItemUndo)
    case signOff(SignOffEvent)
    case signOffUndo(SignOffEvent)
    case rampDecision(RampDecision)
    case hookResult(HookResult)
    case decisionReason(DecisionReason)
    case lightTrip(LightChange)
    case lightClear(LightChange)
    case verdictChange(VerdictChange)
    case runConfig(RunConfigRecord)
    case handover(Handover)
    case driverOffer(DriverOffer)
    case headRepair(HeadRepair)
    /// Downsampled SLO values (`gauge.points`, see `SeriesRule`): what reports chart and replays show.
    case gaugePoints(GaugePoints)
    /// A notification that could not be delivered after its last try (absent from older journals).
    case notifyFailed(NotifyFailed)

    /// Events only the driver (the holder of the driver lease) may write: they steer the ramp and the lights, or
    /// configure the run. Everything else (run.started, item changes) is crew work any writer may append.
    public var isDriverOnly: Bool {
        switch self {
        case .rampDecision, .hookResult, .decisionReason, .lightTrip, .lightClear, .verdictChange, .runConfig, .handover,
             .driverOffer, .gaugePoints: return true
        case .runStarted, .itemSet, .itemUndo, .signOff, .signOffUndo, .headRepair, .notifyFailed: return false
        }
    }

    /// Written by the telemetry, not a person: a trip without a reason (a person's always has one) and a verdict
    /// change. The writer journals these with `JournalEvent.telemetryActor` as the actor (see `author(console:)`).
    public var isTelemetry: Bool {
        switch self {
        case .lightTrip(let l): return l.byTelemetry
        case .verdictChange: return true
        default: return false
        }
    }

    /// The actor a console journals this event as: `warroom` for the telemetry's events, else the console's person.
    /// Derived from the event itself, so no key can ask for it: a person's trip carries a reason, and `warroom` is
    /// not a name a person may take (`--actor` refuses it).
    public func author(console actor: String) -> String { isTelemetry ? JournalEvent.telemetryActor : actor }

    /// The journal's `type` field.
    public var type: String {
        switch self {
        case .runStarted: return "run.started"
        case .itemSet: return "item.set"
        case .itemUndo: return "item.undo"
        case .signOff: return "signoff.sign"
        case .signOffUndo: return "signoff.unsign"
        case .rampDecision: return "ramp.decision"
        case .hookResult: return "ramp.hook"
        case .decisionReason: return "decision.reason"
        case .lightTrip: return "light.trip"
        case .lightClear: return "light.clear"
        case .verdictChange: return "verdict.change"
        case .runConfig: return "run.config"
        case .handover: return "driver.handover"
        case .driverOffer: return "driver.offer"
        case .headRepair: return "journal.repair"
        case .gaugePoints: return "gauge.points"
        case .notifyFailed: return "notify.failed"
        }
    }
}

public struct JournalEvent: Sendable, Equatable {
    /// The actor of the telemetry's own entries (automatic trips, verdict changes): not a person.
    public static let telemetryActor = "warroom"

    public var seq: Int
    public var time: Millis
    public var actor: String
    public var body: EventBody
    /// The driver lease's fencing token the event was written under: set on driver-only events (see
    /// `EventBody.isDriverOnly`) written by a multi-writer journal; nil on crew events and in older journals.
    public var token: Int?

    public init(seq: Int, time: Millis, actor: String, body: EventBody, token: Int? = nil) {
        self.seq = seq
        self.time = time
        self.actor = actor
        self.body = body
        self.token = token
    }
}

public struct ReduceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var seq: Int
    public var message: String
    public var description: String { message }
}

/// A change as it happened, for "who did what when".
public struct Change: Sendable, Equatable {
    public var seq: Int
    public var time: Millis
    public var actor: String
    public var item: String
    public var from: ItemStatus?
    public var to: ItemStatus?
    public var undo: Bool
    public var reason: String?
    public var note: String?
}

public struct RunState: Sendable {
    /// Items a GO ticked, with the seq of that tick: what a rollback reopens (if the tick is still their last change).
    public internal(set) var goTicks: [String: Int] = [:]
    /// Seqs of the events whose decision ticked or reopened items: part of the decision, not for `u` to take back.
    var decisionChangeSeqs: Set<Int> = []
    /// Short run identifier (the store derives it from the first line's hash).
    public var runID: String?
    public private(set) var started: RunStarted?
    public private(set) var startedAt: Millis?
    public private(set) var startedBy: String?
    /// Each item's change history; the last record is its current state. No entry: as written in the file.
    public private(set) var records: [String: [ItemRecord]] = [:]
    public private(set) var changes: [Change] = []
    public private(set) var lastSeq = 0
    public private(set) var lastTime: Millis?

    // The ramp.
    /// Traffic percentage now in effect (0 before the first GO and after a rollback).
    public private(set) var percent = 0
    /// When the current step's observation window started: the step took effect, or the last NO-GO.
    public private(set) var windowStart: Millis?
    public private(set) var decisions: [DecisionRecord] = []
    /// Index into `decisions` of the one whose hook is still running.
    public private(set) var pendingDecision: Int?
    /// Rollback criteria tripped and not yet cleared, by name.
    public private(set) var tripped: [String: TrippedLight] = [:]
    /// Every trip and clear, in order: (seq, time, actor, tripped?, change).
    public private(set) var lightHistory: [(seq: Int, time: Millis, actor: String, trip: Bool, change: LightChange)] = []
    /// Telemetry verdict changes, in order.
    public private(set) var verdictChanges: [(seq: Int, time: Millis, change: VerdictChange)] = []
    /// The most recent rollback, with its timings.
    public private(set) var rollback: RollbackTimeline?
    /// The effective configuration the run last journaled (nil for runs from before it was journaled).
    public private(set) var config: RunConfigRecord?
    /// Every change of driver, in order.
    public private(set) var handovers: [(seq: Int, time: Millis, handover: Handover)] = []
    /// The driver's offer of driving in force (`driver.offer`), until withdrawn or a hand-over follows.
    public private(set) var driverOffer: PendingOffer?
    /// Every offer and withdrawal, in order: (seq, time, actor, offer).
    public private(set) var offers: [(seq: Int, time: Millis, actor: String, offer: DriverOffer)] = []
    /// Journals opened with a missing or lagging head, and taken on (`journal.repair`).
    public private(set) var headRepairs: [(seq: Int, time: Millis, actor: String, repair: HeadRepair)] = []
    /// Each SLO's journaled points (`gauge.points`), oldest first, by name; `seriesOrder` names them as they appeared.
    public private(set) var series: [String: [SeriesPoint]] = [:]
    public private(set) var seriesOrder: [String] = []
    /// Notifications given up on after their last try (`notify.failed`), in order.
    public private(set) var notifyFailures: [(seq: Int, time: Millis, failure: NotifyFailed)] = []
    /// Signatures in force, by `SignOff.key` of the role.
    public private(set) var signatures: [String: Signature] = [:]
    /// Every sign and unsign, in order.
    public private(set) var signOffHistory: [(seq: Int, time: Millis, actor: String, role: String, signed: Bool)] = []

    public init() {}

    /// The signature in force for `role`, if any.
    public func signature(_ role: String) -> Signature? { signatures[SignOff.key(role)] }

    /// Applies one event. Contract the journal writer relies on: every check happens before any change, so an
    /// event that throws leaves the state exactly as it was.
    public mutating func apply(_ event: JournalEvent) throws(ReduceError) {
        guard event.seq == lastSeq + 1 else {
            throw ReduceError(seq: event.seq, message: "expected seq \(lastSeq + 1), found \(event.seq)")
        }
        switch event.body {
        case .runStarted(let s):
            guard started == nil, event.seq == 1 else {
                throw ReduceError(seq: event.seq, message: "run.started may only be the first event")
            }
            started = s
            startedAt = event.time
            startedBy = event.actor
        case .itemSet(let s):
            guard started != nil else { throw ReduceError(seq: event.seq, message: "item.set before run.started") }
            let from = records[s.id]?.last?.status
            records[s.id, default: []].append(ItemRecord(status: s.status, reason: s.reason, note: s.note,
                                                          actor: event.actor, time: event.time, seq: event.seq))
            changes.append(Change(seq: event.seq, time: event.time, actor: event.actor, item: s.id, from: from,
                                  to: s.status, undo: false, reason: s.reason, note: s.note))
        case .itemUndo(let u):
            guard started != nil else { throw ReduceError(seq: event.seq, message: "item.undo before run.started") }
            guard var stack = records[u.id], let undone = stack.popLast() else {
                throw ReduceError(seq: event.seq, message: "item.undo for \(u.id), which has no change to undo")
            }
            if let expected = u.undoes, undone.seq != expected {
                throw ReduceError(seq: event.seq, message: "item.undo for \(u.id) takes back seq \(expected), but its last change is now seq \(undone.seq) by \(undone.actor) — look again")
            }
            records[u.id] = stack.isEmpty ? nil : stack
            changes.append(Change(seq: event.seq, time: event.time, actor: event.actor, item: u.id,
                                  from: undone.status, to: stack.last?.status, undo: true, reason: u.reason, note: nil))
        case .signOff(let so):
            guard started != nil else { throw ReduceError(seq: event.seq, message: "signoff.sign before run.started") }
            let key = SignOff.key(so.role)
            guard !key.isEmpty else { throw ReduceError(seq: event.seq, message: "signoff.sign without a role") }
            if case .alreadySigned(let s) = signOffVerdict(so.role, by: event.actor, sign: true) {
                throw ReduceError(seq: event.seq, message: "\(s.role) is already signed off by \(s.actor) at \(Timestamp.iso8601(s.time)) (journal seq \(s.seq)); to sign again, \(s.actor) must undo it first")
            }
            signatures[key] = Signature(role: so.role, actor: event.actor, time: event.time, seq: event.seq)
            signOffHistory.append((event.seq, event.time, event.actor, so.role, true))
        case .signOffUndo(let so):
            guard started != nil else { throw ReduceError(seq: event.seq, message: "signoff.unsign before run.started") }
            switch signOffVerdict(so.role, by: event.actor, sign: false) {
            case .notSigned, .alreadySigned:
                throw ReduceError(seq: event.seq, message: "\(so.role) is not signed off: nothing to undo")
            case .signedByOther(let s):
                throw ReduceError(seq: event.seq, message: "\(s.role) was signed off by \(s.actor) at \(Timestamp.iso8601(s.time)); only \(s.actor) can undo it, not \(event.actor)")
            case .allowed:
                break
            }
            let key = SignOff.key(so.role)
            let role = signatures[key]?.role ?? so.role
            signatures[key] = nil
            signOffHistory.append((event.seq, event.time, event.actor, role, false))
        case .rampDecision(let d):
            try applyDecision(d, event)
        case .hookResult(let h):
            try applyHook(h, event)
        case .decisionReason(let r):
            guard started != nil else { throw ReduceError(seq: event.seq, message: "decision.reason before run.started") }
            guard let i = decisions.firstIndex(where: { $0.seq == r.decision }) else {
                throw ReduceError(seq: event.seq, message: "decision.reason for seq \(r.decision), which is not a decision")
            }
            decisions[i].reason = r.reason
        case .lightTrip(let l):
            guard started != nil else { throw ReduceError(seq: event.seq, message: "light.trip before run.started") }
            if tripped[l.name] == nil {
                tripped[l.name] = TrippedLight(name: l.name, since: event.time, actor: event.actor, reason: l.reason,
                                               detail: l.detail, seq: event.seq, change: l)
            }
            lightHistory.append((event.seq, event.time, event.actor, true, l))
        case .lightClear(let l):
            guard started != nil else { throw ReduceError(seq: event.seq, message: "light.clear before run.started") }
            guard tripped[l.name] != nil else {
                throw ReduceError(seq: event.seq, message: "light.clear for “\(l.name)”, which is not tripped")
            }
            tripped[l.name] = nil
            lightHistory.append((event.seq, event.time, event.actor, false, l))
        case .verdictChange(let v):
            guard started != nil else { throw ReduceError(seq: event.seq, message: "verdict.change before run.started") }
            verdictChanges.append((event.seq, event.time, v))
        case .runConfig(let c):
            guard started != nil else { throw ReduceError(seq: event.seq, message: "run.config before run.started") }
            config = c
        case .handover(let h):
            guard started != nil else { throw ReduceError(seq: event.seq, message: "driver.handover before run.started") }
            handovers.append((event.seq, event.time, h))
            driverOffer = nil // whoever drives now, the offer is settled
        case .driverOffer(let o):
            guard started != nil else { throw ReduceError(seq: event.seq, message: "driver.offer before run.started") }
            if let to = o.to {
                guard !to.isEmpty else { throw ReduceError(seq: event.seq, message: "driver.offer to an empty name") }
                driverOffer = PendingOffer(from: event.actor, to: to, note: o.note, seq: event.seq, time: event.time)
            } else {
                driverOffer = nil
            }
            offers.append((event.seq, event.time, event.actor, o))
        case .headRepair(let r):
            headRepairs.append((event.seq, event.time, event.actor, r))
        case .gaugePoints(let g):
            guard started != nil else { throw ReduceError(seq: event.seq, message: "gauge.points before run.started") }
            for p in g.points {
                if series[p.name] == nil { seriesOrder.append(p.name) }
                series[p.name, default: []].append(SeriesPoint(time: event.time, value: p.value, state: p.state))
            }
        case .notifyFailed(let f):
            notifyFailures.append((event.seq, event.time, f))
        }
        lastSeq = event.seq
        lastTime = event.time
    }

    mutating func applyDecision(_ d: RampDecision, _ event: JournalEvent) throws(ReduceError) {
        let seq = event.seq
        guard started != nil else { throw ReduceError(seq: seq, message: "ramp.decision before run.started") }
        if let p = pendingDecision {
            throw ReduceError(seq: seq, message: "ramp.decision while the hook for seq \(decisions[p].seq) is still running")
        }
        guard (0...100).contains(d.from), (0...100).contains(d.to) else {
            throw ReduceError(seq: seq, message: "ramp.decision percentages must be 0–100")
        }
        guard d.from == percent else {
            throw ReduceError(seq: seq, message: "ramp.decision from \(d.from) % but the ramp is at \(percent) %")
        }
        switch d.kind {
        case .go, .override:
            guard d.to > d.from else { throw ReduceError(seq: seq, message: "\(d.kind.label) must move up (\(d.from) → \(d.to))") }
        case .nogo:
            guard d.to == d.from else { throw ReduceError(seq: seq, message: "NO-GO holds: to must equal from") }
        case .rollback:
            guard d.to == 0 else { throw ReduceError(seq: seq, message: "ROLLBACK goes to 0 %") }
        case .verified:
            guard let r = rollback, r.executedAt != nil, r.verifiedAt == nil else {
                throw ReduceError(seq: seq, message: "VERIFIED needs a completed, unverified rollback")
            }
        }
        let record = DecisionRecord(seq: seq, time: event.time, actor: event.actor, decision: d, reason: d.reason)
        decisions.append(record)
        switch d.kind {
        case .nogo:
            windowStart = event.time
        case .verified:
            rollback?.verifiedAt = event.time
            rollback?.verifiedBy = event.actor
        case .rollback:
            rollback = RollbackTimeline(decision: seq, trippedAt: tripped.values.map(\.since).min(), decidedAt: event.time)
            if d.hook == nil, d.traffic == nil { takeEffect(decisions.count - 1, at: event.time, seq: seq) } else { pendingDecision = decisions.count - 1 }
        case .go, .override:
            if d.hook == nil, d.traffic == nil { takeEffect(decisions.count - 1, at: event.time, seq: seq) } else { pendingDecision = decisions.count - 1 }
        }
    }

    mutating func applyHook(_ h: HookResult, _ event: JournalEvent) throws(ReduceError) {
        guard started != nil else { throw ReduceError(seq: event.seq, message: "ramp.hook before run.started") }
        guard let p = pendingDecision, decisions[p].seq == h.decision else {
            throw ReduceError(seq: event.seq, message: "ramp.hook for seq \(h.decision), which has no hook running")
        }
        decisions[p].hook = h
        decisions[p].hookTime = event.time
        decisions[p].hookSeq = event.seq
        pendingDecision = nil
        if h.ok {
            takeEffect(p, at: event.time, seq: event.seq)
        } else if decisions[p].kind == .rollback {
            rollback?.failed = h.summary
        }
    }

    /// A decision's move happens: the ramp is at its new percentage.
    /// `seq`: the event that made it take effect (the decision, or its hook's result).
    mutating func takeEffect(_ index: Int, at time: Millis, seq: Int) {
        let d = decisions[index].decision
        percent = d.to
        // The decision's items: ticked by a GO, reopened by a rollback — attributed to whoever decided.
        let status: ItemStatus = d.kind == .rollback ? .open : .done
        let why = d.kind == .rollback ? "rolled back" : "\(d.kind.label) → \(d.to) %"
        for id in d.ticks ?? [] {
            let from = records[id]?.last?.status
            let actor = decisions[index].actor
            records[id, default: []].append(ItemRecord(status: status, reason: why, actor: actor, time: time, seq: seq))
            if d.kind == .rollback { goTicks[id] = nil } else { goTicks[id] = seq }
            decisionChangeSeqs.insert(seq)
            changes.append(Change(seq: seq, time: time, actor: actor, item: id, from: from, to: status, undo: false,
                                  reason: why, note: nil))
        }
        switch d.kind {
        case .go, .override:
            windowStart = time
        case .rollback:
            windowStart = nil
            rollback?.executedAt = time
            rollback?.failed = nil
        case .nogo, .verified:
            break
        }
    }

    /// The items a rollback now reopens: ticked by a GO and not changed by anyone since.
    public var ticksToReopen: [String] {
        goTicks.filter { records[$0.key]?.last?.seq == $0.value && records[$0.key]?.last?.status == .done }.keys.sorted()
    }

    /// The item's current record, if anyone changed it in this run.
    public func record(_ id: String) -> ItemRecord? { records[id]?.last }

    /// Current status: the last change in this run, else the checkbox as written in the file.
    public func status(of item: Item) -> ItemStatus {
        if let r = records[item.id]?.last { return r.status }
        return item.checked ? .done : .open
    }

    /// The most recent item `actor` changed whose latest change is still theirs (what `u` takes back).
    public func lastUndoable(by actor: String) -> String? {
        for c in changes.reversed() where !c.undo && c.actor == actor && !decisionChangeSeqs.contains(c.seq) {
            if let top = records[c.item]?.last, top.seq == c.seq { return c.item }
        }
        return nil
    }

    /// IDs with recorded state that the checklist no longer has (it was edited since). Reported, never dropped.
    public func orphans(in checklist: Checklist) -> [String] {
        records.keys.filter { checklist.itemIndex(id: $0) == nil }.sorted()
    }
}

public struct ChecklistProgress: Sendable, Equatable, Codable {
    public var items = 0
    public var done = 0
    public var skipped = 0
    public var blocked = 0
    public var open = 0

    public init() {}

    public init(checklist: Checklist, state: RunState, indices: some Sequence<Int>) {
        for i in indices {
            items += 1
            switch state.status(of: checklist.items[i]) {
            case .done: done += 1
            case .skipped: skipped += 1
            case .blocked: blocked += 1
            case .open: open += 1
            }
        }
    }

    /// Done or skipped: nothing left to do.
    public var complete: Int { done + skipped }
}
