// Ramp steps and their holds: sequences ("10% → 50% → 100%"), one step per line, ramp tables, observation windows.
/// Ramp steps, read line by line in document order; then the first strictly increasing run is kept.
struct RampStepReader {
    var cands: [DerivedStep] = []
    var windowSection: Int?

    mutating func read(_ d: DLine, _ x: Deriver) {
        if x.rollbackCtx[d.section] || x.criteriaSec[d.section] || d.rollbackLineWord {
            if d.section != windowSection { windowSection = nil }
            return
        }
        let found = d.kind == .row && d.percentCol != nil ? Deriver.tableStep(d) : Deriver.stepsIn(d, after: cands.last?.percent)
        if !found.isEmpty {
            for f in found {
                if let last = cands.indices.last, cands[last].percent == f.percent {
                    if cands[last].holdMs == nil { cands[last].holdMs = f.hold }
                } else {
                    cands.append(DerivedStep(percent: f.percent, holdMs: f.hold, line: d.line, text: d.plain))
                }
            }
            windowSection = d.section
            return
        }
        guard d.section == windowSection else { windowSection = nil; return }
        if let last = cands.indices.last, cands[last].holdMs == nil, let ms = Deriver.observation(d) {
            cands[last].holdMs = ms
        }
    }

    func finish(notes: inout [String]) -> [DerivedStep] {
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
            notes.append("no ramp steps found: the config has none (a tracker of the checklist only; list steps to ramp)")
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
}

extension Deriver {
    /// A percentage that is not a ramp step: after a comparison or "by"/"within", beside a metric's name, or "70%+".
    static func excludedPercent(_ a: Atom, _ d: DLine) -> Bool {
        let l = d.l
        var k = a.start - 1
        while k >= 0, l[k] == SP { k -= 1 }
        if k >= 0, [LT, GT, EQUALS, TILDE, PLUS].contains(l[k]) { return true }
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
        if k >= 0, l[k] == LT || l[k] == GT || l[k] == EQUALS { return true }
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
}
