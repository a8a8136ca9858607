// Rollback criteria: the lines under a triggers heading or a lead-in ("Roll back if:"), named for the light.
/// Rollback criteria, read line by line in document order.
struct CriteriaReader {
    var out: [DerivedCriterion] = []
    var leadIn: Int? // a section where a line such as "Roll back immediately if:" opened a list of triggers

    mutating func read(_ d: DLine, _ x: Deriver) {
        if d.kind == .text {
            let isLeadIn = d.b.last == COLON && d.rollbackWord
                && hasAny(d.l, leadInWords, whole: true)
                && !hasAny(d.l, procedureWords, whole: true)
            leadIn = isLeadIn && !x.rollbackStepsSection(d.section) ? d.section : nil
            return
        }
        if leadIn != nil, leadIn != d.section { leadIn = nil }
        guard x.criteriaSec[d.section] || leadIn == d.section else { return }
        if let cr = Deriver.criterion(d) { out.append(cr) }
    }

    func finish(notes: inout [String]) -> [DerivedCriterion] {
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
}


extension Deriver {
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
        if let f = t.forMs { s += " for \(DurationText.exactUnit(f))" }
        return s
    }

    static func format(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}
