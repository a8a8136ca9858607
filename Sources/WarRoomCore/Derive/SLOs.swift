// SLO objectives: "P95 latency < 2s" outside rollback and load-test sections.
/// SLO objectives, read line by line in document order; the same objective twice is listed once.
struct SLOReader {
    var out: [DerivedSLO] = []
    var seen = Set<String>()

    mutating func read(_ d: DLine, _ x: Deriver) {
        if x.criteriaSec[d.section] || x.rollbackCtx[d.section] || x.quietSec[d.section] || d.quietParent { return }
        guard d.b.contains(LT) || d.b.contains(GT) || d.b.contains(EQUALS) else { return }
        if d.rollbackLineWord { return }
        let anySubject = x.sloSec[d.section] || d.sloParent
        for o in Deriver.objectives(d, anySubject: anySubject) {
            let key = "\(o.name.lowercased())\u{1F}\(o.op)\u{1F}\(o.value)\u{1F}\(o.unit ?? "")"
            guard seen.insert(key).inserted else { continue }
            out.append(DerivedSLO(name: o.name, op: o.op, value: o.value, unit: o.unit, line: d.line, text: d.plain))
        }
    }

    func finish(notes: inout [String]) -> [DerivedSLO] {
        if out.isEmpty {
            notes.append("no SLO objectives found (lines such as \"P95 latency < 2s\"): the SLO gauges are left for you to add")
        } else {
            notes.append("\(out.count) SLO objective\(out.count == 1 ? "" : "s") listed without queries: each is unbound until a query is given")
        }
        return out
    }
}

extension Deriver {
    static let sloAfterStop: Set<String> = ["for", "over", "during", "in", "on", "at", "within", "across", "after",
                                            "and", "or", "with", "when", "while", "from", "of", "per", "sustained"]

    /// "P95 latency < 2s", "Error rate remains <0.1%", "All SLOs met (≥99.9% availability, P95 ≤2.0s latency)".
    static func objectives(_ d: DLine, anySubject: Bool) -> [(name: String, op: String, value: Double, unit: String?)] {
        let b = d.b, l = d.l
        var out: [(name: String, op: String, value: Double, unit: String?)] = []
        var floor = 0
        var i = 0
        while i < b.count, out.count < 16 {
            guard b[i] == LT || b[i] == GT || b[i] == EQUALS, let (op, at) = comparison(b, l, i, allowWords: false),
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
}
