/// Why a rollback light or an SLO gauge is in its state: the text of the console's detail view (issue 14), built
/// from the config and the telemetry view the console reads — live on the driver, the driver's published view on a
/// follower (the same words, as far as that view carries the data), what the journal recorded in a replay.
public struct Explanation: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        /// `source`, `query`, `value`, `sample`, … (empty: a continuation of the line above).
        public var label: String
        public var text: String

        public init(_ label: String, _ text: String) {
            self.label = label
            self.text = text
        }
    }

    /// `Error rate · rollback criterion`, `P95 latency · SLO`.
    public var title: String
    public var state: SignalState
    public var lines: [Line]

    /// `label  text` lines, labels padded to one column (for tests and plain-text use).
    public var text: [String] {
        let w = lines.map(\.label.count).max() ?? 0
        return lines.map { $0.label + String(repeating: " ", count: w - $0.label.count) + "  " + $0.text }
    }
}

extension Engine {
    /// The detail of rollback criterion `name`; nil when the config has none of that name.
    public func explainLight(_ name: String) -> Explanation? {
        guard let l = config.lights.first(where: { $0.name == name }) else { return nil }
        let live = telemetry.lights.first { $0.name == name }
        let journaled = run.tripped[name]
        let state: SignalState = journaled != nil ? .tripped : (live?.status ?? (l.manual ? .ok : .unknown))
        var out: [Explanation.Line] = []
        func add(_ label: String, _ text: String) { out.append(Explanation.Line(label, text)) }

        // What it is in, and since when.
        var head = state.label
        if let since = journaled?.since ?? live?.since { head += " since \(Timestamp.hms(since)) (\(DurationText.spoken(now - since)) ago)" }
        if l.manual, journaled == nil { head += " — manual: a person trips it with x and a reason" }
        if live == nil, !l.manual, journaled == nil { head += " — no reading: \(driving ? "no poll has answered yet" : "no view from the driver yet")" }
        add("state", head)
        if let t = journaled {
            add("tripped", "by \(t.by)" + (t.reason.map { ": “\($0)”" } ?? ""))
            if let d = t.detail, d != "manual" { add("", "on \(d)") }
        }
        if l.auto { add("auto", "rolls back by itself when it trips") }

        // Where it reads, and what.
        if let source = l.source {
            add("source", sourceText(source))
            if let q = l.query { add("query", q) }
            if let m = l.match { add("match", m.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) }
        } else if let note = l.note {
            add("source", "none (manual) — the checklist says: \(note)")
        }

        // The value against the threshold, and the `for` window.
        if let trip = l.trip, l.match == nil, !l.manual {
            let cond = trip.description(unit: l.unit)
            if let x = live?.number {
                let v = formatValue(x, unit: l.unit)
                let holds = trip.holds(x)
                if state == .watch, let since = live?.since {
                    let held = max(0, now - since)
                    var text = "\(v) \(cond) for \(DurationText.spoken(held)) of \(DurationText.spoken(l.forMs))"
                    if let at = live?.tripsAt { text += at > now ? " — trips in \(DurationText.spoken(at - now))" : " — trips on the next reading that holds" }
                    add("value", text)
                } else if state == .tripped {
                    add("value", holds ? "now \(v) \(cond)" : "now \(v), not \(cond) (the trip stays until x acknowledges it)")
                } else if holds {
                    add("value", "\(v) \(cond)" + (l.forMs > 0 ? " (trips when it holds for \(DurationText.spoken(l.forMs)))" : ""))
                } else {
                    add("value", "\(v) — trips when \(cond)" + (l.forMs > 0 ? " for \(DurationText.spoken(l.forMs))" : ""))
                }
            } else {
                add("value", "none yet — trips when \(cond)" + (l.forMs > 0 ? " for \(DurationText.spoken(l.forMs))" : ""))
            }
        }

        // The alerts firing (an Alertmanager light).
        if l.match != nil, let alerts = live?.alerts {
            if alerts.isEmpty { add("alerts", "none firing") }
            for (i, a) in alerts.enumerated() {
                let summary = a.summary.flatMap { $0.isEmpty ? nil : " — \($0)" } ?? ""
                add(i == 0 ? "alerts" : "", "\(a.name)\(summary)")
                let labels = a.keyLabels()
                if !labels.isEmpty { add("", "  \(labels)") }
            }
        }

        sampleLines(lastGoodAt: live?.lastGoodAt, lastReadAt: live?.lastReadAt, problem: live?.problem, add: add)
        if let live, live.number == nil, live.alerts == nil, live.lastReadAt == nil, !live.detail.isEmpty { add("now", live.detail) }
        if let live, live.detail.hasPrefix("driver silent") { add("view", live.detail) }
        return Explanation(title: "\(name) · rollback criterion", state: state, lines: out)
    }

    /// The detail of SLO `name`; nil when the config has none of that name.
    public func explainSLO(_ name: String) -> Explanation? {
        guard let s = config.slos.first(where: { $0.name == name }) else { return nil }
        let g = telemetry.gauges.first { $0.name == name }
        let state: SignalState = !s.bound ? .unbound : (g?.status ?? .unknown)
        var out: [Explanation.Line] = []
        func add(_ label: String, _ text: String) { out.append(Explanation.Line(label, text)) }
        add("state", state.label + (g == nil && s.bound ? " — no reading: \(driving ? "no poll has answered yet" : "no view from the driver yet")" : ""))
        guard let source = s.source else {
            add("source", "none: no query, shown and not gated on (the team watches it by other means)")
            add("objective", s.objective.description(unit: s.unit))
            return Explanation(title: "\(name) · SLO", state: state, lines: out)
        }
        add("source", sourceText(source))
        if let q = s.query { add("query", q) }
        let objective = s.objective.description(unit: s.unit)
        let warn = s.warn.map { $0.description(unit: s.unit) }
        if let x = g?.number {
            let v = formatValue(x, unit: s.unit)
            let verdict: String
            if !s.objective.holds(x) { verdict = "\(v) breaks the objective \(objective)" }
            else if let w = s.warn, let warn, !w.holds(x) { verdict = "\(v) meets the objective \(objective), outside the warning band \(warn)" }
            else { verdict = "\(v) meets the objective \(objective)" + (warn.map { " and the warning band \($0)" } ?? "") }
            add("value", (state == .unknown || state == .stale ? "last " : "") + verdict)
        } else {
            add("value", "none yet — objective \(objective)" + (warn.map { ", warn outside \($0)" } ?? ""))
        }
        sampleLines(lastGoodAt: g?.lastGoodAt, lastReadAt: g?.lastReadAt, problem: g?.problem, add: add)
        if let interval = config.sources.first(where: { $0.name == source })?.intervalMs {
            add("interval", "read every \(DurationText.spoken(interval)); STALE after \(DurationText.spoken(3 * interval)) without a reading")
        }
        if let g, g.detail.hasPrefix("driver silent") { add("view", g.detail) }
        return Explanation(title: "\(name) · SLO", state: state, lines: out)
    }

    /// `sample`: the last good value's age; `read`: a later bad reading and why.
    private func sampleLines(lastGoodAt: Millis?, lastReadAt: Millis?, problem: String?, add: (String, String) -> Void) {
        if let t = lastGoodAt {
            add("sample", "\(DurationText.spoken(max(0, now - t))) old (\(Timestamp.hms(t)))")
        } else if lastReadAt != nil {
            add("sample", "none good yet")
        }
        if let problem {
            let when = lastReadAt.map { " \(DurationText.spoken(max(0, now - $0))) ago" } ?? ""
            add("failing", "last read\(when): \(problem)")
        }
    }

    /// `prom — prometheus http://prom:9090`, `batch — command ./check.sh --json`: a source as configured (no
    /// secrets: tokens are named by variable or file in the config, and a URL's user:password is masked).
    func sourceText(_ name: String) -> String {
        guard let src = config.sources.first(where: { $0.name == name }) else { return "\(name) (not configured here)" }
        let what: String
        switch src.kind {
        case .prometheus(let url): what = "prometheus \(Self.maskUserInfo(url))"
        case .alertmanager(let url): what = "alertmanager \(Self.maskUserInfo(url))"
        case .http(let url, let expect): what = "http \(Self.maskUserInfo(url)) (expects \(expect))"
        case .command(let argv): what = "command \(argv.joined(separator: " "))"
        case .file(let path, let field): what = "file \(path)" + (field.map { " field \($0)" } ?? "")
        }
        return "\(name) — \(what)"
    }

    /// `https://user:secret@host/x` → `https://***@host/x`.
    static func maskUserInfo(_ url: String) -> String {
        let parts = url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        // "scheme:", "", "authority", "path…"
        guard parts.count >= 3, parts[0].hasSuffix(":"), parts[1].isEmpty, let at = parts[2].lastIndex(of: "@") else { return url }
        var out = parts
        out[2] = "***" + parts[2][at...]
        return out.joined(separator: "/")
    }
}
