// Words in prose: ASCII-normalised arrows and signs, word-boundary search, and the vocabularies the derivation reads.

@inline(__always) func isDigitB(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
@inline(__always) func isLetterB(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
@inline(__always) func isAlnumB(_ c: UInt8) -> Bool { isDigitB(c) || isLetterB(c) }
@inline(__always) func isWordB(_ c: UInt8) -> Bool { isAlnumB(c) || c >= 0x80 }

func lowered(_ b: [UInt8]) -> [UInt8] {
    guard b.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return b } // shared, not copied
    return b.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
}
func str(_ b: ArraySlice<UInt8>) -> String { String(decoding: b, as: UTF8.self) }
func words(_ list: [String]) -> [[UInt8]] { list.map { Array($0.utf8) } }

/// Arrows, comparison signs and dashes as ASCII, including their double-encoded (UTF-8 read as Windows-1252)
/// forms that real checklists carry ("â†’", "â‰¤").
let replacements: [([UInt8], [UInt8])] = [
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

func normalized(_ s: String) -> [UInt8] {
    let u = Array(s.utf8)
    // Nothing to replace below 0xC2 (plain ASCII, most lines): the bytes as they are.
    guard u.contains(where: { $0 >= 0xC2 }) else { return u }
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
func find(_ l: [UInt8], _ w: [UInt8], from: Int = 0, whole: Bool = false) -> Int? {
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

/// Whether any of `ws` is in `l` as `find` finds it. One pass over `l`, trying only the words that start with the
/// byte at hand (every line is asked this many times over; a pass per word cost the derivation a third of its time).
func hasAny(_ l: [UInt8], _ ws: [[UInt8]], whole: Bool = false) -> Bool {
    var firsts: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    for w in ws {
        guard let c = w.first else { continue }
        let bit = UInt64(1) << UInt64(c & 63)
        switch c >> 6 {
        case 0: firsts.0 |= bit
        case 1: firsts.1 |= bit
        case 2: firsts.2 |= bit
        default: firsts.3 |= bit
        }
    }
    var i = 0
    while i < l.count {
        let c = l[i]
        let set: UInt64
        switch c >> 6 {
        case 0: set = firsts.0
        case 1: set = firsts.1
        case 2: set = firsts.2
        default: set = firsts.3
        }
        // A word starting with a word character matches only where a word starts.
        if set & (UInt64(1) << UInt64(c & 63)) != 0, i == 0 || !isWordB(l[i - 1]) || !isWordB(c) {
            for w in ws where w.first == c && i + w.count <= l.count {
                var k = 1
                while k < w.count, l[i + k] == w[k] { k += 1 }
                guard k == w.count else { continue }
                if !whole { return true }
                var e = i + k
                if e < l.count, l[e] == 0x73 { e += 1 }
                if e >= l.count || !isWordB(l[e]) { return true }
            }
        }
        i += 1
    }
    return false
}

/// The word in `ws` at `i`: whole words, or (with `prefix`) words starting so ("improv" for "improvement").
func startsWithAny(_ l: [UInt8], at i: Int, _ ws: [[UInt8]], prefix: Bool = false) -> [UInt8]? {
    for w in ws where i + w.count <= l.count {
        var k = 0
        while k < w.count, l[i + k] == w[k] { k += 1 }
        if k == w.count, prefix || i + k >= l.count || !isWordB(l[i + k]) { return w }
    }
    return nil
}

let rollbackWords = words(["rollback", "roll back", "roll-back", "rolling back", "revert", "abort", "backout", "back out", "back-out"])
let backToWords = words(["back to"])
let triggerWords = words(["trigger", "criteria", "criterion", "condition", "when to", "signal"])
/// Matched as whole words (with a plural s): "Planned Rollback" is not a plan.
let procedureWords = words(["procedure", "step", "plan", "process", "execution", "action", "checklist", "runbook",
                                    "playbook", "how to", "recovery", "readiness", "preparation", "target"])
let sloTitleWords = words(["slo", "sla", "sli", "service level", "service-level"])
let quietSLOWords = words(["load test", "spike test", "stress test", "soak test", "performance test", "benchmark",
                                   "nice to have", "nice-to-have", "stretch", "aspirational"])
let rampWords = words(["traffic", "rout", "ramp", "shift", "weight", "canary", "cutover", "cut over", "cut-over",
                               "rollout", "roll out", "roll-out", "of requests", "of queries"])
let observeWords = words(["monitor", "observ", "watch", "wait", "hold", "bake", "soak", "dwell"])
let metricBefore = words(["error", "errors", "rate", "cpu", "memory", "mem", "disk", "availability", "uptime",
                                  "coverage", "utilization", "utilisation", "budget", "success", "latency"])
let metricAfter = words(["error", "cpu", "memory", "disk", "availab", "uptime", "success", "coverage", "capacity",
                                 "budget", "test", "complet", "done", "improv", "reduc", "increas", "decreas", "utili",
                                 "confiden", "accura", "row", "threshold", "packet", "loss", "fail", "pass"])
let comparatorBefore = words(["under", "below", "above", "over", "exceed", "exceeds", "exceeded", "exceeding",
                                      "than", "least", "most", "by", "within", "max", "min", "maximum", "minimum"])
let sliWords = words(["latency", "error", "availability", "uptime", "success rate", "throughput", "response time",
                              "apdex"])

let rampColumnWords = words(["traffic", "weight", "canary", "ramp", "split", "share", "exposure", "rollout"])
let stepColumnWords = words(["step", "stage", "phase"])
let percentWord = words(["percent"])
let holdColumnWords = words(["hold", "observ", "duration", "bake", "soak", "wait", "window", "dwell", "time"])
let leadInWords = words(["if", "when", "any of", "trigger", "following"])
let totalWords = words(["total", "overall"])
let decideWords = words(["decision", "decide"])
let verifyWords = words(["verif", "validat", "confirm", "health", "smoke"])
let executeWords = words(["execut", "complet", "restor", "revert", "rout", "shift", "switch", "redeploy", "roll back",
                                  "rollback", "rolled back", "swap", "failover", "fail over"])
