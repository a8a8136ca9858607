/// Telemetry verdicts: SLO gauges and rollback lights, as pure state machines over `Observation`s.
///
/// The poller (WarRoomTelemetry) maps each reading to an `Observation` and hands it, with the time it was taken,
/// to a `Gauge` or a `LightMonitor`. Both return a change record when their verdict changes, for the caller to
/// journal; both answer `status(now:)` for the console without side effects. Time is always passed in.
///
/// Shared rule: a source's readings are expected every `intervalMs`; the *grace* is three intervals. A gauge whose
/// last good value is older than the grace is STALE; a light with no reading at all for longer than the grace is
/// BLIND. Callers that want those time-driven changes journaled call `tick(now:)` (the console's one-second tick);
/// `status(now:)` always shows them regardless.

// MARK: Conditions

public enum Comparison: String, Sendable, Codable, CaseIterable {
    case lt = "<", le = "<=", gt = ">", ge = ">=", eq = "==", ne = "!="
}

/// A threshold such as `<= 2` or `> 5`, compared against a metric in the metric's own unit.
public struct Condition: Sendable, Equatable, Codable, CustomStringConvertible {
    public var op: Comparison
    public var value: Double

    public init(_ op: Comparison, _ value: Double) {
        self.op = op
        self.value = value
    }

    /// Parses `<op> <number> [unit]`.
    ///
    /// - Operators: `<`, `<=`, `>`, `>=`, `==`, `!=` (also `≤`, `≥`, `≠`). A bare `=` or a missing operator is
    ///   rejected: a threshold must say which way it goes.
    /// - Number: decimal, optional sign, optional fraction and exponent (`2`, `-1`, `.5`, `99.9`, `1e-3`). `nan`,
    ///   `inf`, hex and anything that overflows to infinity are rejected.
    /// - Whitespace around the operator and the number is optional.
    /// - A trailing unit is accepted only when it cannot change the meaning: it must equal `unit` (the metric's unit,
    ///   e.g. `<= 2 s` for unit `s`), or, when no unit is given, be `%` (so `> 5%` reads as `> 5` against a metric
    ///   expressed in percent). Any other trailing text is rejected rather than ignored, so `<= 2000 ms` can never be
    ///   silently compared against a metric in seconds.
    public static func parse(_ text: String, unit: String? = nil) -> Condition? {
        let s = Array(text.unicodeScalars)
        var i = 0
        func skipSpace() { while i < s.count, s[i] == " " || s[i] == "\t" { i += 1 } }
        func at(_ k: Int) -> Unicode.Scalar? { k < s.count ? s[k] : nil }
        skipSpace()
        guard let c0 = at(i) else { return nil }
        let op: Comparison
        switch (c0, at(i + 1)) {
        case ("<", "="): op = .le; i += 2
        case (">", "="): op = .ge; i += 2
        case ("=", "="): op = .eq; i += 2
        case ("!", "="): op = .ne; i += 2
        case ("<", _): op = .lt; i += 1
        case (">", _): op = .gt; i += 1
        case ("≤", _): op = .le; i += 1
        case ("≥", _): op = .ge; i += 1
        case ("≠", _): op = .ne; i += 1
        default: return nil
        }
        skipSpace()
        let start = i
        func isDigit(_ c: Unicode.Scalar?) -> Bool { c.map { $0 >= "0" && $0 <= "9" } ?? false }
        if at(i) == "+" || at(i) == "-" { i += 1 }
        var mantissaDigits = 0
        while isDigit(at(i)) { i += 1; mantissaDigits += 1 }
        if at(i) == "." {
            i += 1
            while isDigit(at(i)) { i += 1; mantissaDigits += 1 }
        }
        guard mantissaDigits > 0 else { return nil }
        if at(i) == "e" || at(i) == "E" {
            var j = i + 1
            if at(j) == "+" || at(j) == "-" { j += 1 }
            if isDigit(at(j)) {
                while isDigit(at(j)) { j += 1 }
                i = j
            }
        }
        var number = ""
        number.unicodeScalars.append(contentsOf: s[start..<i])
        guard let v = Double(number), v.isFinite else { return nil }
        skipSpace()
        var rest = ""
        rest.unicodeScalars.append(contentsOf: s[i...])
        while let last = rest.unicodeScalars.last, last == " " || last == "\t" { rest.unicodeScalars.removeLast() }
        if !rest.isEmpty {
            if let unit {
                guard rest == unit else { return nil }
            } else {
                guard rest == "%" else { return nil }
            }
        }
        return Condition(op, v)
    }

    /// Exact IEEE comparison (`==`/`!=` compare exactly). NaN never holds, on either side, for any operator
    /// (not even `!=`). Infinities compare normally: `+Inf` fails `<= 2` and holds `> 5`.
    public func holds(_ x: Double) -> Bool {
        guard !x.isNaN, !value.isNaN else { return false }
        switch op {
        case .lt: return x < value
        case .le: return x <= value
        case .gt: return x > value
        case .ge: return x >= value
        case .eq: return x == value
        case .ne: return x != value
        }
    }

    /// `<= 2`, `< 0.1`, `>= 99.9`: parses back to the same condition.
    public var description: String { "\(op.rawValue) \(plainNumber(value))" }

    /// `> 5 %` when a unit is given, else `description`.
    public func description(unit: String?) -> String {
        guard let unit, !unit.isEmpty else { return description }
        return "\(description) \(unit)"
    }
}

// MARK: Observations

/// One firing alert as Alertmanager reported it.
public struct AlertSummary: Sendable, Equatable, Codable {
    public var name: String
    public var summary: String?
    /// Stable identity of this firing (e.g. sorted labels + startsAt); acknowledgements are remembered by it.
    public var fingerprint: String
    /// The alert's labels (`severity`, `service`, …): the detail view names the key ones.
    public var labels: [String: String]

    public init(name: String, summary: String? = nil, fingerprint: String, labels: [String: String] = [:]) {
        self.name = name
        self.summary = summary
        self.fingerprint = fingerprint
        self.labels = labels
    }

    enum CodingKeys: String, CodingKey { case name, summary, fingerprint, labels }

    /// Views published by an older driver have no labels.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        summary = try c.decodeIfPresent(String.self, forKey: .summary)
        fingerprint = try c.decode(String.self, forKey: .fingerprint)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
    }

    /// The labels worth a glance, `severity=critical service=checkout`: the usual routing labels first, then the
    /// rest by name, at most `limit`; `alertname` is the name already.
    public func keyLabels(limit: Int = 5) -> String {
        let first = ["severity", "service", "team", "env", "environment", "cluster", "namespace", "job", "instance"]
        let names = labels.keys.filter { $0 != "alertname" && !$0.hasPrefix("__") }
        let ordered = first.filter { names.contains($0) } + names.filter { !first.contains($0) }.sorted()
        return ordered.prefix(limit).map { "\($0)=\(labels[$0] ?? "")" }.joined(separator: " ")
    }
}

/// What a poll produced, in core terms (the telemetry layer maps its readings to this).
public enum Observation: Sendable, Equatable {
    /// A number (NaN counts as "no usable value"; ±Inf is a value and compares normally).
    case value(Double)
    /// The query answered but returned nothing (an empty vector).
    case noData
    /// The read failed: connection refused, timeout, bad response. The text is shown to the operator.
    case failure(String)
    /// The matching alerts currently firing (empty: none).
    case alerts([AlertSummary])
}
