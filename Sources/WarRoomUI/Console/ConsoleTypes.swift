import WarRoomCore

/// How the console presents its run: derived once from the engine's config and session (the engine is the source of
/// truth; this only names things the way the panes show them).
public struct ConsoleConfig: Sendable {
    public var service: String
    public var actor: String
    /// DRIVING (this console holds the writer's lock) or READ-ONLY.
    public var driving: Bool
    /// A crew console: ticks items, never decides (the badge says CREW · actor).
    public var crew: Bool
    /// Mission clock zero; without it the clock shows time since the run started.
    public var t0: Millis?
    public var stateDir: String
    /// The ramp's steps and holds; no steps: checklist tracking only.
    public var ramp: RampPlan
    /// Rollback criteria, in config order.
    public var lights: [LightInfo]
    /// SLOs, in config order (bound or not).
    public var slos: [String]
    /// SLOs listed without a query (derived from the checklist's text): shown, never gated on.
    public var unboundSLOs: Set<String>
    /// `warroom demo`: the fault key drives the simulated service.
    public var demo: Bool
    /// Who drives, for a follower's badge.
    public var driver: String?
    /// Replaces the DRIVING / READ-ONLY badge (e.g. "REPLAY 60×").
    public var badge: String?

    public init(_ engine: Engine) {
        let c = engine.config
        service = c.service
        actor = engine.session.actor
        driving = engine.session.driving
        crew = engine.session.crew
        t0 = c.t0
        stateDir = engine.session.stateDir
        ramp = c.plan
        lights = c.lights.map { l in
            LightInfo(name: l.name, manual: l.manual, watches: l.manual ? l.note : l.watchText, auto: l.auto, alerts: l.match != nil)
        }
        slos = c.slos.map(\.name)
        unboundSLOs = Set(c.slos.filter { !$0.bound }.map(\.name))
        demo = engine.session.demo
        switch engine.session.role {
        case .driver: break
        case .follower(let d), .crew(let d): driver = d
        case .replay(let b): badge = b
        }
    }

    public var hasRamp: Bool { !ramp.steps.isEmpty }
}

extension LightConfig {
    /// "alerts severity=critical", "value > 1 for 5m": what a bound criterion watches.
    public var watchText: String {
        if let m = match { return "alerts " + m.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        var s = trip.map { "value \($0)" } ?? ""
        if forMs > 0 { s += " for \(DurationText.format(forMs))" }
        return s
    }
}

/// A rollback criterion as the console shows it.
public struct LightInfo: Sendable, Equatable {
    public var name: String
    /// Tripped and cleared by a person (no telemetry bound).
    public var manual: Bool
    /// "error rate > 5 % for 10m", "alerts severity=critical": what it watches.
    public var watches: String?
    public var auto: Bool
    /// Watches Alertmanager alerts: once tripped, the pane shows the alert's summary.
    public var alerts: Bool

    public init(name: String, manual: Bool, watches: String? = nil, auto: Bool = false, alerts: Bool = false) {
        self.name = name
        self.manual = manual
        self.watches = watches
        self.auto = auto
        self.alerts = alerts
    }
}

/// A row of the checklist pane.
public enum Row: Sendable, Hashable {
    case section(Int)
    case item(Int)
}

/// Tab moves through them in this order (the ROLLBACK pane first after the checklist, as it always was).
public enum Pane: Int, Sendable, CaseIterable {
    case checklist, rollback, slo, contacts, decisions

    public var title: String {
        switch self {
        case .checklist: "CHECKLIST"
        case .rollback: "ROLLBACK"
        case .slo: "SLO"
        case .contacts: "CONTACTS"
        case .decisions: "DECISIONS"
        }
    }
}

public enum Mode: Sendable, Equatable {
    case normal
    case search(String)
    case reason(ReasonKind, item: String, text: String)
    /// `S` on a sign-off row: sign the role (`sign: false`: take back your own signature); `y` confirms.
    case confirmSignOff(role: String, sign: Bool)
    /// After a decision: an optional reason (Enter saves, Esc leaves it empty). It opens the moment the decision is
    /// asked for, so what is typed next is the reason, never commands; the reason is saved once the decision is.
    case decisionReason(DecisionRef, kind: DecisionKind, text: String)
    /// `G`: the reason is mandatory, and the override happens on Enter.
    case overrideReason(text: String)
    case confirmRollback
    /// Trip or clear a rollback criterion: the reason is mandatory.
    case lightReason(name: String, trip: Bool, text: String)
    case confirmQuit
    case help
    /// `D`: the next driver's name (Enter alone withdraws the offer in force).
    case handOver(text: String)
    /// A writing key was refused (no prompt opened): the keys typed next are held — swallowed — until Escape or until
    /// the keyboard has been quiet for `ConsoleState.holdQuietMs`, so a reason typed for a prompt that never opened
    /// cannot run as commands. `lastKey` is when the refusal or the last held key came.
    case held(refusal: String, lastKey: Millis)
    /// `i` (or Enter) on a light or an SLO: why it is in its state (`Engine.explainLight` / `explainSLO`). Up and down
    /// move to the next one; Esc, Enter, `i` or `q` close it; other keys do nothing while it is open.
    case why(Signal)
    /// `u` when what it would take back is not your last change (someone changed that item since, or your later
    /// changes are gone): it says what it will undo, and `y` undoes it.
    case confirmUndo(what: String)
    /// `U`: the stakeholder update drafted from the journal (`StakeholderUpdate.draft`); `w` saves it to a file on
    /// the driving console; Esc, Enter, `U` or `q` close it.
    case update
}

extension Mode {
    /// A prompt that takes typed text (a paste goes into it as text); every other mode ignores a paste.
    public var takesText: Bool {
        switch self {
        case .search, .reason, .decisionReason, .overrideReason, .lightReason, .handOver: true
        case .normal, .confirmSignOff, .confirmRollback, .confirmQuit, .help, .held, .confirmUndo, .why, .update: false
        }
    }
}

/// What the detail view explains.
public enum Signal: Sendable, Equatable {
    case light(String)
    case slo(String)
}

public enum ReasonKind: Sendable, Equatable {
    case skip, block
    public var prompt: String { self == .skip ? "skip reason" : "block reason" }
}

public struct Message: Sendable, Equatable {
    public typealias Level = Notice.Level
    public var text: String
    public var level: Level
    /// When it disappears; nil keeps it until replaced.
    public var until: Millis?
}

/// Inputs to the console reducer: what only the screen cares about (keys, size, theme), and everything else for
/// the engine.
public enum ConsoleAction: Sendable {
    case key(Key)
    case tick(Millis)
    case resize(Size)
    case themeChanged(String)
    /// Journal acknowledgements, readings, hook results, merges, a follower's view: the engine's business.
    case engine(Action)
    /// A follower read the driver lease: who drives now, or "nobody drives (dana quit at 12:00:03Z)"; nil: unknown.
    case driverLease(String?)
}

/// What the console asks the outside world to do.
public enum ConsoleEffect: Sendable, Equatable {
    /// The engine's commands (journal, hook, publish, log), for the effect runner.
    case command(Command)
    /// `warroom demo`: cycle the simulated service's fault.
    case cycleFault
    /// `w` over the drafted update: save this text to a file (the driving console says where).
    case saveUpdate(String)
    case cycleTheme
    case redraw
    case quit
}
