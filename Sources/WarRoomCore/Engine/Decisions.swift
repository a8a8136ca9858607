/// The engine's decisions: what each intent may do now, the gate it is checked against, the snapshot it is
/// journaled with, and the hook it runs.
extension Engine {
    public var hasRamp: Bool { !config.plan.steps.isEmpty }

    /// Who drives the run: for a follower, whoever publishes the live view (after a hand-over, the new driver);
    /// else as the run summary reads it from the journal; else the driver named when the follower started.
    public var driver: String? {
        if let by = deposedBy { return by }
        if let d = remote?.driver { return d }
        if let d = RunSummary.driver(of: run) { return d }
        switch session.role {
        case .follower(let d), .crew(let d): return d
        case .driver, .replay: return nil
        }
    }

    // MARK: Signals and the gate

    /// Rollback criteria as the gates see them: tripped in the journal (manual, or latched by telemetry), or
    /// tripped right now by telemetry.
    public var lightSignals: [GateSignal] {
        config.lights.map { l in
            let live = telemetry.lights.first { $0.name == l.name }
            let journaled = run.tripped[l.name]
            let tripped = journaled != nil || live?.status == .tripped
            return GateSignal(name: l.name, green: !tripped, state: tripped ? .tripped : (live?.status ?? .ok),
                              detail: journaled?.detail ?? live?.detail ?? "")
        }
    }

    /// SLOs as the gates see them: not yet read counts as not green; an SLO with no query is not gated on
    /// (there is no telemetry for it: the team watches it by other means).
    public var sloSignals: [GateSignal] {
        config.slos.map { s in
            if !s.bound { return GateSignal(name: s.name, green: true, state: .unbound, detail: "no query: not gated") }
            if let g = telemetry.gauges.first(where: { $0.name == s.name }) {
                return GateSignal(name: s.name, green: g.green, state: g.status, detail: g.value.isEmpty ? g.detail : g.value)
            }
            return GateSignal(name: s.name, green: false, state: .unknown, detail: "no reading yet")
        }
    }

    /// A decision on its way to the journal makes the gate BUSY, like a running hook: one decision at a time.
    var decisionInFlight: Bool {
        saving.contains { entry in
            switch entry.body {
            case .rampDecision, .hookResult: true
            default: false
            }
        }
    }

    public var verdict: GateVerdict {
        if decisionInFlight, hasRamp {
            return GateVerdict(state: .busy, next: config.plan.next(after: run.percent)?.step, blockers: ["saving the decision…"],
                               waits: [], waitUntil: nil)
        }
        return Gates.evaluate(plan: config.plan, run: run, checklist: checklist, slos: sloSignals, lights: lightSignals, now: now)
    }

    /// The trip banner: the first tripped criterion while traffic is still on the new version.
    public var banner: String? {
        guard run.percent > 0, let l = lightSignals.first(where: { !$0.green }) else { return nil }
        return "ROLLBACK CRITERION TRIPPED: \(l.name) — R to roll back"
    }

    var gaugeSnapshot: [SnapshotEntry] { sloSignals.map(\.snapshot) }
    var lightSnapshot: [SnapshotEntry] { lightSignals.map(\.snapshot) }

    // MARK: Refusals

    /// Why `kind` cannot happen now, or nil. The UI asks before it opens a prompt (R's confirmation, G's reason), so a
    /// refused key never leaves a prompt behind; `reduce` asks again before it acts.
    public func refusal(_ kind: IntentKind) -> Notice? {
        switch session.role {
        case .driver:
            if let by = deposedBy { return Notice("read-only — \(by ?? "another driver") took over driving", .warn) }
        case .follower: return Notice("read-only — \(driver ?? "another console") is driving", .warn)
        case .replay(let badge): return Notice("\(badge): read-only", .warn)
        case .crew:
            guard kind == .write else { return Notice("\(Self.label(kind)): \(driver ?? "the driver") drives — crew can tick items, not decide", .warn) }
            return nil
        }
        if kind.isDecision, !hasRamp {
            let key = ["g", "n", "R", "G", "V"][[IntentKind.go, .nogo, .rollback, .override, .verify].firstIndex(of: kind) ?? 0]
            return Notice("\(key): ramp decisions need a ramp — none is configured for this run", .warn)
        }
        let v = verdict
        switch kind {
        case .write, .criterion, .decisionReason:
            return nil
        case .handOver:
            return busyRefusal() // the next driver takes over a settled ramp, not a hook under way
        case .go:
            switch v.state {
            case .ready: return nil
            case .waiting, .blocked: return Notice("GO refused: \(v.summary(now: now)) — G overrides with a reason", .warn)
            case .busy: return busyRefusal()
            case .complete: return Notice("the ramp is complete at \(run.percent) %", .info)
            case .none: return Notice("g: ramp decisions need a ramp — none is configured for this run", .warn)
            }
        case .nogo:
            // NO-GO holds traffic where it is: at 0 % there is nothing to hold, after the last step nothing to stop.
            if let b = busyRefusal() { return b }
            if run.percent == 0 { return Notice("NO-GO refused: the ramp is at 0 % — nothing to hold", .info) }
            if v.state == .complete { return Notice("NO-GO refused: the ramp is complete at \(run.percent) %", .info) }
            return nil
        case .rollback:
            if let b = busyRefusal() { return b }
            return run.percent > 0 ? nil : Notice("nothing to roll back: the ramp is at 0 %", .info)
        case .override:
            switch v.state {
            case .waiting where v.next == nil: return Notice("the ramp is at its last step (\(run.percent) %): its hold is running", .info)
            case .waiting, .blocked: return nil
            case .ready: return Notice("GO is allowed: press g (override is for when the gates say no)", .info)
            case .busy: return busyRefusal()
            case .complete: return Notice("the ramp is at its last step (\(run.percent) %)", .info)
            case .none: return Notice("G: ramp decisions need a ramp — none is configured for this run", .warn)
            }
        case .verify:
            guard let r = run.rollback, r.executedAt != nil, r.verifiedAt == nil else {
                return Notice("nothing to verify: V confirms a completed rollback", .info)
            }
            return nil
        }
    }

    /// How a refusal names what was asked for.
    static func label(_ kind: IntentKind) -> String {
        switch kind {
        case .go: "GO"
        case .nogo: "NO-GO"
        case .rollback: "ROLLBACK"
        case .override: "OVERRIDE"
        case .verify: "VERIFY"
        case .write: "change"
        case .criterion: "criteria"
        case .decisionReason: "decision reasons"
        case .handOver: "hand-over"
        }
    }

    func busyRefusal() -> Notice? {
        if decisionInFlight { return Notice("refused: the previous decision is still being saved", .warn) }
        guard let p = run.pendingDecision else { return nil }
        let d = run.decisions[p]
        let what = d.kind == .rollback ? "the rollback hook" : "the hook applying \(d.decision.to) %"
        return Notice("refused: \(what) is still running — one hook at a time", .warn)
    }

    // MARK: Intents

    mutating func perform(_ intent: Intent) -> [Command] {
        func refused(_ k: IntentKind) -> [Command]? { refusal(k).map { [.show($0)] } }
        switch intent {
        case .go:
            if let r = refused(.go) { return r }
            guard let next = verdict.next else { return [] }
            return [append(.rampDecision(decision(.go, to: next.percent)))]
        case .nogo:
            if let r = refused(.nogo) { return r }
            return [append(.rampDecision(decision(.nogo, to: run.percent)))]
        case .rollback:
            if let r = refused(.rollback) { return r }
            return [append(.rampDecision(decision(.rollback, to: 0)))]
        case .override(let reason):
            if let r = refused(.override) { return r }
            guard let next = verdict.next else { return [] }
            return [append(.rampDecision(decision(.override, to: next.percent, reason: reason)))]
        case .verify:
            if let r = refused(.verify) { return r }
            return [append(.rampDecision(decision(.verified, to: run.percent)))]
        case .decisionReason(let ref, let reason):
            if let r = refused(.decisionReason) { return r }
            switch ref {
            case .saved(let seq):
                return [append(.decisionReason(DecisionReason(decision: seq, reason: reason)))]
            case .saving(let id):
                guard saving.contains(where: { $0.id == id }) else {
                    return [.show(Notice("the decision was not saved: its reason is not kept", .warn))]
                }
                pendingReasons[id] = reason // journaled right after the decision's acknowledgement
                return []
            }
        case .toggleItem(let id):
            if let r = refused(.write) { return r }
            guard let item = checklist.item(id: id) else { return [] }
            if itemSaving(id) { return [.show(stillSaving(id))] }
            return [append(.itemSet(ItemSet(id: id, status: run.status(of: item) == .done ? .open : .done)))]
        case .setItem(let id, let status, let reason):
            if let r = refused(.write) { return r }
            if itemSaving(id) { return [.show(stillSaving(id))] }
            return [append(.itemSet(ItemSet(id: id, status: status, reason: reason)))]
        case .undo:
            if let r = refused(.write) { return r }
            // What `u` takes back must be journaled first: undoing an older change while the newest is saving would
            // undo the wrong one.
            if itemSaving(nil) { return [.show(Notice("still saving your last change — press u again in a moment", .warn))] }
            guard let id = run.lastUndoable(by: session.actor) else { return [.show(Notice("nothing of yours to undo", .info))] }
            return [append(.itemUndo(ItemUndo(id: id, undoes: run.record(id)?.seq)))]
        case .signOff(let role, let sign):
            if let no = signOffRefusal(role, sign: sign) { return [.show(no)] }
            return [append(sign ? .signOff(SignOffEvent(role: role)) : .signOffUndo(SignOffEvent(role: role)))]
        case .tripLight(let name, let reason):
            if let r = refused(.criterion) { return r }
            // A trip without a reason is the telemetry's (journaled as warroom): a person's always says why.
            guard reason.contains(where: { !$0.isWhitespace }) else { return [.show(Notice("a trip needs a reason", .warn))] }
            if lightSaving(name) { return [.show(stillSaving(name))] }
            guard run.tripped[name] == nil else { return [.show(Notice("“\(name)” is already tripped", .info))] }
            return [append(.lightTrip(LightChange(name: name, reason: reason, detail: "manual")))]
        case .clearLight(let name, let reason):
            if let r = refused(.criterion) { return r }
            if lightSaving(name) { return [.show(stillSaving(name))] }
            guard run.tripped[name] != nil else { return [.show(Notice("“\(name)” is not tripped", .info))] }
            return [append(.lightClear(LightChange(name: name, reason: reason)))]
        case .offerDriving(let to):
            return offerDriving(to: to)
        }
    }

    /// A warning, so the acknowledgement's "saved" that follows does not hide that this press did nothing.
    func stillSaving(_ what: String) -> Notice {
        Notice("still saving the last change to \(what) — this press did nothing", .warn)
    }

    /// Whether a change to item `id` (any item: nil) is on its way to the journal.
    func itemSaving(_ id: String?) -> Bool {
        saving.contains { entry in
            switch entry.body {
            case .itemSet(let s): id == nil || s.id == id
            case .itemUndo(let u): id == nil || u.id == id
            default: false
            }
        }
    }

    func lightSaving(_ name: String) -> Bool {
        saving.contains { entry in
            switch entry.body {
            case .lightTrip(let l), .lightClear(let l): l.name == name
            default: false
            }
        }
    }

    /// An automatic rollback (a criterion with `auto: true` tripped): the decision `R` `y` makes, with its reason.
    public func automaticRollback(reason: String) -> RampDecision? {
        guard hasRamp, run.percent > 0, run.pendingDecision == nil, !decisionInFlight else { return nil }
        return decision(.rollback, to: 0, reason: reason)
    }

    /// A decision as journaled: the gate's verdict and what it left unmet, a snapshot of every gauge and light, and
    /// the hook's argv (placeholders expanded) when one runs for it.
    func decision(_ kind: DecisionKind, to: Int, reason: String? = nil) -> RampDecision {
        let v = verdict
        var hook: [String]?
        switch kind {
        case .go, .override: if config.plan.hasApply { hook = HookTemplate.expand(config.apply ?? [], values: hookValues(from: run.percent, to: to)) }
        case .rollback: if config.plan.hasRollbackHook { hook = HookTemplate.expand(config.rollbackHook ?? [], values: hookValues(from: run.percent, to: to)) }
        case .nogo, .verified: break
        }
        var ticks: [String]?
        switch kind {
        case .go, .override: ticks = stepTicks(to: to)
        case .rollback: ticks = run.ticksToReopen
        case .nogo, .verified: break
        }
        return RampDecision(kind: kind, from: run.percent, to: to, reason: reason, verdict: v.state.rawValue, unmet: v.unmet,
                            gauges: gaugeSnapshot, lights: lightSnapshot, hook: hook, ticks: ticks?.isEmpty == false ? ticks : nil)
    }

    /// The item IDs GO into the step at `to` ticks: its `ticks` entries (items, or every item of a section) not yet done.
    func stepTicks(to: Int) -> [String] {
        guard let i = config.plan.stepIndex(at: to) else { return [] }
        var out: [String] = []
        for t in config.plan.steps[i].ticks {
            let indices: [Int]
            switch checklist.requirement(t) {
            case .item(let k): indices = [k]
            case .section(let s): indices = checklist.itemIndices(inSubtree: s)
            case nil: indices = []
            }
            for k in indices where run.status(of: checklist.items[k]) != .done && !out.contains(checklist.items[k].id) {
                out.append(checklist.items[k].id)
            }
        }
        return out
    }

    func hookValues(from: Int, to: Int) -> [String: String] {
        ["percent": String(to), "previous": String(from), "service": config.service, "actor": session.actor,
         "step": config.plan.stepIndex(at: to).map { String($0 + 1) } ?? "0"]
    }

    func hookRequest(_ d: RampDecision, seq: Int) -> HookRequest {
        var values = hookValues(from: d.from, to: d.to)
        values["kind"] = d.kind.rawValue
        values["state_dir"] = session.stateDir
        values["run"] = run.runID ?? ""
        return HookRequest(decision: seq, kind: d.kind, argv: d.hook ?? [], values: values, directory: config.hookDirectory,
                           timeoutMs: config.hookTimeoutMs)
    }
}

extension GateSignal {
    var snapshot: SnapshotEntry { SnapshotEntry(name: name, state: state.rawValue, detail: detail.isEmpty ? nil : detail) }
}
