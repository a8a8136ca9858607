// Inline reading of an item's text: task ID, [P], bold lead; and inline Markdown reduced to what a person reads.

struct ItemText {
    var taskID: String?
    var parallel = false
    var title: String
    var detail: String?

    init(_ text: String) {
        var s = text
        self = s.withUTF8 { ItemText(utf8: $0, text: text) }
    }

    /// `u` is `text`'s UTF-8: a title that is the whole text, unchanged, shares its storage.
    private init(utf8 u: UnsafeBufferPointer<UInt8>, text: String) {
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
                title = plainInline(u, ls, le)
                let dtl = plainInline(u, rs, b)
                detail = dtl.isEmpty ? nil : dtl
                return
            }
        }
        title = a == 0 && b == u.count && plainInlineIsIdentity(u, a, b) ? text : plainInline(u, a, b)
    }

    init(_ text: Substring) { self.init(String(text)) }

    /// Length of a leading task ID (`T1137`, `T1180a`, `CHK012`) in `u[a..<b]`, if there is one.
    static func leadingTaskID(_ u: [UInt8], _ a: Int, _ b: Int) -> Int? {
        u.withUnsafeBufferPointer { leadingTaskID($0, a, b) }
    }

    static func leadingTaskID(_ u: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> Int? {
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
func plainInline(_ s: String) -> String {
    var s = s
    let original = s
    return s.withUTF8 { plainInlineIsIdentity($0, 0, $0.count) ? original : plainInline($0, 0, $0.count) }
}

func plainInline(_ u: ArraySlice<UInt8>) -> String {
    u.withUnsafeBufferPointer { plainInline($0, 0, $0.count) }
}

/// Whether `plainInline` leaves `u[a..<b]` as it is: no escape, emphasis or code marker, no tab, no run of spaces,
/// no space at either end. (Conservative for `__`: those take the full path.)
func plainInlineIsIdentity(_ u: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> Bool {
    var k = a
    var afterSpace = true // a leading space is dropped
    while k < b {
        let c = u[k]
        switch c {
        case BACKSLASH:
            if k + 1 < b, u[k + 1] < 0x80, !isAlpha(u[k + 1]), !isDigit(u[k + 1]), u[k + 1] != SP { return false }
        case STAR, BACKTICK, TAB: return false
        case UNDERSCORE: if k + 1 < b, u[k + 1] == UNDERSCORE { return false }
        case SP: if afterSpace { return false }
        default: break
        }
        afterSpace = c == SP
        k += 1
    }
    return !afterSpace || a == b // a trailing space is dropped
}

func plainInline(_ u: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> String {
    if plainInlineIsIdentity(u, a, b) { return String(decoding: UnsafeBufferPointer(rebasing: u[a..<b]), as: UTF8.self) }
    var out: [UInt8] = []
    out.reserveCapacity(b - a)
    var k = a
    while k < b {
        let c = u[k]
        if c == BACKSLASH, k + 1 < b, u[k + 1] < 0x80, !isAlpha(u[k + 1]), !isDigit(u[k + 1]), u[k + 1] != SP {
            out.append(u[k + 1]); k += 2; continue
        }
        if c == STAR || c == BACKTICK { k += 1; continue }
        if c == UNDERSCORE, k + 1 < b, u[k + 1] == UNDERSCORE {
            var e = k
            while e < b, u[e] == UNDERSCORE { e += 1 }
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
