/// The engine's vocabulary (Bubble Tea's Msg and Cmd): every input that can change a run is an `Action`; every effect
/// the engine wants from the outside world is a `Command`, which one effect runner carries out off the screen thread
/// and answers with an `Action`. Nothing here does I/O or reads a clock.

/// Who this console is in the run.
public enum Role: Sendable, Equatable {
    /// Holds the writer's lock: decides, journals telemetry, runs hooks, publishes the view.
    case driver
    /// Watches read-only; `driver` names who drives, when known.
    case follower(driver: String?)
    /// Works the checklist beside the driver: item changes are journaled (crew entries need no lease); ramp
    /// decisions and criteria are refused naming who drives. `driver` names who drives, when known.
    case crew(driver: String?)
    /// Plays a journal back; the badge names it ("REPLAY 60×").
    case replay(badge: String)
}

/// The console's seat at the run: fixed for the session.
public struct Session: Sendable, Equatable {
    public var actor: String
    public var role: Role
    /// The state directory (hooks get it as WARROOM_STATE_DIR; the footer shows it).
    public var stateDir: String
    /// `warroom demo`: the fault key drives the simulated service.
    public var demo: Bool
    /// The previous driver's last heartbeat (nil: nobody drove before): phases overdue by then were its to announce
    /// to the `notify:` targets; a phase that fell overdue later, while nobody drove, is this console's to send.
    public var announcedUntil: Millis?

    public init(actor: String, role: Role, stateDir: String, demo: Bool = false, announcedUntil: Millis? = nil) {
        self.actor = actor
        self.role = role
        self.stateDir = stateDir
        self.demo = demo
        self.announcedUntil = announcedUntil
    }

    public var driving: Bool { role == .driver }

    /// A crew console: ticks items, never decides.
    public var crew: Bool { if case .crew = role { true } else { false } }
}

/// What a person asked for, already mapped from a key (the UI's key table does that).
public enum Intent: Sendable, Equatable {
    case go
    case nogo
    /// Confirmed (`R` then `y`): the UI asks first.
    case rollback
    /// `G` with its mandatory reason.
    case override(reason: String)
    case verify
    /// The reason typed after a decision: saved with it once the decision itself is journaled.
    case decisionReason(DecisionRef, reason: String)
    /// Space on an item: done ↔ open, from the item's acknowledged state.
    case toggleItem(id: String)
    case setItem(id: String, status: ItemStatus, reason: String?)
    /// Take back the actor's own last change.
    case undo
    /// Sign off a role the checklist names; `sign: false` takes back the actor's own signature (`signoff.*`).
    case signOff(role: String, sign: Bool)
    case tripLight(name: String, reason: String)
    case clearLight(name: String, reason: String)
    /// `D`: offer driving to the next driver (by actor name), who accepts with `run --take-over`; nil or empty
    /// withdraws the offer in force.
    case offerDriving(to: String?)
}

/// A decision the console has asked for: still on its way to the journal (its append's id), or journaled (its seq).
public enum DecisionRef: Sendable, Equatable {
    case saving(append: Int)
    case saved(seq: Int)
}

/// The intents a console can refuse before asking anything (so the UI opens no prompt for a refused one).
public enum IntentKind: Sendable, Equatable {
    case go, nogo, rollback, override, verify
    /// A checklist change (toggle, skip, block, undo).
    case write
    /// Tripping or clearing a rollback criterion (`x`).
    case criterion
    /// The reason typed after a decision.
    case decisionReason
    /// Offering driving to someone else (`D`).
    case handOver

    /// Ramp decisions: only the driver makes them, and only with a ramp.
    public var isDecision: Bool { [.go, .nogo, .rollback, .override, .verify].contains(self) }
}

/// One reading of one probe, as the poller delivered it.
public struct ProbeReading: Sendable, Equatable {
    public var probe: ProbeKey
    /// The source it came from (its failures are named in the SLO pane).
    public var source: String
    public var time: Millis
    public var observation: Observation

    public init(probe: ProbeKey, source: String, time: Millis, observation: Observation) {
        self.probe = probe
        self.source = source
        self.time = time
        self.observation = observation
    }
}

/// What a probe feeds: an SLO gauge or a rollback-criterion light, by name.
public enum ProbeKey: Sendable, Hashable {
    case slo(String)
    case light(String)

    /// The poller's opaque probe id.
    public var id: String {
        switch self {
        case .slo(let n): "slo/" + n
        case .light(let n): "light/" + n
        }
    }

    public init?(id: String) {
        if id.hasPrefix("slo/") { self = .slo(String(id.dropFirst(4))) } else if id.hasPrefix("light/") {
            self = .light(String(id.dropFirst(6)))
        } else { return nil }
    }
}

public enum Action: Sendable {
    /// The console opened (driver: settle a hook a previous console left running, publish the view).
    case start(Millis)
    /// The console is closing: acknowledgements still arriving start no hook (a hook that cannot be watched is not
    /// started); each such decision is journaled as not run.
    case stop
    case tick(Millis)
    case intent(Intent)
    case reading(ProbeReading)
    /// A decision's hook ended (or could not start).
    case hookFinished(HookResult)
    /// The traffic adapter answered: a decision's set and read-back, or a read-back on the timer.
    case trafficRead(TrafficReading)
    /// The journal wrote and fsync'd the append with this id: here is the event as journaled.
    case appended(id: Int, JournalEvent)
    /// The journal could not write the append with this id: nothing changed.
    case appendFailed(id: Int, String)
    /// Events another writer appended (read by the tail reader), in journal order.
    case merged([JournalEvent])
    /// The run replaced wholesale (a replay seeking, a follower re-reading a damaged journal).
    case reset(RunState, latest: JournalEvent?)
    /// A follower's copy of the driver's published telemetry, when the driver says it published it, and who it is.
    case remoteView(TelemetryView, publishedAt: Millis, driver: String?)
    /// A message from outside the engine (a fault injected in the demo).
    case notice(Notice)
    /// The driver lease was lost: another driver took over (named when known). Nothing is written from then on.
    case deposed(by: String?)
    /// An entry this console journaled before the engine started (a take-over's `driver.handover`): notified as if
    /// acknowledged, since it already is.
    case announce(JournalEvent)
    /// A notification was not delivered after its last try: counted for the header and journaled (`notify.failed`).
    case notifyFailed(NotifyFailed)
}

/// A hook to run for a journaled decision: argv (never a shell) and the values placeholders and `WARROOM_*` carry.
public struct HookRequest: Sendable, Equatable {
    public var decision: Int
    public var kind: DecisionKind
    public var argv: [String]
    /// `percent`, `previous`, `step`, `service`, `actor`, `kind`, `state_dir`, `run`: as `WARROOM_<KEY>` variables.
    public var values: [String: String]
    public var directory: String
    public var timeoutMs: Millis
}

public enum Command: Sendable, Equatable {
    /// Journal an event (write, fsync); answered by `.appended` or `.appendFailed` with the same id. A
    /// `driver.offer` is written to the driver lease first (so the named driver's take-over is accepted before anyone
    /// can read the offer in the journal), and fails without journaling if the lease cannot take it.
    case append(id: Int, EventBody)
    /// Run a decision's hook; answered by `.hookFinished`.
    case runHook(HookRequest)
    /// Set the traffic through the `ramp.traffic` adapter and read it back; answered by `.trafficRead`.
    case setTraffic(TrafficRequest)
    /// Publish the live view for followers.
    case publish(TelemetryView)
    /// A line for the console's log.
    case log(String)
    /// Tell the person at the console (the UI shows it; the effect runner ignores it).
    case show(Notice)
    /// Send to every `notify:` target (off the screen thread, retried with backoff); a delivery given up on answers
    /// `.notifyFailed`.
    case notify(RunNotification)
}

public struct Notice: Sendable, Equatable {
    public enum Level: Sendable, Equatable { case info, warn, error }
    public var text: String
    public var level: Level
    /// Stays until replaced (a failed hook, NOT SAVED); others fade.
    public var sticky: Bool

    public init(_ text: String, _ level: Level, sticky: Bool = false) {
        self.text = text
        self.level = level
        self.sticky = sticky
    }
}
