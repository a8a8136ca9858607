// Comparisons and thresholds: a sign or word, a value with its unit, what is measured and for how long.
extension Deriver {
    /// A comparison sign at `i` ("<", "<=", ">", ">=", "=<"; not an arrow) and the index after it.
    static func symbol(_ b: [UInt8], _ i: Int) -> (String, Int)? {
        let c = b[i]
        let next: UInt8 = i + 1 < b.count ? b[i + 1] : 0
        let prev: UInt8 = i > 0 ? b[i - 1] : 0
        switch c {
        case LT:
            if next == DASH || next == LT || next == GT { return nil }
            return next == EQUALS ? ("<=", i + 2) : ("<", i + 1)
        case GT:
            if prev == DASH || prev == EQUALS || prev == GT || prev == LT || next == GT { return nil }
            return next == EQUALS ? (">=", i + 2) : (">", i + 1)
        case EQUALS:
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
            guard var (w, s) = previousWord(rl, before: a.start, skip: [GT, EQUALS, TILDE]) else { continue }
            if w == "than", let p = previousWord(rl, before: s) { (w, s) = p }
            if w == "least", let p = previousWord(rl, before: s) { (w, s) = p }
            if ["more", "longer", "at"].contains(w), let p = previousWord(rl, before: s) { (w, s) = p }
            if ["for", "over", "during", "lasting", "sustained", "past", "last", "beyond"].contains(w) { return ms }
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingColon() -> String {
        hasSuffix(":") ? String(dropLast()) : self
    }
}
