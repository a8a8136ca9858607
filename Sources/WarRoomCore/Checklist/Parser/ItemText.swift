// Inline reading of an item's text: task ID, [P], bold lead; and inline Markdown reduced to what a person reads.

struct ItemText {
    var taskID: String?
    var parallel = false
    var title: String
    var detail: String?

    init(_ text: String) {
        let u = Array(text.utf8)
        var a = 0, b = u.count
        while a < b, u[a] == SP || u[a] == TAB { a += 1 }
        while b > a, u[b - 1] == SP || u[b - 1] == TAB { b -= 1 }
        // Leading task ID: T1137, T1180a, CHK012 — followed by space, ':' or end.
        if let n = ItemText.leadingTaskID(u, a, b) {
            taskID = String(decoding: u[a..<(a + n)], as: UTF8.self)
            a += n
            if a < b, u[a] == COLON { a += 1 }
            while a < b, u[a] == SP { a += 1 }
        }
        if b - a >= 3, u[a] == LBR, u[a + 1] == 0x50, u[a + 2] == RBR { // [P]
            parallel = true
            a += 3
            while a < b, u[a] == SP { a += 1 }
        }
        if b - a >= 4, (u[a] == STAR && u[a + 1] == STAR) || (u[a] == UNDERSCORE && u[a + 1] == UNDERSCORE) {
            let d = u[a]
            var close = a + 3
            while close + 1 < b, !(u[close] == d && u[close + 1] == d) { close += 1 }
            if close + 1 < b {
                var ls = a + 2, le = close
                while ls < le, u[ls] == SP { ls += 1 }
                while le > ls, u[le - 1] == SP { le -= 1 }
                if le > ls, u[le - 1] == COLON { le -= 1 }
                var rs = close + 2
                while rs < b, u[rs] == SP { rs += 1 }
                if rs < b, u[rs] == COLON { rs += 1; while rs < b, u[rs] == SP { rs += 1 } }
                if rs + 1 < b, u[rs] == DASH, u[rs + 1] == SP { rs += 2 }
                else if rs + 3 < b, u[rs] == 0xE2, u[rs + 1] == 0x80, u[rs + 2] == 0x94 || u[rs + 2] == 0x93, u[rs + 3] == SP {
                    rs += 4 // "— " or "– "
                }
                title = plainInline(u[ls..<le])
                let dtl = plainInline(u[rs..<b])
                detail = dtl.isEmpty ? nil : dtl
                return
            }
        }
        title = plainInline(u[a..<b])
    }

    init(_ text: Substring) { self.init(String(text)) }

    /// Length of a leading task ID (`T1137`, `T1180a`, `CHK012`) in `u[a..<b]`, if there is one.
    static func leadingTaskID(_ u: [UInt8], _ a: Int, _ b: Int) -> Int? {
        var j = a
        if b - a >= 4, u[a] == 0x43, u[a + 1] == 0x48, u[a + 2] == 0x4B { j += 3 } // CHK
        else if a < b, u[a] == 0x54 { j += 1 } // T
        else { return nil }
        let digitsStart = j
        while j < b, isDigit(u[j]) { j += 1 }
        guard j > digitsStart, j - digitsStart <= 6 else { return nil }
        if j < b, u[j] >= 0x61, u[j] <= 0x7A { j += 1 }
        guard j == b || u[j] == SP || u[j] == COLON else { return nil }
        return j - a
    }
}

/// Inline Markdown reduced to what a person reads: emphasis markers, code ticks and escapes removed.
func plainInline(_ s: String) -> String { plainInline(Array(s.utf8)[...]) }

func plainInline(_ u: ArraySlice<UInt8>) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(u.count)
    var k = u.startIndex
    while k < u.endIndex {
        let c = u[k]
        if c == BACKSLASH, k + 1 < u.endIndex, u[k + 1] < 0x80, !isAlpha(u[k + 1]), !isDigit(u[k + 1]), u[k + 1] != SP {
            out.append(u[k + 1]); k += 2; continue
        }
        if c == STAR || c == BACKTICK { k += 1; continue }
        if c == UNDERSCORE, k + 1 < u.endIndex, u[k + 1] == UNDERSCORE {
            var e = k
            while e < u.endIndex, u[e] == UNDERSCORE { e += 1 }
            // "__bold__" markers go; long "_____" blanks (signature lines) stay.
            if e - k == 2 { k = e; continue }
            out.append(contentsOf: u[k..<e]); k = e; continue
        }
        if c == SP || c == TAB {
            if !out.isEmpty, out.last != SP { out.append(SP) }
            k += 1
            continue
        }
        out.append(c)
        k += 1
    }
    if out.last == SP { out.removeLast() }
    return String(decoding: out, as: UTF8.self)
}
