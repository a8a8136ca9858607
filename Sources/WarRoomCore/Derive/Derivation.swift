/// A starter configuration read out of a checklist's own words: the traffic ramp with its observation windows,
/// rollback triggers (with thresholds where the text gives one), SLO objectives, rollback time targets and
/// contacts. `warroom init --from CHECKLIST.md` writes it as YAML; `warroom run --checklist FILE` without a config
/// uses it directly. Pure and linear in the size of the checklist; never throws, whatever the text.

/// A metric threshold in a rollback trigger, e.g. ">5% error rate sustained for >10 minutes" →
/// subject "error rate", op ">", value 5, unit "%", for 10 minutes. Bound to a telemetry query later.
public struct DerivedThreshold: Sendable, Equatable {
    public var subject: String
    /// "<", "<=", ">", ">="
    public var op: String
    public var value: Double
    /// "%", "ms", "s", "min", "h", "rps", "qps", "x", or nil when the text gives none.
    public var unit: String?
    /// How long the condition must hold ("for 10 minutes"); nil when not stated.
    public var forMs: Int64?

    public init(subject: String, op: String, value: Double, unit: String? = nil, forMs: Int64? = nil) {
        self.subject = subject
        self.op = op
        self.value = value
        self.unit = unit
        self.forMs = forMs
    }
}

/// One ramp step: send `percent` of traffic to the new version, then observe for `holdMs`.
public struct DerivedStep: Sendable, Equatable {
    public var percent: Int
    /// The observation window stated for this step; nil when the text states none.
    public var holdMs: Int64?
    public var line: Int
    public var text: String
    /// What must be done before GO into the step: the checks before the first step, the previous step's validation.
    public var require: [DerivedRef] = []
    /// The step's own items ("Route 10% traffic to Blue"), ticked by GO.
    public var ticks: [DerivedRef] = []

    public init(percent: Int, holdMs: Int64? = nil, line: Int, text: String) {
        self.percent = percent
        self.holdMs = holdMs
        self.line = line
        self.text = text
    }
}

/// An item ID / task ID or a section title, with the checklist line it came from and its text.
public struct DerivedRef: Sendable, Equatable {
    public var ref: String
    public var line: Int
    public var text: String

    public init(ref: String, line: Int, text: String) {
        self.ref = ref
        self.line = line
        self.text = text
    }
}

/// A rollback trigger: a light on screen. Manual until its threshold (if any) is bound to a query.
public struct DerivedCriterion: Sendable, Equatable {
    /// Short, readable name for the light.
    public var name: String
    public var line: Int
    public var threshold: DerivedThreshold?

    public init(name: String, line: Int, threshold: DerivedThreshold? = nil) {
        self.name = name
        self.line = line
        self.threshold = threshold
    }
}

/// An SLO objective such as "P95 latency < 2s": listed, unbound until a query is given.
public struct DerivedSLO: Sendable, Equatable {
    public var name: String
    public var op: String
    public var value: Double
    public var unit: String?
    public var line: Int
    public var text: String

    public init(name: String, op: String, value: Double, unit: String? = nil, line: Int, text: String) {
        self.name = name
        self.op = op
        self.value = value
        self.unit = unit
        self.line = line
        self.text = text
    }
}

/// Rollback time targets: how long deciding, executing and verifying a rollback may take.
public struct DerivedTargets: Sendable, Equatable {
    public var decideMs: Int64?
    public var executeMs: Int64?
    public var verifyMs: Int64?

    public init(decideMs: Int64? = nil, executeMs: Int64? = nil, verifyMs: Int64? = nil) {
        self.decideMs = decideMs
        self.executeMs = executeMs
        self.verifyMs = verifyMs
    }
}

public struct Derivation: Sendable, Equatable {
    /// Strictly increasing percentages within 1–100.
    public var steps: [DerivedStep]
    public var criteria: [DerivedCriterion]
    public var slos: [DerivedSLO]
    public var targets: DerivedTargets
    public var contacts: [Contact]
    /// What could not be derived, or was ambiguous, in words for the person writing the config.
    public var notes: [String]

    public init(steps: [DerivedStep] = [], criteria: [DerivedCriterion] = [], slos: [DerivedSLO] = [],
                targets: DerivedTargets = DerivedTargets(), contacts: [Contact] = [], notes: [String] = []) {
        self.steps = steps
        self.criteria = criteria
        self.slos = slos
        self.targets = targets
        self.contacts = contacts
        self.notes = notes
    }
}

extension Checklist {
    /// Reads the ramp, rollback triggers, SLOs, rollback time targets and contacts out of the checklist's text.
    public func derive() -> Derivation {
        Deriver(self).run()
    }
}
