/// The run's configuration as a model: `warroom.yaml` (read by WarRoomConfig), or what `warroom init --from` and
/// `run --checklist` derive from a checklist. Codable: the effective config is journaled at run start, so a state
/// directory describes its own run. It never holds a secret (tokens are named by variable or file, never by value).

/// Where readings come from.
public enum SourceKind: Sendable, Equatable, Codable {
    /// A Prometheus-compatible server (Prometheus, Thanos, Mimir, VictoriaMetrics): the base URL, e.g.
    /// `http://prometheus:9090` or `https://mimir.example/prometheus`. Each probe's `query` is sent as an
    /// instant query, `GET {url}/api/v1/query?query=...`.
    case prometheus(url: String)
    /// An Alertmanager base URL: `GET {url}/api/v2/alerts?active=true&silenced=false&inhibited=false`,
    /// read once per tick for all of the source's probes.
    case alertmanager(url: String)
    /// A probe: `GET url`; the reading is the latency in seconds when the status is `expect`.
    case http(url: String, expect: Int)
    /// A program (argv, no shell) that prints a number on stdout.
    case command(argv: [String])
    /// A file holding a number, or a JSON object with the number at a dotted path (`"batch.errors"`).
    case file(path: String, field: String?)

    public var name: String {
        switch self {
        case .prometheus: "prometheus"
        case .alertmanager: "alertmanager"
        case .http: "http"
        case .command: "command"
        case .file: "file"
        }
    }
}

/// A telemetry source as configured (the poller gets these, mapped to its own specs).
public struct SourceConfig: Sendable, Equatable, Codable {
    public var name: String
    public var kind: SourceKind
    public var intervalMs: Millis
    public var timeoutMs: Millis
    /// The environment variable holding a bearer token (its value is read at start, never printed).
    public var tokenEnv: String?
    /// A file holding a bearer token.
    public var tokenFile: String?
    public var line: Int

    public init(name: String, kind: SourceKind, intervalMs: Millis = 5_000, timeoutMs: Millis = 2_000, tokenEnv: String? = nil,
                tokenFile: String? = nil, line: Int = 0) {
        self.name = name
        self.kind = kind
        self.intervalMs = intervalMs
        self.timeoutMs = timeoutMs
        self.tokenEnv = tokenEnv
        self.tokenFile = tokenFile
        self.line = line
    }
}

public struct SLOConfig: Sendable, Equatable, Codable {
    public var name: String
    /// Nil: listed from the checklist, not yet bound to a query (shown as UNKNOWN, and it blocks GO).
    public var source: String?
    public var query: String?
    public var unit: String?
    public var objective: Condition
    public var warn: Condition?
    public var pick: [String: String]?
    public var line: Int

    public init(name: String, source: String? = nil, query: String? = nil, unit: String? = nil, objective: Condition,
                warn: Condition? = nil, pick: [String: String]? = nil, line: Int = 0) {
        self.name = name
        self.source = source
        self.query = query
        self.unit = unit
        self.objective = objective
        self.warn = warn
        self.pick = pick
        self.line = line
    }

    public var bound: Bool { source != nil }
}

/// A rollback criterion: a manual light, a metric-bound one (`query` + `trip` + `for`) or an alert-bound one (`match`).
public struct LightConfig: Sendable, Equatable, Codable {
    public var name: String
    public var source: String?
    public var query: String?
    public var trip: Condition?
    public var forMs: Millis
    public var match: [String: String]?
    public var pick: [String: String]?
    /// Roll back without asking when it trips.
    public var auto: Bool
    /// A threshold read from the checklist's text, kept for binding later (the light is manual until then).
    public var note: String?
    public var line: Int
    /// The metric's unit (`%`, `s`), for the console and the detail view; `trip: "> 5 %"` may name it.
    public var unit: String?

    public init(name: String, source: String? = nil, query: String? = nil, trip: Condition? = nil, forMs: Millis = 0,
                match: [String: String]? = nil, pick: [String: String]? = nil, auto: Bool = false, note: String? = nil,
                line: Int = 0, unit: String? = nil) {
        self.unit = unit
        self.name = name
        self.source = source
        self.query = query
        self.trip = trip
        self.forMs = forMs
        self.match = match
        self.pick = pick
        self.auto = auto
        self.note = note
        self.line = line
    }

    /// No telemetry binds it: an operator trips and clears it.
    public var manual: Bool { source == nil }
}

/// The whole run configuration: `warroom.yaml`, or what `warroom init --from` / `run --checklist` derive.
public struct RunConfig: Sendable, Equatable, Codable {
    /// The config file, or nil when derived from a checklist.
    public var path: String?
    public var service: String
    /// The checklist, resolved relative to the config file.
    public var checklist: String
    public var t0: Millis?
    /// The UTC offset `t0` was written with, in minutes east of UTC (`…-05:00` → -300): the mission's local days and
    /// clock times ("(9:15-9:45 AM)") are read in it. nil: UTC.
    public var t0UTCOffsetMinutes: Int?
    public var plan: RampPlan
    /// Lines of each step in the config (for diagnostics); empty when derived.
    public var apply: [String]?
    public var rollbackHook: [String]?
    public var hookTimeoutMs: Millis
    /// Hooks run here (the config file's directory).
    public var hookDirectory: String
    public var lights: [LightConfig]
    public var contacts: [Contact]?
    public var sources: [SourceConfig]
    public var slos: [SLOConfig]
    /// `group:` — the Unix group a new state directory is shared with (as `warroom run --group`); nil: private.
    public var group: String?
    /// `store:` — the run kept in etcd (`etcd://HOST:PORT[,…]/PREFIX`, as `warroom run --store`); nil: a state directory.
    public var store: String?
    /// `store: {url: …, cacert: …, cert: …, key: …, user: …, password_file: …, password_env: …}` — how to get into
    /// that etcd (files resolved against the config's directory); nil: nothing beyond the URL.
    public var storeAccess: StoreAccessConfig?
    /// `environment:` — what hooks and command sources get beyond the allow-list, and which variables hold secrets.
    public var environment: EnvironmentConfig?
    /// `keys:` — console commands given other keys (the key table checks the names and clashes).
    public var keys: [KeyRemap]?
    /// `ramp.traffic:` — a built-in adapter moves the traffic and reads it back (instead of apply/rollback hooks).
    public var traffic: TrafficConfig?
    /// `notify:` — where decisions, trips, hook failures, hand-overs and overdue phases are sent (NotifyConfig.swift).
    public var notify: [NotifyTarget]?
    /// `comms:` — the stakeholder-update cadence during the ramp.
    public var comms: CommsConfig?

    public init(path: String?, service: String, checklist: String, t0: Millis? = nil, plan: RampPlan,
                apply: [String]? = nil, rollbackHook: [String]? = nil, hookTimeoutMs: Millis = 60_000,
                hookDirectory: String = ".", lights: [LightConfig] = [], contacts: [Contact]? = nil,
                sources: [SourceConfig] = [], slos: [SLOConfig] = []) {
        self.path = path
        self.service = service
        self.checklist = checklist
        self.t0 = t0
        self.plan = plan
        self.apply = apply
        self.rollbackHook = rollbackHook
        self.hookTimeoutMs = hookTimeoutMs
        self.hookDirectory = hookDirectory
        self.lights = lights
        self.contacts = contacts
        self.sources = sources
        self.slos = slos
    }
}

/// `environment:` in the config. Hooks and `command` sources start from an allow-list of this process's environment
/// (PATH, HOME, locale, …; see `ChildEnvironment` in WarRoomTelemetry), never all of it.
public struct EnvironmentConfig: Sendable, Equatable, Codable {
    /// More variables handed on from warroom's own environment (e.g. KUBECONFIG, AWS_PROFILE).
    public var pass: [String]
    /// Variables set to these values (after `pass`; warroom's own WARROOM_* for hooks come last).
    public var set: [String: String]
    /// Variables whose values are secrets: redacted from every text a child or a server sends back, like tokens.
    public var secret: [String]
    public var line: Int

    public init(pass: [String] = [], set: [String: String] = [:], secret: [String] = [], line: Int = 0) {
        self.pass = pass
        self.set = set
        self.secret = secret
        self.line = line
    }
}

extension RunConfig {
    /// The names whose values are secrets: every source's `token_env`, `environment.secret`, the `notify:` targets' `url_env` and `token_env`, and `ramp.traffic.token_env`.
    public var secretVariables: [String] {
        var names = sources.compactMap(\.tokenEnv)
        for n in environment?.secret ?? [] where !names.contains(n) { names.append(n) }
        if let n = storeAccess?.passwordVariable, !names.contains(n) { names.append(n) }
        for t in notify ?? [] { for n in [t.urlEnv, t.tokenEnv].compactMap({ $0 }) where !names.contains(n) { names.append(n) } }
        if let n = traffic?.settings["token_env"], !names.contains(n) { names.append(n) }
        return names
    }

    /// The config as it may be journaled or shown: a password in a source URL (`https://user:pass@host`) becomes
    /// `[redacted]`, and so does an `environment.set` value of a secret variable. Tokens are never in a config (only
    /// the variable or file that holds them).
    public func redactingCredentials() -> RunConfig {
        var c = self
        if var e = environment {
            let secret = Set(secretVariables)
            for (k, _) in e.set where secret.contains(k) { e.set[k] = "[redacted]" }
            c.environment = e
        }
        c.notify = notify?.map { $0.redacted() }
        c.sources = sources.map { s in
            var s = s
            switch s.kind {
            case .prometheus(let u): s.kind = .prometheus(url: Self.redactPassword(u))
            case .alertmanager(let u): s.kind = .alertmanager(url: Self.redactPassword(u))
            case .http(let u, let e): s.kind = .http(url: Self.redactPassword(u), expect: e)
            case .command, .file: break
            }
            return s
        }
        return c
    }

    /// `scheme://user:secret@host/…` → `scheme://user:[redacted]@host/…`; anything else unchanged.
    public static func redactPassword(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let ends: Set<Character> = ["/", "?", "#"]
        let authorityEnd = rest.firstIndex { ends.contains($0) } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else { return url }
        let userinfo = authority[..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return url }
        return String(url[..<schemeEnd.upperBound]) + userinfo[..<colon] + ":[redacted]" + String(rest[at...])
    }
}

/// One line of `keys:` in the config: `skip: "z"` or `pageUp: ["PgUp", "^U"]`. The console's key table reads it.
public struct KeyRemap: Sendable, Equatable, Codable {
    /// The command's name as the key table has it (`go`, `skip`, `pageUp`, …).
    public var command: String
    /// Key names: one character, `^X` for a control key, or `PgUp` `PgDn` `Home` `End` `Enter` `Tab` `F1`….
    public var keys: [String]
    public var line: Int

    public init(command: String, keys: [String], line: Int) {
        self.command = command
        self.keys = keys
        self.line = line
    }
}
