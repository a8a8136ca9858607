/// One model of a run, for everything that shows a run rather than drives it: `warroom status` (text and JSON),
/// `warroom report` (Markdown and JSON) and a follower's header. Built once from the run's config, its checklist,
/// the journal-derived `RunState`, plain facts about the journal file and the time; pure, so the same inputs always
/// give the same summary. Times stay `Millis`: renderers format them with `Timestamp` and `DurationText`.
///
/// What a header needs is in `header` (driver, ramp percent and step, the gate's one-line verdict, checklist
/// progress); the rest is the detail the status and report commands lay out.
public struct RunSummary: Sendable, Equatable {
    // MARK: The run

    /// The service the config names.
    public var service: String
    /// The run's first event; nil before anyone started a run (no journal).
    public var start: Start?
    /// The checklist file's bytes differ from those the run started with.
    public var checklistChanged: Bool
    /// Seq of the last journal event (0 without a journal).
    public var events: Int
    /// Time of the last journal event.
    public var lastEntry: Millis?
    /// From the run's start to its last entry.
    public var durationMs: Millis? { start.flatMap { s in lastEntry.map { $0 - s.at } } }
    /// The configured t0, if any.
    public var t0: Millis?
    /// What mission times (`T+00:12:30`) count from: t0, else the run's start, else the epoch.
    public var clockOrigin: Millis
    /// Who drives the run: the actor of the latest ramp decision or criterion trip/clear (events only a console
    /// holding the writer's lock journals), else who started it. Nil before a run starts.
    public var driver: String?
    public var journal: JournalFacts

    // MARK: The ramp

    public var ramp: Ramp
    /// Every decision, in journal order.
    public var decisions: [Decision]
    /// How many decisions of each kind.
    public var decisionCounts: [DecisionKind: Int]
    public var outcome: Outcome

    // MARK: Rollback criteria and telemetry

    /// The configured rollback criteria, by name.
    public var criteria: [String]
    /// Criteria tripped and not cleared, oldest trip first.
    public var tripped: [TrippedLight]
    /// Every trip and clear, in order.
    public var criterionEvents: [CriterionEvent]
    /// Telemetry verdict changes, in order.
    public var verdictChanges: [VerdictEvent]
    /// Every change of driver (take-overs), in order.
    public var handovers: [HandoverEvent]
    /// Every offer of driving (`D`) and its withdrawals, in order.
    public var offers: [OfferEvent]
    /// Every opening of the journal with a missing or lagging head that a writer took on (`journal.repair`).
    public var headRepairs: [HeadRepairEvent]
    /// The last rollback against its targets.
    public var rollback: Rollback?
    /// The ramp and each SLO over the run's time, with decisions and trips marked (the report's charts).
    public var chart: RunChart

    // MARK: The checklist

    /// With t0: every phase on the mission clock (see `Checklist.phases(t0:utcOffsetMinutes:)`), by due time.
    public var missionPhases: [PhaseSummary] = []

    public var checklistPath: String
    public var checklistTitle: String?
    public var total: ChecklistProgress
    /// Every heading below the checklist's title, in document order, with its nesting.
    public var sections: [SectionProgress]
    /// The top-level parts (the title's children, or the root's), each with its whole subtree's items.
    public var parts: [Part]
    /// Every item, in document order.
    public var items: [ItemSummary]
    /// Every change to an item (sets and undos), in journal order.
    public var changes: [Change]
    /// State recorded for items the checklist no longer has, by ID.
    public var orphans: [Orphan]
    /// Indices into `items` of the sign-off and approval items.
    public var signOffs: [Int]
    /// The roles the checklist asks to sign off (`Checklist.signOffs`), with the signature in force for each, then
    /// any role signed in the journal that the checklist no longer names.
    public var signatures: [RoleSignature]

    /// What a console's header shows of the run.
    public var header: Header {
        Header(driver: driver, percent: ramp.percent, step: ramp.step, steps: ramp.steps.count,
               gate: ramp.gate?.summary(now: now), gateState: ramp.gate?.state ?? .none, progress: total,
               percentComplete: NumberText.percent(total.complete, of: total.items))
    }

    /// The time the summary was made for (the gate's observation window is measured against it).
    public var now: Millis

    /// - Parameters:
    ///   - checklistSHA256: the SHA-256 (hex) of the checklist's bytes, to tell whether it changed since the start.
    ///   - journal: facts about the journal file (`JournalFacts.none` when there is none).
    ///   - slos: the SLOs as the gate should see them; `unread(_:detail:)` for a caller that does not poll.
    /// Who drives `run` (see `driver`): the rule the follower's header uses too.
    public static func driver(of run: RunState) -> String? {
        // A trip by the telemetry names the console that read it (its actor is `warroom`, not a person).
        let light = run.lightHistory.last { $0.change.console != nil || $0.actor != JournalEvent.telemetryActor }
        let lastDriverEvent = max(run.decisions.last?.seq ?? 0, light?.seq ?? 0, run.handovers.last?.seq ?? 0)
        if lastDriverEvent == 0 { return run.startedBy }
        if let h = run.handovers.last, h.seq == lastDriverEvent { return h.handover.to }
        if run.decisions.last?.seq == lastDriverEvent { return run.decisions.last?.actor }
        return light.map { $0.change.console ?? $0.actor }
    }

    public init(config: RunConfig, checklist c: Checklist, checklistSHA256: String, run: RunState, journal: JournalFacts,
                slos: [GateSignal], now: Millis) {
        self.now = now
        self.journal = journal
        service = config.service
        t0 = config.t0
        clockOrigin = config.t0 ?? run.startedAt ?? 0
        if let s = run.started, let at = run.startedAt {
            start = Start(id: run.runID, at: at, by: run.startedBy ?? "?", checklist: s.checklist)
        }
        checklistChanged = run.started.map { $0.checklistSHA256 != checklistSHA256 } ?? false
        events = run.lastSeq
        lastEntry = run.lastTime
        chart = RunChart(config: config, run: run)

        let lights = config.lights.map { l in
            GateSignal(name: l.name, green: run.tripped[l.name] == nil, state: run.tripped[l.name] == nil ? .ok : .tripped)
        }
        let gate = config.plan.steps.isEmpty ? nil
            : Gates.evaluate(plan: config.plan, run: run, checklist: c, slos: slos, lights: lights, now: now)
        ramp = Ramp(percent: run.percent, step: config.plan.stepIndex(at: run.percent).map { $0 + 1 },
                    steps: config.plan.steps.map(\.percent), tracker: !config.plan.hasApply,
                    rolledBack: run.rollback?.executedAt != nil && run.percent == 0, gate: gate)
        decisions = run.decisions.map(Decision.init)
        decisionCounts = run.decisions.reduce(into: [:]) { $0[$1.kind, default: 0] += 1 }
        outcome = Outcome(run: run, lastStep: config.plan.steps.last?.percent ?? 100, clockOrigin: clockOrigin)

        criteria = config.lights.map(\.name)
        tripped = run.tripped.values.sorted { $0.seq < $1.seq }
        handovers = run.handovers.map { HandoverEvent(seq: $0.seq, time: $0.time, handover: $0.handover) }
        offers = run.offers.map { OfferEvent(seq: $0.seq, time: $0.time, actor: $0.actor, offer: $0.offer) }
        headRepairs = run.headRepairs.map { HeadRepairEvent(seq: $0.seq, time: $0.time, actor: $0.actor, repair: $0.repair) }
        criterionEvents = run.lightHistory.map {
            CriterionEvent(seq: $0.seq, time: $0.time, actor: $0.actor, trip: $0.trip, change: $0.change)
        }
        verdictChanges = run.verdictChanges.map { VerdictEvent(seq: $0.seq, time: $0.time, change: $0.change) }
        rollback = run.rollback.map { Rollback($0, run: run, targets: config.plan.targets) }
        driver = Self.driver(of: run)

        checklistPath = c.path
        checklistTitle = c.title
        total = ChecklistProgress(checklist: c, state: run, indices: c.items.indices)
        sections = SectionProgress.all(c, run, t0: config.t0, utcOffsetMinutes: config.t0UTCOffsetMinutes, now: now)
        missionPhases = PhaseSummary.all(c, run, t0: config.t0, utcOffsetMinutes: config.t0UTCOffsetMinutes, now: now)
        parts = Part.all(c, run)
        let items = c.items.indices.map { ItemSummary(c, $0, run) }
        self.items = items
        changes = run.changes
        orphans = run.orphans(in: c).map { Orphan(id: $0, record: run.record($0)) }
        signOffs = items.indices.filter { items[$0].signOff }
        let asked = c.signOffs
        signatures = asked.map { RoleSignature(role: $0.role, line: $0.line, itemID: $0.itemID, signature: run.signature($0.role)) }
            + run.signatures.values.filter { s in !asked.contains { $0.key == SignOff.key(s.role) } }.sorted { $0.seq < $1.seq }
                .map { RoleSignature(role: $0.role, line: nil, itemID: nil, signature: $0) }
        outcome.account(
            overrides: run.decisions.filter { $0.kind == .override }.map { d in
                "\(d.decision.from) → \(d.decision.to) % by \(d.actor)" + (d.reason.map { ": “\($0)”" } ?? "")
            },
            open: total.open, blocked: total.blocked,
            missingSignOffs: signatures.filter { $0.line != nil && $0.signature == nil }.map(\.role))
    }

    /// SLOs as a gate sees them without readings: a bound SLO is unknown (and blocks GO), an unbound one counts as
    /// green, as it would for a console that has no reading yet.
    public static func unread(_ slos: [SLOConfig], detail: String) -> [GateSignal] {
        slos.map {
            $0.bound ? GateSignal(name: $0.name, green: false, state: .unknown, detail: detail)
                : GateSignal(name: $0.name, green: true, state: .unbound)
        }
    }

    /// `T+00:12:30`: a time on the run's mission clock (from t0, else from the run's start).
    public func missionTime(_ ms: Millis) -> String { Timestamp.clock(ms - clockOrigin, signed: true) }
}

/// Facts about the journal file a summary was read from. The core reads no files: the caller passes them in.
public struct JournalFacts: Sendable, Equatable {
    public struct Damage: Sendable, Equatable {
        public var file: String
        public var line: Int?
        public var message: String

        public init(file: String, line: Int?, message: String) {
            self.file = file
            self.line = line
            self.message = message
        }
    }

    public var path: String
    /// Lines that verified (all of them, or those before the damage).
    public var lines: Int
    /// The hash of the last good line.
    public var lastHash: String?
    /// The line number of a torn (unacknowledged, cut-off) last line that was ignored.
    public var tornTail: Int?
    public var warnings: [String]
    /// Where verification stopped; nil when the chain is intact.
    public var damage: Damage?

    public init(path: String, lines: Int, lastHash: String? = nil, tornTail: Int? = nil, warnings: [String] = [],
                damage: Damage? = nil) {
        self.path = path
        self.lines = lines
        self.lastHash = lastHash
        self.tornTail = tornTail
        self.warnings = warnings
        self.damage = damage
    }

    /// No journal yet.
    public static let none = JournalFacts(path: "", lines: 0)
}

extension RunSummary {
    /// A change of driver as the report lists it.
    public struct HandoverEvent: Sendable, Equatable {
        public var seq: Int
        public var time: Millis
        public var handover: Handover
    }

    /// A journal opened with a missing or lagging head, and who took it on (with the reason they gave, if any).
    public struct HeadRepairEvent: Sendable, Equatable {
        public var seq: Int
        public var time: Millis
        public var actor: String
        public var repair: HeadRepair
    }

    /// An offer of driving (or its withdrawal: `offer.to` nil) as the report lists it.
    public struct OfferEvent: Sendable, Equatable {
        public var seq: Int
        public var time: Millis
        public var actor: String
        public var offer: DriverOffer
    }
}
