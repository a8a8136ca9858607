/// The war room's rules in one place: `reduce(state, action) -> (state, [Command])`. Keys (already mapped to
/// intents), poll readings, hook results, clock ticks and journal acknowledgements come in as actions; what must be
/// journaled, run or published goes out as commands. The run itself (`run`) changes only when the journal
/// acknowledges an event, so nothing is shown as done before it is saved.
///
/// Where "what GO does" lives: `reduce(.intent(.go))` → `decide(.go)` checks the gate (`verdict`), builds the
/// decision with its snapshot and hook (Decisions.swift) and asks for `.append`; the acknowledgement
/// (`.appended`) moves the run and, when the decision has a hook, asks for `.runHook`; the hook's
/// `.hookFinished` asks for the `ramp.hook` append, whose acknowledgement moves the ramp.
public struct Engine: Sendable {
    public let config: RunConfig
    public let session: Session
    public let checklist: Checklist
    /// The run as journaled and acknowledged.
    public private(set) var run: RunState
    public private(set) var now: Millis
    /// What the SLO and ROLLBACK panes show: live (driver), the driver's published view (follower), or recorded (replay).
    public private(set) var telemetry = TelemetryView()
    public private(set) var live: LiveTelemetry
    /// Followers: how old the driver's published view is (nil: none yet).
    public private(set) var viewAge: Millis?
    /// Followers: the driver's view, stamped no later than when it arrived (a driver's clock ahead of ours must not
    /// keep a dead view fresh), and who published it.
    var remote: (view: TelemetryView, publishedAt: Millis, driver: String?)?
    /// Reasons typed while their decision was still being saved, by the decision's append id.
    var pendingReasons: [Int: String] = [:]
    /// A hook result the journal could not take: retried every tick, since the ramp stays BUSY until it is saved.
    var unsavedHookResult: HookResult?
    /// A criterion with `auto: true` tripped while a decision was under way: the rollback follows once it settles.
    var autoRollbackWanted: String?
    /// Closing: acknowledged decisions start no hook.
    var stopping = false
    /// The driver lost its lease: another driver took over (who, when known). The console is read-only from then on.
    public private(set) var deposedBy: String??
    /// `ramp.traffic`: the weight in effect as last read back (nil before the first read-back).
    public internal(set) var traffic: TrafficStatus?

    /// This console drives: it holds the writer's seat and has not been taken over.
    public var driving: Bool { session.driving && deposedBy == nil }
    /// Appends asked for and not yet acknowledged, in order.
    public private(set) var saving: [(id: Int, body: EventBody)] = []
    var nextAppend = 1
    var lastPublished: Millis?
    /// Notifications given up on this session (the header's "notify: N failed").
    public internal(set) var notifyFailedCount = 0
    /// Phases already overdue (notified, or overdue when the console opened): each is sent once.
    var overdueNotified: Set<Int> = []
    /// Stakeholder updates fallen due so far (`comms:`): each reminded once.
    var commsReminded = 0

    /// How often the driver publishes its view for followers, and how long a follower waits before calling it silent.
    public static let publishEveryMs: Millis = 1_000
    public static let silentAfterMs: Millis = 3_000

    public init(config: RunConfig, session: Session, checklist: Checklist, run: RunState, now: Millis) {
        self.config = config
        self.session = session
        self.checklist = checklist
        self.run = run
        self.now = now
        live = LiveTelemetry(config: session.driving ? config : RunConfig(path: nil, service: config.service,
                                                                           checklist: config.checklist, plan: config.plan),
                             run: run, now: now)
        if session.driving { telemetry = live.view(now: now) }
        // Phases overdue when the previous driver was last alive were announced by it; later ones are sent here.
        overdueNotified = session.driving ? overduePhases(now: min(now, session.announcedUntil ?? Millis.min)) : overduePhases(now: now)
        commsReminded = StakeholderUpdate.reminder(run: run, comms: config.comms, now: now)?.index ?? 0
        if case .replay = session.role { telemetry = .recorded(in: run) }
    }

    /// The reducer, in the form the architecture names.
    public static func reduce(_ state: Engine, _ action: Action) -> (Engine, [Command]) {
        var s = state
        let commands = s.reduce(action)
        return (s, commands)
    }

    public mutating func reduce(_ action: Action) -> [Command] {
        switch action {
        case .start(let t):
            now = t
            return start()
        case .stop:
            stopping = true
            return []
        case .tick(let t):
            now = t
            return tick()
        case .intent(let i):
            return perform(i)
        case .reading(let r):
            guard driving else { return [] }
            return settle(live.take(r, console: session.actor))
        case .hookFinished(let h):
            guard driving else { return [] }
            var out: [Command] = [.log("hook for seq \(h.decision): \(h.summary) in \(h.durationMs) ms"
                                       + (h.tail.isEmpty ? "" : "; last output: \(h.tail.suffix(3))"))]
            out.append(append(.hookResult(h)))
            return out
        case .trafficRead(let r):
            guard driving else { return [] }
            return trafficRead(r)
        case .appended(let id, let event):
            saving.removeAll { $0.id == id }
            // Already in the run: a tail reader merged this very line before its acknowledgement came back (a crew
            // console reads the journal as followers do). Applied once, by seq; the person still hears it was saved.
            var out: [Command] = event.seq <= run.lastSeq ? [.show(Notice(describe(event), .info))] : acknowledged(event, own: true)
            if let reason = pendingReasons.removeValue(forKey: id) {
                out.append(append(.decisionReason(DecisionReason(decision: event.seq, reason: reason))))
            }
            return out + followUp()
        case .appendFailed(let id, let error):
            let body = saving.first { $0.id == id }?.body
            saving.removeAll { $0.id == id }
            pendingReasons[id] = nil
            var out: [Command] = [.log("NOT SAVED \(body?.type ?? "event"): \(error)")]
            if case .hookResult(let h)? = body, run.pendingDecision.map({ run.decisions[$0].seq }) == h.decision {
                // The ramp stays BUSY until the hook's result is journaled: keep it and try again every tick.
                unsavedHookResult = h
                out.append(.show(Notice("NOT SAVED: the hook's result (\(h.summary)) — retrying every second: \(error)", .error,
                                        sticky: true)))
            } else {
                out.append(.show(Notice("NOT SAVED: \(error)", .error, sticky: true)))
            }
            return out
        case .merged(let events):
            var out: [Command] = []
            for e in events where e.seq == run.lastSeq + 1 { out += acknowledged(e, own: false) }
            return out + followUp()
        case .reset(let state, let latest):
            let before = run.lastSeq
            run = state
            if case .replay = session.role {
                telemetry = .recorded(in: run)
            } else if state.lastSeq < before {
                // Outside a replay the run never goes backwards: the journal was cut or rewritten under us.
                return [.show(Notice("the journal went backwards: entries \(state.lastSeq + 1)–\(before) are gone — run warroom verify",
                                     .error, sticky: true))]
            }
            guard state.lastSeq != before, let e = latest else { return [] }
            return [.show(Notice((e.actor == JournalEvent.telemetryActor ? "" : "\(e.actor): ") + describe(e), .info))]
        case .remoteView(let view, let at, let driver):
            remote = (view, min(at, now), driver)
            return []
        case .notice(let n):
            return [.show(n)]
        case .announce(let e):
            guard e.seq <= run.lastSeq else { return [] }
            return notifications(for: e)
        case .notifyFailed(let f):
            return notifyFailed(f)
        case .deposed(let by):
            guard session.driving, deposedBy == nil else { return [] }
            deposedBy = .some(by)
            autoRollbackWanted = nil
            return [.log("driver lease lost: \(by ?? "another driver") took over; this console is read-only now"),
                    .show(Notice("\(by ?? "another driver") took over driving: this console is read-only now", .error, sticky: true))]
        }
    }

    // MARK: Start and clock

    mutating func start() -> [Command] {
        guard driving else { return tick() }
        var out: [Command] = []
        // A hook that was running when a previous console stopped: its outcome is unknown, and the ramp did not move.
        if let p = run.pendingDecision {
            let d = run.decisions[p]
            out.append(append(.hookResult(HookResult(decision: d.seq, ok: false,
                                                     summary: "outcome unknown: the console stopped while the hook ran — check the traffic by hand",
                                                     durationMs: now - d.time))))
        }
        telemetry = live.view(now: now)
        lastPublished = now
        out.append(.publish(telemetry)) // followers started with the driver find the view at once
        return out
    }

    mutating func tick() -> [Command] {
        switch session.role {
        case .driver where deposedBy != nil:
            return []
        case .driver:
            var out = settle(live.tick(now: now)) + overdueNotifications() + commsReminder()
            if let h = unsavedHookResult, !saving.contains(where: { if case .hookResult = $0.body { true } else { false } }) {
                unsavedHookResult = nil
                out.append(append(.hookResult(h)))
            }
            telemetry = live.view(now: now)
            if lastPublished.map({ now - $0 >= Self.publishEveryMs }) ?? true {
                lastPublished = now
                out.append(.publish(telemetry))
            }
            return out
        case .follower, .crew:
            guard let r = remote else {
                viewAge = nil
                return []
            }
            let age = max(0, now - r.publishedAt)
            viewAge = age
            telemetry = age > Self.silentAfterMs ? r.view.silenced(ageMs: age) : r.view
            return []
        case .replay:
            return []
        }
    }

    /// Journals telemetry's verdict changes and trips, and rolls back by itself where a tripped criterion says `auto: true`.
    mutating func settle(_ outcome: LiveTelemetry.Outcome) -> [Command] {
        var out: [Command] = []
        for e in outcome.events {
            if case .lightTrip(let l) = e { out.append(.log("criterion tripped: \(l.name) — \(l.detail ?? "")")) }
            out.append(append(e))
        }
        for name in outcome.autoRollback {
            guard let d = automaticRollback(reason: "automatic: “\(name)” tripped (auto: true)") else {
                if run.pendingDecision != nil || decisionInFlight {
                    autoRollbackWanted = name
                    out.append(.log("automatic rollback for \(name) waits for the decision under way"))
                }
                continue
            }
            out.append(.log("automatic rollback: \(name) tripped"))
            out.append(append(.rampDecision(d)))
        }
        return out
    }

    /// What waits for a decision to settle: an automatic rollback asked for while one was under way.
    mutating func followUp() -> [Command] {
        guard driving, let name = autoRollbackWanted, run.pendingDecision == nil, !decisionInFlight else { return [] }
        autoRollbackWanted = nil
        guard run.tripped[name] != nil,
              let d = automaticRollback(reason: "automatic: “\(name)” tripped (auto: true) while a decision was under way") else { return [] }
        return [.log("automatic rollback: \(name) tripped"), append(.rampDecision(d))]
    }

    // MARK: Journal

    /// Asks the journal to write `body`; the run changes when the acknowledgement comes back.
    mutating func append(_ body: EventBody) -> Command {
        let id = nextAppend
        nextAppend += 1
        saving.append((id, body))
        return .append(id: id, body)
    }

    /// Whether anything is still on its way to the journal ("saving…").
    public var isSaving: Bool { !saving.isEmpty }

    /// A journaled event joins the run: ours (acknowledged) or another writer's (merged).
    mutating func acknowledged(_ event: JournalEvent, own: Bool) -> [Command] {
        do { try run.apply(event) } catch {
            return [.log("journal and console disagree at seq \(event.seq): \(error)"),
                    .show(Notice("console out of step with the journal at seq \(event.seq): restart it", .error, sticky: true))]
        }
        var out: [Command] = notifications(for: event)
        if case .lightClear(let l) = event.body, driving {
            live.acknowledge(l.name, at: event.time, reason: l.reason ?? "")
        }
        if own, driving, case .rampDecision(let d) = event.body, d.traffic != nil {
            out += startTraffic(d, seq: event.seq)
        }
        if own, driving, case .rampDecision(let d) = event.body, let argv = d.hook {
            if stopping {
                // Closing: a hook nobody would watch is not started; the journal says so, not "outcome unknown".
                out.append(.log("hook for seq \(event.seq) not started: the console is closing"))
                out.append(append(.hookResult(HookResult(decision: event.seq, ok: false,
                                                         summary: "not run: the console closed before the hook started",
                                                         durationMs: 0))))
            } else {
                out.append(.log("hook for seq \(event.seq) (\(d.kind.rawValue) \(d.from) → \(d.to) %): \(argv)"))
                out.append(.runHook(hookRequest(d, seq: event.seq)))
            }
        }
        if !own, driving, !stopping, case .rampDecision(let d) = event.body, d.hook != nil, event.actor == session.actor {
            // Our own decision, found in the journal after its append said NOT SAVED (etcd carried out a request it
            // had queued while it was stopped). The commander was told it was not saved and may have moved on: its
            // hook is not run late; the ramp stays where it was (journaled), and GO can be decided again.
            out.append(.log("decision seq \(event.seq) (\(d.kind.rawValue) \(d.from) → \(d.to) %) was recorded after NOT SAVED: its hook is not run"))
            out.append(append(.hookResult(HookResult(decision: event.seq, ok: false,
                                                     summary: "not run: the decision was recorded after this console said NOT SAVED — decide again",
                                                     durationMs: 0))))
        }
        switch event.body {
        case .verdictChange, .runConfig, .gaugePoints: break
        case .hookResult(let h) where !h.ok:
            out.append(.show(Notice(describe(event), .error, sticky: true)))
        case .driverOffer:
            out.append(.show(offerNotice(event, own: own))) // names who offers: no actor prefix
        case .notifyFailed:
            out.append(.show(Notice(describe(event), .warn)))
        default:
            // The telemetry's own entries say "by warroom (telemetry)" themselves: no actor in front.
            let mine = own || event.actor == JournalEvent.telemetryActor
            out.append(.show(Notice(mine ? describe(event) : "\(event.actor): " + describe(event), .info)))
        }
        return out
    }
}
