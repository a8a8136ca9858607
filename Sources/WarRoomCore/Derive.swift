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

    public init(percent: Int, holdMs: Int64? = nil, line: Int, text: String) {
        self.percent = percent
        self.holdMs = holdMs
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
        var d = Deriver(self)
        return d.run()
    }
}

// MARK: - Bytes and words

private let SP: UInt8 = 0x20, DOT: UInt8 = 0x2E, COMMA: UInt8 = 0x2C, COLON: UInt8 = 0x3A, PCT: UInt8 = 0x25
private let PLUS: UInt8 = 0x2B, DASH: UInt8 = 0x2D, LT: UInt8 = 0x3C, GT: UInt8 = 0x3E, EQ: UInt8 = 0x3D
private let LPAREN: UInt8 = 0x28, RPAREN: UInt8 = 0x29, SLASH: UInt8 = 0x2F, TILDE: UInt8 = 0x7E

@inline(__always) private func isDigitB(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
@inline(__always) private func isLetterB(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
@inline(__always) private func isAlnumB(_ c: UInt8) -> Bool { isDigitB(c) || isLetterB(c) }
@inline(__always) private func isWordB(_ c: UInt8) -> Bool { isAlnumB(c) || c >= 0x80 }

private func lowered(_ b: [UInt8]) -> [UInt8] { b.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 } }
private func str(_ b: ArraySlice<UInt8>) -> String { String(decoding: b, as: UTF8.self) }
private func words(_ list: [String]) -> [[UInt8]] { list.map { Array($0.utf8) } }

/// Arrows, comparison signs and dashes as ASCII, including their double-encoded (UTF-8 read as Windows-1252)
/// forms that real checklists carry ("â†’", "â‰¤").
private let replacements: [([UInt8], [UInt8])] = [
    ([0xC3, 0xA2, 0xE2, 0x80, 0xA0, 0xE2, 0x80, 0x99], Array("->".utf8)), // â†’
    ([0xC3, 0xA2, 0xE2, 0x80, 0xB0, 0xC2, 0xA4], Array("<=".utf8)),       // â‰¤
    ([0xC3, 0xA2, 0xE2, 0x80, 0xB0, 0xC2, 0xA5], Array(">=".utf8)),       // â‰¥
    ([0xC3, 0xA2, 0xE2, 0x82, 0xAC, 0xE2, 0x80, 0x9C], Array("-".utf8)),  // â€“
    ([0xC3, 0xA2, 0xE2, 0x82, 0xAC, 0xE2, 0x80, 0x9D], Array("-".utf8)),  // â€”
    (Array("→".utf8), Array("->".utf8)), (Array("⇒".utf8), Array("->".utf8)), (Array("⟶".utf8), Array("->".utf8)),
    (Array("➔".utf8), Array("->".utf8)), (Array("➜".utf8), Array("->".utf8)), (Array("➡".utf8), Array("->".utf8)),
    (Array("≤".utf8), Array("<=".utf8)), (Array("≥".utf8), Array(">=".utf8)),
    (Array("⩽".utf8), Array("<=".utf8)), (Array("⩾".utf8), Array(">=".utf8)),
    (Array("–".utf8), Array("-".utf8)), (Array("—".utf8), Array("-".utf8)), (Array("−".utf8), Array("-".utf8)),
    ([0xC2, 0xA0], [SP]),       // no-break space
    ([0xEF, 0xB8, 0x8F], []),   // variation selector-16 after an emoji arrow
]

private func normalized(_ s: String) -> [UInt8] {
    let u = Array(s.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(u.count)
    var i = 0
    next: while i < u.count {
        let c = u[i]
        if c >= 0xC2 {
            for (from, to) in replacements where from[0] == c && i + from.count <= u.count {
                var k = 1
                while k < from.count, u[i + k] == from[k] { k += 1 }
                if k == from.count {
                    out.append(contentsOf: to)
                    i += from.count
                    continue next
                }
            }
        }
        out.append(c)
        i += 1
    }
    return out
}

/// Index of `w` in `l` starting at a word boundary (prefix match: "rout" finds "routing"); `whole` also needs a
/// boundary after it (an `s` for the plural allowed).
private func find(_ l: [UInt8], _ w: [UInt8], from: Int = 0, whole: Bool = false) -> Int? {
    guard !w.isEmpty, l.count >= w.count else { return nil }
    var i = max(0, from)
    while i + w.count <= l.count {
        if l[i] == w[0], i == 0 || !isWordB(l[i - 1]) || !isWordB(w[0]) {
            var k = 1
            while k < w.count, l[i + k] == w[k] { k += 1 }
            if k == w.count {
                if !whole { return i }
                var e = i + k
                if e < l.count, l[e] == 0x73 { e += 1 }
                if e >= l.count || !isWordB(l[e]) { return i }
            }
        }
        i += 1
    }
    return nil
}

private func hasAny(_ l: [UInt8], _ ws: [[UInt8]], whole: Bool = false) -> Bool {
    ws.contains { find(l, $0, whole: whole) != nil }
}

/// The word in `ws` at `i`: whole words, or (with `prefix`) words starting so ("improv" for "improvement").
private func startsWithAny(_ l: [UInt8], at i: Int, _ ws: [[UInt8]], prefix: Bool = false) -> [UInt8]? {
    for w in ws where i + w.count <= l.count {
        var k = 0
        while k < w.count, l[i + k] == w[k] { k += 1 }
        if k == w.count, prefix || i + k >= l.count || !isWordB(l[i + k]) { return w }
    }
    return nil
}

private let rollbackWords = words(["rollback", "roll back", "roll-back", "rolling back", "revert", "abort", "backout", "back out", "back-out"])
private let rollbackLineWords = rollbackWords + words(["back to"])
private let triggerWords = words(["trigger", "criteria", "criterion", "condition", "when to", "signal"])
/// Matched as whole words (with a plural s): "Planned Rollback" is not a plan.
private let procedureWords = words(["procedure", "step", "plan", "process", "execution", "action", "checklist", "runbook",
                                    "playbook", "how to", "recovery", "readiness", "preparation", "target"])
private let sloTitleWords = words(["slo", "sla", "sli", "service level", "service-level"])
private let quietSLOWords = words(["load test", "spike test", "stress test", "soak test", "performance test", "benchmark",
                                   "nice to have", "nice-to-have", "stretch", "aspirational"])
private let rampWords = words(["traffic", "rout", "ramp", "shift", "weight", "canary", "cutover", "cut over", "cut-over",
                               "rollout", "roll out", "roll-out", "of requests", "of queries"])
private let observeWords = words(["monitor", "observ", "watch", "wait", "hold", "bake", "soak", "dwell"])
private let metricBefore = words(["error", "errors", "rate", "cpu", "memory", "mem", "disk", "availability", "uptime",
                                  "coverage", "utilization", "utilisation", "budget", "success", "latency"])
private let metricAfter = words(["error", "cpu", "memory", "disk", "availab", "uptime", "success", "coverage", "capacity",
                                 "budget", "test", "complet", "done", "improv", "reduc", "increas", "decreas", "utili",
                                 "confiden", "accura", "row", "threshold", "packet", "loss", "fail", "pass"])
private let comparatorBefore = words(["under", "below", "above", "over", "exceed", "exceeds", "exceeded", "exceeding",
                                      "than", "least", "most", "by", "within", "max", "min", "maximum", "minimum"])
private let sliWords = words(["latency", "error", "availability", "uptime", "success rate", "throughput", "response time",
                              "apdex"])

private let rampColumnWords = words(["traffic", "weight", "canary", "ramp", "split", "share", "exposure", "rollout"])
private let stepColumnWords = words(["step", "stage", "phase"])
private let percentWord = words(["percent"])
private let holdColumnWords = words(["hold", "observ", "duration", "bake", "soak", "wait", "window", "dwell", "time"])
private let leadInWords = words(["if", "when", "any of", "trigger", "following"])
private let totalWords = words(["total", "overall"])
private let decideWords = words(["decision", "decide"])
private let verifyWords = words(["verif", "validat", "confirm", "health", "smoke"])
private let executeWords = words(["execut", "complet", "restor", "revert", "rout", "shift", "switch", "redeploy", "roll back",
                                  "rollback", "rolled back", "swap", "failover", "fail over"])

// MARK: - Numbers, durations, clock times

private struct Num {
    var value: Double
    var int: Int?
    var start: Int
    var end: Int
}

private func readNumber(_ b: [UInt8], _ i: Int) -> Num? {
    guard i < b.count, isDigitB(b[i]) else { return nil }
    var j = i
    while j < b.count, isDigitB(b[j]) { j += 1 }
    var isInt = true
    // 10,000
    if j - i <= 3, j + 3 < b.count, b[j] == COMMA, isDigitB(b[j + 1]), isDigitB(b[j + 2]), isDigitB(b[j + 3]),
       j + 4 >= b.count || !isDigitB(b[j + 4]) {
        j += 4
    }
    if j + 1 < b.count, b[j] == DOT, isDigitB(b[j + 1]) {
        isInt = false
        j += 1
        while j < b.count, isDigitB(b[j]) { j += 1 }
    }
    let digits = b[i..<j].filter { $0 != COMMA }
    // Long runs of digits are not quantities anyone writes in a checklist; keep them finite and harmless.
    let text = digits.count > 18 ? "1e18" : str(digits[...])
    let value = Double(text) ?? 0
    let int = isInt && digits.count <= 9 ? Int(value) : nil
    return Num(value: value, int: int, start: i, end: j)
}

/// Milliseconds per unit for a time word ("min", "minutes", "h", "s", …).
private func timeUnit(_ w: ArraySlice<UInt8>) -> Double? {
    switch str(w) {
    case "ms", "msec", "msecs", "millisecond", "milliseconds": return 1
    case "s", "sec", "secs", "second", "seconds": return 1000
    case "m", "min", "mins", "minute", "minutes": return 60_000
    case "h", "hr", "hrs", "hour", "hours": return 3_600_000
    case "d", "day", "days": return 86_400_000
    case "wk", "wks", "week", "weeks": return 604_800_000
    default: return nil
    }
}

/// The letters of the word starting at `i` (ASCII letters only).
private func wordEnd(_ l: [UInt8], _ i: Int) -> Int {
    var e = i
    while e < l.count, isLetterB(l[e]) { e += 1 }
    return e
}

private func msValue(_ v: Double, _ mult: Double) -> Int64? {
    let ms = (v * mult).rounded()
    guard ms.isFinite, ms >= 0, ms < 1e15 else { return nil }
    return Int64(ms)
}

private enum AtomKind: Equatable {
    case percent, bare
    case duration(Int64)
    /// A mission-clock offset such as "T+10 min": a point in time, not a length.
    case offset
    case clock
    case clockRange(Int64)
}

private struct Atom {
    var kind: AtomKind
    var num: Num
    var end: Int
    var start: Int { num.start }
}

private let numberWords: [String: Double] = [
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "sixty": 60,
]

/// "am"/"pm"/"a.m."/"p.m." at `k` (after an optional space): true for pm, false for am, nil for none.
private func meridian(_ l: [UInt8], _ k: inout Int) -> Bool? {
    var j = k
    if j < l.count, l[j] == SP { j += 1 }
    guard j + 1 < l.count, l[j] == 0x61 || l[j] == 0x70 else { return nil }
    let pm = l[j] == 0x70
    var e: Int
    if l[j + 1] == 0x6D { e = j + 2 }
    else if j + 3 < l.count, l[j + 1] == DOT, l[j + 2] == 0x6D, l[j + 3] == DOT { e = j + 4 }
    else { return nil }
    guard e >= l.count || !isLetterB(l[e]) else { return nil }
    k = e
    return pm
}

/// "H:MM" at `i`: minutes after midnight (12-hour unknown) and the index after it.
private func clockAt(_ b: [UInt8], _ i: Int) -> (Int, Int)? {
    guard let n = readNumber(b, i), let h = n.int, h <= 24, n.end + 2 < b.count, b[n.end] == COLON,
          isDigitB(b[n.end + 1]), isDigitB(b[n.end + 2]), n.end + 3 >= b.count || !isDigitB(b[n.end + 3]) else { return nil }
    let m = Int(b[n.end + 1] - 0x30) * 10 + Int(b[n.end + 2] - 0x30)
    guard m < 60 else { return nil }
    return (h * 60 + m, n.end + 3)
}

private func to24(_ minutes: Int, _ pm: Bool?) -> Int {
    guard let pm else { return minutes }
    var h = minutes / 60
    let m = minutes % 60
    if pm, h < 12 { h += 12 }
    if !pm, h == 12 { h = 0 }
    return h * 60 + m
}

private func atom(_ b: [UInt8], _ l: [UInt8], _ i: Int) -> Atom? {
    guard let n = readNumber(b, i) else { return nil }
    // Clock time, and a clock range "1:00-2:00 PM", "10:00 AM-5:00 PM".
    if let (m1, e1) = clockAt(b, i) {
        var k = e1
        let mer1 = meridian(l, &k)
        var r = k
        while r < b.count, b[r] == SP { r += 1 }
        var sep = false
        if r < b.count, b[r] == DASH { r += 1; sep = true }
        else if r + 2 < l.count, l[r] == 0x74, l[r + 1] == 0x6F, l[r + 2] == SP { r += 3; sep = true }
        if sep {
            while r < b.count, b[r] == SP { r += 1 }
            if let (m2, e2) = clockAt(b, r) {
                var k2 = e2
                let mer2 = meridian(l, &k2)
                let end = to24(m2, mer2)
                var start = to24(m1, mer1 ?? mer2)
                if mer1 == nil, mer2 != nil, start > end { start = to24(m1, !(mer2!)) }
                var diff = end - start
                if diff <= 0 { diff += (mer1 == nil && mer2 == nil) ? 720 : 1440 }
                if diff > 0, diff <= 1440 {
                    return Atom(kind: .clockRange(Int64(diff) * 60_000), num: n, end: k2)
                }
            }
        }
        return Atom(kind: .clock, num: n, end: k)
    }
    let j = n.end
    var k = j
    if k < b.count, b[k] == SP { k += 1 }
    if k < b.count, b[k] == PCT { return Atom(kind: .percent, num: n, end: k + 1) }
    if k < l.count, isLetterB(l[k]) {
        let e = wordEnd(l, k)
        if str(l[k..<e]) == "percent" { return Atom(kind: .percent, num: n, end: e) }
    }
    // Duration: "5 min", "30s", "5+ minutes", "24-hour", "5-15 minutes" (the upper end).
    var hi = n
    var r = j
    if r < b.count, b[r] == PLUS { r += 1 }
    if r + 1 < b.count, b[r] == DASH, isDigitB(b[r + 1]), let n2 = readNumber(b, r + 1) {
        hi = n2; r = n2.end
    } else if r + 4 < l.count, l[r] == SP, l[r + 1] == 0x74, l[r + 2] == 0x6F, l[r + 3] == SP, isDigitB(b[r + 4]),
              let n2 = readNumber(b, r + 4) {
        hi = n2; r = n2.end
    }
    var u = r
    if u < b.count, b[u] == SP || b[u] == DASH { u += 1 }
    let e = wordEnd(l, u)
    if e > u, e >= l.count || !isDigitB(l[e]), let mult = timeUnit(l[u..<e]), let ms = msValue(hi.value, mult) {
        let isOffset = i >= 2 && (b[i - 1] == PLUS || b[i - 1] == DASH) && l[i - 2] == 0x74 && (i < 3 || !isAlnumB(b[i - 3]))
        return Atom(kind: isOffset ? .offset : .duration(ms), num: n, end: e)
    }
    return Atom(kind: .bare, num: n, end: j)
}

/// "one hour", "seven days", "an hour".
private func wordDuration(_ l: [UInt8], _ i: Int) -> Atom? {
    let e = wordEnd(l, i)
    // Only "a", "an", "one" … "sixty" can start a spelled-out duration.
    guard e > i, e - i <= 7, [0x61, 0x6F, 0x74, 0x66, 0x73, 0x65, 0x6E].contains(l[i]),
          let v = numberWords[str(l[i..<e])] else { return nil }
    var u = e
    if u < l.count, l[u] == SP || l[u] == DASH { u += 1 } else { return nil }
    let ue = wordEnd(l, u)
    guard ue > u, let mult = timeUnit(l[u..<ue]), mult >= 1000, let ms = msValue(v, mult) else { return nil }
    return Atom(kind: .duration(ms), num: Num(value: v, int: Int(v), start: i, end: e), end: ue)
}

private func scanAtoms(_ b: [UInt8], _ l: [UInt8]) -> [Atom] {
    var out: [Atom] = []
    var i = 0
    while i < b.count {
        let c = b[i]
        let boundary = i == 0 || !(isAlnumB(b[i - 1]) || b[i - 1] == DOT || b[i - 1] == COLON)
        if isDigitB(c), boundary, let a = atom(b, l, i) {
            out.append(a)
            i = max(a.end, i + 1)
            continue
        }
        if isLetterB(c), i == 0 || !isWordB(b[i - 1]) {
            if let a = wordDuration(l, i) {
                out.append(a)
                i = a.end
                continue
            }
            i = wordEnd(l, i)
            continue
        }
        i += 1
    }
    return out
}

/// The previous word before `i` (skipping spaces and the punctuation in `skip`), lower-cased, and where it starts.
private func previousWord(_ l: [UInt8], before i: Int, skip: [UInt8] = [SP]) -> (String, Int)? {
    var k = i - 1
    while k >= 0, skip.contains(l[k]) || l[k] == SP { k -= 1 }
    guard k >= 0, isLetterB(l[k]) else { return nil }
    let e = k + 1
    var s = k
    while s > 0, isLetterB(l[s - 1]), e - s < 24 { s -= 1 }
    return (str(l[s..<e]), s)
}

// MARK: - Lines

private struct DLine {
    enum Kind { case item, bullet, text, row }
    var kind: Kind
    var line: Int
    var section: Int
    /// What a person reads: inline Markdown removed, task ID and `[P]` dropped; table cells joined by spaces.
    var plain: String
    var lead: String?
    var detail: String?
    /// `plain` with arrows, ≤/≥ and dashes as ASCII; and lower-cased.
    var b: [UInt8]
    var l: [UInt8]
    /// The enclosing item or bullet is about load tests or nice-to-haves (its numbers are not SLOs).
    var quietParent = false
    /// The enclosing item or bullet is about SLOs.
    var sloParent = false
    var cells: [String] = []
    var percentCol: Int?
    var holdCol: Int?
}

/// The text after a leading task ID and `[P]`, as written.
private func withoutIDs(_ raw: String) -> String {
    let u = Array(raw.utf8)
    var a = 0
    let b = u.count
    while a < b, u[a] == SP || u[a] == 0x09 { a += 1 }
    if let n = ItemText.leadingTaskID(u, a, b) {
        a += n
        if a < b, u[a] == COLON { a += 1 }
        while a < b, u[a] == SP { a += 1 }
    }
    if b - a >= 3, u[a] == 0x5B, u[a + 1] == 0x50, u[a + 2] == 0x5D {
        a += 3
        while a < b, u[a] == SP { a += 1 }
    }
    return str(u[a..<b])
}

/// Drops a leading emoji or mojibake run ("✅ ", "âœ… ") before the words.
private func withoutLeadingSymbols(_ s: String) -> String {
    let u = Array(s.utf8)
    var i = 0
    while i < u.count, u[i] >= 0x80 { i += 1 }
    guard i > 0, i < u.count, u[i] == SP else { return s }
    while i < u.count, u[i] == SP { i += 1 }
    return str(u[i...])
}

private func prefixBytes(_ s: String, _ n: Int) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(min(n, s.utf8.count))
    for c in s.utf8 {
        if out.count >= n { break }
        out.append(c)
    }
    return out
}

// MARK: - The derivation

private struct Deriver {
    let c: Checklist
    var lines: [DLine] = []
    var rollbackCtx: [Bool] = []
    var criteriaSec: [Bool] = []
    var sloSec: [Bool] = []
    var quietSec: [Bool] = []
    var notes: [String] = []

    init(_ c: Checklist) {
        self.c = c
        sectionContexts()
        buildLines()
    }

    mutating func run() -> Derivation {
        let steps = deriveSteps()
        let criteria = deriveCriteria()
        let slos = deriveSLOs()
        let targets = deriveTargets()
        let contacts = c.contacts
        if contacts.isEmpty { notes.append("no contacts found: the contacts are left for you to fill in") }
        return Derivation(steps: steps, criteria: criteria, slos: slos, targets: targets, contacts: contacts, notes: notes)
    }

    // MARK: Sections

    /// What each heading says about its content, inherited by the sections under it. A checklist's lone title
    /// heading says nothing (a document titled "Canary with rollback" is not all rollback).
    mutating func sectionContexts() {
        let n = c.sections.count
        rollbackCtx = Array(repeating: false, count: n)
        criteriaSec = rollbackCtx
        sloSec = rollbackCtx
        quietSec = rollbackCtx
        let titleSection = c.titleSection
        for s in c.sections {
            let p = s.parent
            let t = s.index == titleSection || s.index == 0 ? [] : lowered(normalized(s.title))
            let ownRollback = hasAny(t, rollbackWords)
            let rollback = ownRollback || (p.map { rollbackCtx[$0] } ?? false)
            rollbackCtx[s.index] = rollback
            let trigger = hasAny(t, triggerWords)
            let procedure = hasAny(t, procedureWords, whole: true)
            criteriaSec[s.index] = (trigger && rollback) || (!procedure && (p.map { criteriaSec[$0] } ?? false))
            sloSec[s.index] = hasAny(t, sloTitleWords, whole: true) || (p.map { sloSec[$0] } ?? false)
            quietSec[s.index] = hasAny(t, quietSLOWords) || (p.map { quietSec[$0] } ?? false)
        }
    }

    // MARK: Lines in document order

    mutating func buildLines() {
        // Context flags of each item's own title, so children look them up instead of re-reading long texts.
        var itemQuiet = Array(repeating: false, count: c.items.count)
        var itemSLO = itemQuiet
        for (i, item) in c.items.enumerated() {
            let t = lowered(prefixBytes(item.title, 200))
            itemQuiet[i] = hasAny(t, quietSLOWords)
            itemSLO[i] = hasAny(t, sloTitleWords, whole: true)
        }
        lines.reserveCapacity(c.items.count + 16)
        for sec in c.sections {
            let its = sec.items
            let blocks = sec.blocks
            var ii = 0, bi = 0
            var bulletFlags: [(quiet: Bool, slo: Bool)] = []
            func blockLine(_ b: Block) -> Int {
                switch b {
                case .bullet(let line, _, _, _), .table(let line, _, _), .text(let line, _): return line
                }
            }
            while ii < its.count || bi < blocks.count {
                let il = ii < its.count ? c.items[its[ii]].line : Int.max
                let bl = bi < blocks.count ? blockLine(blocks[bi]) : Int.max
                if il <= bl {
                    let idx = its[ii]
                    ii += 1
                    let item = c.items[idx]
                    var d = makeLine(.item, item.line, sec.index, raw: item.text)
                    if let p = item.parent {
                        d.quietParent = itemQuiet[p]
                        d.sloParent = itemSLO[p]
                    }
                    if let g = item.group {
                        let t = lowered(prefixBytes(g, 200))
                        d.quietParent = d.quietParent || hasAny(t, quietSLOWords)
                        d.sloParent = d.sloParent || hasAny(t, sloTitleWords, whole: true)
                    }
                    lines.append(d)
                    continue
                }
                let block = blocks[bi]
                bi += 1
                switch block {
                case .bullet(let line, let depth, _, let text):
                    var d = makeLine(.bullet, line, sec.index, raw: text)
                    if depth < bulletFlags.count { bulletFlags.removeSubrange(depth...) }
                    if let parent = bulletFlags.last, depth > 0 {
                        d.quietParent = parent.quiet
                        d.sloParent = parent.slo
                    }
                    let t = lowered(prefixBytes(d.plain, 200))
                    bulletFlags.append((d.quietParent || hasAny(t, quietSLOWords),
                                        d.sloParent || hasAny(t, sloTitleWords, whole: true)))
                    lines.append(d)
                case .text(let line, let text):
                    bulletFlags.removeAll()
                    lines.append(makeLine(.text, line, sec.index, raw: text))
                case .table(let line, let header, let rows):
                    bulletFlags.removeAll()
                    let hl = header.map { lowered(normalized(plainInline($0))) }
                    let percentCol = hl.firstIndex { hasAny($0, rampColumnWords) }
                        ?? (hl.contains { hasAny($0, stepColumnWords) }
                            ? hl.firstIndex { $0.contains(PCT) || hasAny($0, percentWord) } : nil)
                    let holdCol = hl.firstIndex { hasAny($0, holdColumnWords) }
                    for (r, row) in rows.enumerated() {
                        let cells = row.map { plainInline($0) }
                        var d = makeLine(.row, line + 2 + r, sec.index, raw: cells.joined(separator: " "))
                        d.cells = cells
                        d.percentCol = percentCol
                        d.holdCol = holdCol == percentCol ? nil : holdCol
                        lines.append(d)
                    }
                }
            }
        }
    }

    func makeLine(_ kind: DLine.Kind, _ line: Int, _ section: Int, raw: String) -> DLine {
        let parsed = ItemText(raw)
        let plain = withoutLeadingSymbols(plainInline(withoutIDs(raw)))
        let b = normalized(plain)
        var d = DLine(kind: kind, line: line, section: section, plain: plain, b: b, l: lowered(b))
        if let detail = parsed.detail, kind != .row {
            d.lead = withoutLeadingSymbols(parsed.title)
            d.detail = detail
        }
        return d
    }

    // MARK: Ramp steps

    mutating func deriveSteps() -> [DerivedStep] {
        var cands: [DerivedStep] = []
        var windowSection: Int?
        for d in lines {
            if rollbackCtx[d.section] || criteriaSec[d.section] || hasAny(d.l, rollbackLineWords) {
                if d.section != windowSection { windowSection = nil }
                continue
            }
            let found = d.kind == .row && d.percentCol != nil ? Self.tableStep(d) : Self.stepsIn(d, after: cands.last?.percent)
            if !found.isEmpty {
                for f in found {
                    if let last = cands.indices.last, cands[last].percent == f.percent {
                        if cands[last].holdMs == nil { cands[last].holdMs = f.hold }
                    } else {
                        cands.append(DerivedStep(percent: f.percent, holdMs: f.hold, line: d.line, text: d.plain))
                    }
                }
                windowSection = d.section
                continue
            }
            guard d.section == windowSection else { windowSection = nil; continue }
            if let last = cands.indices.last, cands[last].holdMs == nil, let ms = Self.observation(d) {
                cands[last].holdMs = ms
            }
        }
        // The first strictly increasing run.
        var steps: [DerivedStep] = []
        for (k, s) in cands.enumerated() {
            if let last = steps.last, s.percent <= last.percent {
                let run = steps.map { "\($0.percent)%" }.joined(separator: " → ")
                let ignored = cands.count - k
                notes.append("the ramp goes from \(last.percent)% back to \(s.percent)% at line \(s.line): kept the first increasing run \(run) and ignored \(ignored) later step\(ignored == 1 ? "" : "s")")
                break
            }
            steps.append(s)
        }
        if steps.isEmpty {
            notes.append("no ramp steps found: the config's ramp is left for you to fill in")
        } else {
            let open = steps.filter { $0.holdMs == nil }
            if !open.isEmpty {
                let pcts = open.map { "\($0.percent)%" }.joined(separator: ", ")
                let ls = open.map { String($0.line) }.joined(separator: ", ")
                notes.append(open.count == 1
                    ? "no observation window stated for \(pcts) (line \(ls)): its hold is left empty"
                    : "no observation window stated for \(pcts) (lines \(ls)): their holds are left empty")
            }
        }
        return steps
    }

    /// A percentage that is not a ramp step: after a comparison or "by"/"within", beside a metric's name, or "70%+".
    static func excludedPercent(_ a: Atom, _ d: DLine) -> Bool {
        let l = d.l
        var k = a.start - 1
        while k >= 0, l[k] == SP { k -= 1 }
        if k >= 0, [LT, GT, EQ, TILDE, PLUS].contains(l[k]) { return true }
        if k >= 1, l[k] == 0xB1, l[k - 1] == 0xC2 { return true } // ±
        if a.end < l.count, l[a.end] == PLUS { return true }
        if var (w, s) = previousWord(l, before: a.start, skip: [COLON]) {
            if comparatorBefore.contains(Array(w.utf8)) { return true }
            if ["at", "of", "is", "to", "was", "reaches", "hits", "still"].contains(w), let (w2, s2) = previousWord(l, before: s, skip: [COLON]) { (w, s) = (w2, s2) }
            if metricBefore.contains(Array(w.utf8)) { return true }
        }
        var j = a.end
        while j < l.count, l[j] == SP { j += 1 }
        if let f = startsWithAny(l, at: j, [Array("of".utf8), Array("the".utf8)]) {
            j += f.count
            while j < l.count, l[j] == SP { j += 1 }
        }
        return startsWithAny(l, at: j, metricAfter, prefix: true) != nil
    }

    /// Ramp percentages on one line: a sequence ("10% → 25% → 50%", "10, 25 and 50% of traffic") or one step
    /// ("Route 25% of traffic to canary"), each with the window stated after it on the line.
    static func stepsIn(_ d: DLine, after lastPercent: Int?) -> [(percent: Int, hold: Int64?)] {
        let b = d.b, l = d.l
        guard b.contains(PCT) || find(l, percentWord[0]) != nil else { return [] }
        let atoms = scanAtoms(b, l)
        let ramp = hasAny(l, rampWords)
        let nums = atoms.indices.filter { atoms[$0].kind == .percent || atoms[$0].kind == .bare }

        // Sequences: percentages (or bare numbers ending in one) linked by arrows, or by ",", "/", "to", "then"
        // on a line about traffic.
        var out: [(percent: Int, hold: Int64?)] = []
        var run: [Int] = []
        var arrow = false
        func flush() {
            defer { run = []; arrow = false }
            guard run.count >= 2, arrow || ramp, run.contains(where: { atoms[$0].kind == .percent }),
                  !excludedPercent(atoms[run[0]], d) else { return }
            for (k, ai) in run.enumerated() {
                guard let p = atoms[ai].num.int, (1...100).contains(p) else { continue }
                let segEnd = k + 1 < run.count ? run[k + 1] : atoms.count
                out.append((p, hold(atoms, from: ai + 1, to: segEnd, d)))
            }
        }
        for (k, ai) in nums.enumerated() {
            if k == 0 { run = [ai]; continue }
            let prev = nums[k - 1]
            // The gap between the two numbers, leaving out durations and times written between them.
            var gap: [UInt8] = []
            var pos = atoms[prev].end
            var linked = true
            for between in (prev + 1)..<ai {
                appendGap(l, pos, atoms[between].start, &gap)
                pos = atoms[between].end
            }
            appendGap(l, pos, atoms[ai].start, &gap)
            if gap.count > 32 { linked = false }
            let hasArrow = linked && (find(gap, Array("->".utf8)) != nil || find(gap, Array("=>".utf8)) != nil)
            let softLink = linked && ramp && [",", "/", "to", "then", "and", ",then", ",and", "thento", ";", "-"].contains(str(gap[...]))
            if hasArrow || softLink {
                if hasArrow { arrow = true }
                run.append(ai)
            } else {
                flush()
                run = [ai]
            }
        }
        flush()
        if !out.isEmpty { return out }

        // One step per line: the first eligible percentage that moves the ramp on (a line such as "Increase to
        // 25% if the 10% step was healthy" names the step before it too).
        guard ramp else { return [] }
        let eligible = atoms.indices.filter { i in
            let a = atoms[i]
            guard a.kind == .percent, let p = a.num.int, (1...100).contains(p) else { return false }
            return !excludedPercent(a, d)
        }
        guard let first = eligible.first else { return [] }
        let pick = eligible.first { atoms[$0].num.int! > (lastPercent ?? 0) } ?? first
        return [(atoms[pick].num.int!, hold(atoms, from: pick + 1, to: atoms.count, d))]
    }

    static func appendGap(_ l: [UInt8], _ from: Int, _ to: Int, _ gap: inout [UInt8]) {
        guard from < to else { return }
        for i in from..<to where gap.count <= 32 {
            let c = l[i]
            if c != SP, c != LPAREN, c != RPAREN { gap.append(c) }
        }
    }

    /// The first window among atoms[from..<to]: a duration (not a T-offset, not a comparison's value) or a clock range.
    static func hold(_ atoms: [Atom], from: Int, to: Int, _ d: DLine) -> Int64? {
        guard from < to else { return nil }
        for i in from..<min(to, atoms.count) {
            switch atoms[i].kind {
            case .duration(let ms):
                if precededByComparison(d.l, atoms[i].start) { continue }
                return ms
            case .clockRange(let ms): return ms
            default: continue
            }
        }
        return nil
    }

    static func precededByComparison(_ l: [UInt8], _ start: Int) -> Bool {
        var k = start - 1
        while k >= 0, l[k] == SP { k -= 1 }
        if k >= 0, l[k] == LT || l[k] == GT || l[k] == EQ { return true }
        if let (w, _) = previousWord(l, before: start), ["under", "below", "above", "within", "than", "exceeds", "over"].contains(w) { return true }
        return false
    }

    /// "Monitor … for 30 minutes", "Observe for 15 minutes, then promote": the window of the step before it.
    static func observation(_ d: DLine) -> Int64? {
        guard hasAny(d.l, observeWords) else { return nil }
        let atoms = scanAtoms(d.b, d.l)
        for a in atoms {
            if case .duration(let ms) = a.kind, !precededByComparison(d.l, a.start) { return ms }
        }
        return nil
    }

    /// A ramp table's row: the percentage from the traffic column, the hold from the hold column.
    static func tableStep(_ d: DLine) -> [(percent: Int, hold: Int64?)] {
        guard let pc = d.percentCol, pc < d.cells.count else { return [] }
        let cell = normalized(d.cells[pc])
        let cl = lowered(cell)
        guard let a = scanAtoms(cell, cl).first(where: { $0.kind == .percent || $0.kind == .bare }),
              let p = a.num.int, (1...100).contains(p) else { return [] }
        var holdMs: Int64?
        let holdCells = d.holdCol.map { [$0] } ?? Array(d.cells.indices.filter { $0 != pc })
        for h in holdCells where h < d.cells.count && holdMs == nil {
            let hb = normalized(d.cells[h])
            let hl = lowered(hb)
            let line = DLine(kind: .row, line: d.line, section: d.section, plain: d.cells[h], b: hb, l: hl)
            holdMs = hold(scanAtoms(hb, hl), from: 0, to: Int.max, line)
        }
        return [(p, holdMs)]
    }

    // MARK: Rollback criteria

    mutating func deriveCriteria() -> [DerivedCriterion] {
        var out: [DerivedCriterion] = []
        var leadIn: Int? // a section where a line such as "Roll back immediately if:" opened a list of triggers
        for d in lines {
            if d.kind == .text {
                let isLeadIn = d.b.last == COLON && hasAny(d.l, rollbackWords)
                    && hasAny(d.l, leadInWords, whole: true)
                    && !hasAny(d.l, procedureWords, whole: true)
                leadIn = isLeadIn && !rollbackStepsSection(d.section) ? d.section : nil
                continue
            }
            if leadIn != nil, leadIn != d.section { leadIn = nil }
            guard criteriaSec[d.section] || leadIn == d.section else { continue }
            if let cr = Self.criterion(d) { out.append(cr) }
        }
        if out.isEmpty {
            notes.append("no rollback triggers found (a list under a heading such as \"Rollback Triggers\" or \"Rollback Criteria\"): the rollback lights are left for you to add")
        } else {
            let bound = out.filter { $0.threshold != nil }.count
            if bound > 0 {
                notes.append("\(bound) of \(out.count) rollback trigger\(out.count == 1 ? "" : "s") carry a threshold for the telemetry layer to bind; until bound, every trigger is a manual light")
            }
        }
        return out
    }

    func rollbackStepsSection(_ s: Int) -> Bool {
        hasAny(lowered(normalized(c.sections[s].title)), procedureWords, whole: true) && !criteriaSec[s]
    }

    static func criterion(_ d: DLine) -> DerivedCriterion? {
        var plain = d.plain
        if d.kind == .row {
            // The first cell with words names the trigger.
            plain = d.cells.first { $0.utf8.contains { isLetterB($0) } } ?? plain
        }
        plain = trimmedName(plain)
        guard plain.utf8.contains(where: { isAlnumB($0) || $0 >= 0x80 }) else { return nil }
        if plain.utf8.last == COLON { return nil } // a lead-in of its own, not a trigger
        var threshold: DerivedThreshold?
        if let detail = d.detail, let lead = d.lead {
            let b = normalized(detail)
            threshold = parseThreshold(b, lowered(b), fallbackSubject: lead)
        } else {
            threshold = parseThreshold(d.b, d.l, fallbackSubject: nil)
        }
        var name: String
        if let lead = d.lead, let detail = d.detail {
            let leadName = trimmedName(lead)
            let both = leadName + ": " + detail
            name = both.count <= 44 ? both : leadName
        } else if plain.count <= 56 {
            name = plain
        } else if let t = threshold {
            name = compact(t)
            if name.count > 56 { name = truncated(plain, 56) }
        } else {
            name = truncated(plain, 56)
        }
        return DerivedCriterion(name: name, line: d.line, threshold: threshold)
    }

    static func trimmedName(_ s: String) -> String {
        var u = Array(s.utf8)
        while let last = u.last, last == COLON || last == SP { u.removeLast() }
        var a = 0
        while a < u.count, u[a] == SP { a += 1 }
        return str(u[a...])
    }

    static func truncated(_ s: String, _ n: Int) -> String {
        guard s.count > n else { return s }
        var head = String(s.prefix(n - 1))
        if let sp = head.lastIndex(of: " "), head.distance(from: head.startIndex, to: sp) > n / 2 { head = String(head[..<sp]) }
        return head + "…"
    }

    static func compact(_ t: DerivedThreshold) -> String {
        var s = "\(t.subject) \(t.op) \(format(t.value))\(t.unit.map { $0 == "%" || $0 == "s" || $0 == "ms" ? $0 : " " + $0 } ?? "")"
        if let f = t.forMs { s += " for \(formatDuration(f))" }
        return s
    }

    static func format(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }

    static func formatDuration(_ ms: Int64) -> String {
        if ms % 3_600_000 == 0 { return "\(ms / 3_600_000) h" }
        if ms % 60_000 == 0 { return "\(ms / 60_000) min" }
        if ms % 1000 == 0 { return "\(ms / 1000) s" }
        return "\(ms) ms"
    }

    // MARK: Comparisons

    /// A comparison sign at `i` ("<", "<=", ">", ">=", "=<"; not an arrow) and the index after it.
    static func symbol(_ b: [UInt8], _ i: Int) -> (String, Int)? {
        let c = b[i]
        let next: UInt8 = i + 1 < b.count ? b[i + 1] : 0
        let prev: UInt8 = i > 0 ? b[i - 1] : 0
        switch c {
        case LT:
            if next == DASH || next == LT || next == GT { return nil }
            return next == EQ ? ("<=", i + 2) : ("<", i + 1)
        case GT:
            if prev == DASH || prev == EQ || prev == GT || prev == LT || next == GT { return nil }
            return next == EQ ? (">=", i + 2) : (">", i + 1)
        case EQ:
            if next == LT { return ("<=", i + 2) }
            return nil
        default:
            return nil
        }
    }

    static let wordComparators: [([UInt8], String)] = [
        ("no more than", "<="), ("at most", "<="), ("at least", ">="), ("more than", ">"), ("greater than", ">"),
        ("higher than", ">"), ("less than", "<"), ("lower than", "<"), ("fewer than", "<"), ("above", ">"),
        ("over", ">"), ("exceeds", ">"), ("exceeding", ">"), ("exceeded", ">"), ("exceed", ">"), ("below", "<"),
        ("under", "<"),
    ].map { (Array($0.0.utf8), $0.1) }

    /// A comparison at `i`, by sign or (with `allowWords`) by word, followed by a number: op, where the number starts.
    static func comparison(_ b: [UInt8], _ l: [UInt8], _ i: Int, allowWords: Bool) -> (op: String, numberAt: Int)? {
        var op: String?
        var end = i
        if let (o, e) = symbol(b, i) {
            op = o; end = e
        } else if allowWords, isLetterB(l[i]), i == 0 || !isWordB(l[i - 1]) {
            for (w, o) in wordComparators where i + w.count <= l.count {
                var k = 0
                while k < w.count, l[i + k] == w[k] { k += 1 }
                if k == w.count, i + k >= l.count || !isWordB(l[i + k]) { op = o; end = i + k; break }
            }
        }
        guard let op else { return nil }
        var j = end
        while j < b.count, b[j] == SP { j += 1 }
        guard j < b.count, isDigitB(b[j]) else { return nil }
        return (op, j)
    }

    /// The unit after a value: "%", "ms", "s", "min", "h", "rps", "qps", "x"; and where it ends.
    static func valueUnit(_ b: [UInt8], _ l: [UInt8], _ j: Int) -> (String?, Int) {
        var k = j
        if k < b.count, b[k] == SP { k += 1 }
        if k < b.count, b[k] == PCT { return ("%", k + 1) }
        guard k < l.count, isLetterB(l[k]) else { return (nil, j) }
        var e = wordEnd(l, k)
        var w = str(l[k..<e])
        if e + 1 < l.count, l[e] == SLASH, l[e + 1] == 0x73, e + 2 >= l.count || !isLetterB(l[e + 2]) { // req/s
            w += "/s"; e += 2
        }
        switch w {
        case "ms", "msec", "msecs", "millisecond", "milliseconds": return ("ms", e)
        case "s", "sec", "secs", "second", "seconds": return ("s", e)
        case "m", "min", "mins", "minute", "minutes": return ("min", e)
        case "h", "hr", "hrs", "hour", "hours": return ("h", e)
        case "rps", "req/s", "reqs/s", "requests/s", "r/s": return ("rps", e)
        case "qps": return ("qps", e)
        case "x": return ("x", e)
        default: return (nil, j)
        }
    }

    static let leadingNoise = Set(["target", "targets", "goal", "goals", "slo", "slos", "sla", "expected", "validate",
                                   "verify", "monitor", "check", "ensure", "confirm", "track", "measure", "watch",
                                   "keep", "maintain", "if", "when", "and", "with", "while", "the"])
    static let trailingNoise = Set(["target", "targets", "metric", "metrics", "stable", "remains", "remain", "stays",
                                    "stay", "stayed", "is", "are", "was", "be", "should", "must", "kept", "at", "of",
                                    "value", "threshold", "goal", "objective", "to", "drops", "falls", "goes", "rises",
                                    "sustained", "by", "reaches", "hits", "still", "of", "the"])

    /// The words naming what is measured, with lead-in verbs and trailing fillers removed; nil for a relative
    /// change ("reduced by ≥ 15%", "≥25% improvement") which is not an objective.
    static func subjectWords(_ region: ArraySlice<UInt8>, relative: Bool = false) -> String? {
        var u = Array(region)
        while let f = u.first, !(isAlnumB(f) || f >= 0x80) { u.removeFirst() }
        while let f = u.last, !(isAlnumB(f) || f >= 0x80 || f == RPAREN) { u.removeLast() }
        var ws = str(u[...]).split(separator: " ").map(String.init)
        let lw = ws.map { $0.lowercased() }
        if !relative, lw.last == "by" || lw.contains(where: { $0.hasPrefix("reduc") || $0.hasPrefix("improv") || $0.hasPrefix("increas") || $0.hasPrefix("decreas") }) {
            return nil
        }
        while let f = ws.first, leadingNoise.contains(f.lowercased()) { ws.removeFirst() }
        while let f = ws.last, trailingNoise.contains(f.lowercased().trimmingColon()) { ws.removeLast() }
        if var last = ws.last, last.hasSuffix(":") { last.removeLast(); ws[ws.count - 1] = last }
        return ws.joined(separator: " ")
    }

    static func isPercentile(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count >= 2, u.count <= 6, u[0] | 0x20 == 0x70 else { return false }
        return u[1...].allSatisfy { isDigitB($0) || $0 == DOT } && isDigitB(u[1])
    }

    /// What is measured, for a comparison at `opAt` whose value (and unit) ends at `valueEnd`: the words before
    /// it back to a "(", ",", ";" or "|"; else the words after the value ("≥99.9% availability"); else, inside
    /// parentheses, the words before them ("event latency targets (≤500ms)").
    static func subject(_ b: [UInt8], _ l: [UInt8], opAt: Int, floor: Int, valueEnd: Int, afterStop: Set<String>,
                        relative: Bool = false) -> String? {
        let lo = max(floor, opAt - 120)
        var bpos: Int?
        var k = opAt - 1
        while k >= lo {
            if [LPAREN, COMMA, 0x3B, 0x7C, 0x5B].contains(b[k]) { bpos = k; break }
            k -= 1
        }
        let start = bpos.map { $0 + 1 } ?? lo
        guard var s = subjectWords(b[start..<opAt], relative: relative) else { return nil }
        // Words after the value.
        var after: [String] = []
        var j = valueEnd
        while after.count < 5 {
            while j < l.count, l[j] == SP { j += 1 }
            let e = wordEnd(l, j)
            guard e > j else { break }
            let w = str(l[j..<e])
            if afterStop.contains(w) { break }
            after.append(w)
            j = e
        }
        let afterText = after.joined(separator: " ")
        if isPercentile(s) {
            if afterText.hasPrefix("latency") || find(l, Array("latency".utf8)) != nil { s += " latency" }
            return s
        }
        if !s.isEmpty { return s }
        if !afterText.isEmpty { return afterText }
        if let bp = bpos, b[bp] == LPAREN {
            let lo2 = max(floor, bp - 120)
            var k2 = bp - 1
            var b2: Int?
            while k2 >= lo2 {
                if [LPAREN, COMMA, 0x3B, 0x7C, 0x5B].contains(b[k2]) { b2 = k2; break }
                k2 -= 1
            }
            if let outer = subjectWords(b[(b2.map { $0 + 1 } ?? lo2)..<bp], relative: relative), !outer.isEmpty { return outer }
        }
        return nil
    }

    static let thresholdAfterStop: Set<String> = ["sustained", "for", "over", "during", "in", "on", "at", "within",
                                                  "lasting", "across", "after", "and", "or", "with", "when", "while",
                                                  "from", "of", "per", "than", "compared", "vs"]

    static func parseThreshold(_ b: [UInt8], _ l: [UInt8], fallbackSubject: String?) -> DerivedThreshold? {
        var i = 0
        while i < b.count {
            guard let (op, at) = comparison(b, l, i, allowWords: true), let n = readNumber(b, at) else { i += 1; continue }
            let (unit, uend) = valueUnit(b, l, n.end)
            // "for >10 minutes" is how long, not what.
            if unit == "min" || unit == "h", let (w, _) = previousWord(l, before: i), ["for", "sustained", "lasting", "over", "than"].contains(w) {
                i = uend
                continue
            }
            var subject = self.subject(b, l, opAt: i, floor: 0, valueEnd: uend, afterStop: thresholdAfterStop, relative: true) ?? ""
            if subject.isEmpty { subject = fallbackSubject.map(trimmedName) ?? "" }
            guard !subject.isEmpty else { return nil }
            return DerivedThreshold(subject: subject, op: op, value: n.value, unit: unit, forMs: sustained(b, l, from: uend))
        }
        return nil
    }

    /// "for >10 minutes", "sustained for 5+ minutes", "over 30 minutes" after the value.
    static func sustained(_ b: [UInt8], _ l: [UInt8], from: Int) -> Int64? {
        guard from < b.count else { return nil }
        let rest = Array(b[from...]), rl = Array(l[from...])
        for a in scanAtoms(rest, rl) {
            guard case .duration(let ms) = a.kind else { continue }
            guard var (w, s) = previousWord(rl, before: a.start, skip: [GT, EQ, TILDE]) else { continue }
            if w == "than", let p = previousWord(rl, before: s) { (w, s) = p }
            if w == "least", let p = previousWord(rl, before: s) { (w, s) = p }
            if ["more", "longer", "at"].contains(w), let p = previousWord(rl, before: s) { (w, s) = p }
            if ["for", "over", "during", "lasting", "sustained", "past", "last", "beyond"].contains(w) { return ms }
        }
        return nil
    }

    // MARK: SLOs

    static let sloAfterStop: Set<String> = ["for", "over", "during", "in", "on", "at", "within", "across", "after",
                                            "and", "or", "with", "when", "while", "from", "of", "per", "sustained"]

    mutating func deriveSLOs() -> [DerivedSLO] {
        var out: [DerivedSLO] = []
        var seen = Set<String>()
        for d in lines {
            if criteriaSec[d.section] || rollbackCtx[d.section] || quietSec[d.section] || d.quietParent { continue }
            guard d.b.contains(LT) || d.b.contains(GT) || d.b.contains(EQ) else { continue }
            if hasAny(d.l, rollbackLineWords) { continue }
            let anySubject = sloSec[d.section] || d.sloParent
            for o in Self.objectives(d, anySubject: anySubject) {
                let key = "\(o.name.lowercased())\u{1F}\(o.op)\u{1F}\(o.value)\u{1F}\(o.unit ?? "")"
                guard seen.insert(key).inserted else { continue }
                out.append(DerivedSLO(name: o.name, op: o.op, value: o.value, unit: o.unit, line: d.line, text: d.plain))
            }
        }
        if out.isEmpty {
            notes.append("no SLO objectives found (lines such as \"P95 latency < 2s\"): the SLO gauges are left for you to add")
        } else {
            notes.append("\(out.count) SLO objective\(out.count == 1 ? "" : "s") listed without queries: each is unbound until a query is given")
        }
        return out
    }

    /// "P95 latency < 2s", "Error rate remains <0.1%", "All SLOs met (≥99.9% availability, P95 ≤2.0s latency)".
    static func objectives(_ d: DLine, anySubject: Bool) -> [(name: String, op: String, value: Double, unit: String?)] {
        let b = d.b, l = d.l
        var out: [(name: String, op: String, value: Double, unit: String?)] = []
        var floor = 0
        var i = 0
        while i < b.count, out.count < 16 {
            guard b[i] == LT || b[i] == GT || b[i] == EQ, let (op, at) = comparison(b, l, i, allowWords: false),
                  let n = readNumber(b, at) else { i += 1; continue }
            let (unit, uend) = valueUnit(b, l, n.end)
            defer { floor = uend; i = max(uend, i + 1) }
            guard let s = subject(b, l, opAt: i, floor: floor, valueEnd: uend, afterStop: sloAfterStop), !s.isEmpty else { continue }
            let sl = Array(s.lowercased().utf8)
            guard anySubject || hasAny(sl, sliWords) || isPercentile(String(s.split(separator: " ").first ?? "")) else { continue }
            // "Availability", "Error rate" (from "error rates").
            var name = s
            if name.lowercased().hasSuffix(" rates") { name.removeLast() }
            if let f = name.utf8.first, f >= 0x61, f <= 0x7A { name = name.prefix(1).uppercased() + name.dropFirst() }
            out.append((name, op, n.value, unit))
        }
        return out
    }

    // MARK: Rollback time targets

    /// A line's sentences and ";"-separated clauses, so prose naming several targets is read one by one.
    static func clauses(_ d: DLine) -> [([UInt8], [UInt8])] {
        var out: [([UInt8], [UInt8])] = []
        var start = 0
        let b = d.b
        for i in 0...b.count {
            let cut = i == b.count || b[i] == 0x3B || (b[i] == DOT && i + 1 < b.count && b[i + 1] == SP)
            guard cut else { continue }
            if i > start { out.append((Array(b[start..<i]), Array(d.l[start..<i]))) }
            start = i + 1
        }
        return out
    }

    mutating func deriveTargets() -> DerivedTargets {
        var t = DerivedTargets()
        var lineOf: [Int: Int] = [:]
        for d in lines {
            guard !criteriaSec[d.section], rollbackCtx[d.section] || hasAny(d.l, rollbackWords) else { continue }
            for (b, l) in Self.clauses(d) {
                if hasAny(l, totalWords) { continue }
                let kind: Int
                if hasAny(l, decideWords) { kind = 0 }
                else if hasAny(l, verifyWords) { kind = 2 }
                else if hasAny(l, executeWords) { kind = 1 }
                else { continue }
                guard let ms = scanAtoms(b, l).lazy.compactMap({ a -> Int64? in
                    if case .duration(let ms) = a.kind { return ms }
                    return nil
                }).first else { continue }
                let label = ["decide", "execute", "verify"][kind]
                if let current = [t.decideMs, t.executeMs, t.verifyMs][kind] {
                    if current != ms {
                        notes.append("rollback \(label) target stated twice (\(Self.formatDuration(current)) at line \(lineOf[kind] ?? 0), \(Self.formatDuration(ms)) at line \(d.line)): kept the first")
                    }
                    continue
                }
                lineOf[kind] = d.line
                switch kind {
                case 0: t.decideMs = ms
                case 1: t.executeMs = ms
                default: t.verifyMs = ms
                }
            }
        }
        let missing = zip(["decide", "execute", "verify"], [t.decideMs, t.executeMs, t.verifyMs]).filter { $0.1 == nil }.map(\.0)
        if missing.count == 3 {
            notes.append("no rollback time targets stated (e.g. \"Decision: < 5 minutes\"): decide, execute and verify are left empty")
        } else if !missing.isEmpty {
            notes.append("no rollback time target stated for \(missing.joined(separator: " or ")): left empty")
        }
        return t
    }
}

extension String {
    fileprivate func trimmingColon() -> String {
        hasSuffix(":") ? String(dropLast()) : self
    }
}
