// Rollback time targets: how long deciding, executing and verifying a rollback may take.
/// Rollback time targets, read line by line in document order; the first statement of each counts.
struct TargetReader {
    var t = DerivedTargets()
    var lineOf: [Int: Int] = [:]
    /// Said while reading (a target stated twice), in document order.
    var notes: [String] = []

    mutating func read(_ d: DLine, _ x: Deriver) {
        guard !x.criteriaSec[d.section], x.rollbackCtx[d.section] || d.rollbackWord else { return }
        for (b, l) in Deriver.clauses(d) {
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
                    notes.append("rollback \(label) target stated twice (\(DurationText.exactUnit(current)) at line \(lineOf[kind] ?? 0), \(DurationText.exactUnit(ms)) at line \(d.line)): kept the first")
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

    func finish(notes: inout [String]) -> DerivedTargets {
        notes += self.notes
        let missing = zip(["decide", "execute", "verify"], [t.decideMs, t.executeMs, t.verifyMs]).filter { $0.1 == nil }.map(\.0)
        if missing.count == 3 {
            notes.append("no rollback time targets stated (e.g. \"Decision: < 5 minutes\"): decide, execute and verify are left empty")
        } else if !missing.isEmpty {
            notes.append("no rollback time target stated for \(missing.joined(separator: " or ")): left empty")
        }
        return t
    }
}

extension Deriver {
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

}
