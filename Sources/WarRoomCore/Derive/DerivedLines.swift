// The derivation's view of a line: items, bullets, text and table rows as plain, normalised, lower-cased bytes.

struct DLine {
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
    /// Whether the line names a rollback ("roll back", "revert", …); and that or "back to".
    var rollbackWord = false
    var rollbackLineWord = false
    var cells: [String] = []
    var percentCol: Int?
    var holdCol: Int?
}

/// The text after a leading task ID and `[P]`, as written.
func withoutIDs(_ raw: String) -> String {
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
    return a == 0 ? raw : str(u[a..<b])
}

/// Drops a leading emoji or mojibake run ("✅ ", "âœ… ") before the words.
func withoutLeadingSymbols(_ s: String) -> String {
    guard let f = s.utf8.first, f >= 0x80 else { return s }
    let u = Array(s.utf8)
    var i = 0
    while i < u.count, u[i] >= 0x80 { i += 1 }
    guard i > 0, i < u.count, u[i] == SP else { return s }
    while i < u.count, u[i] == SP { i += 1 }
    return str(u[i...])
}

func prefixBytes(_ s: String, _ n: Int) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(min(n, s.utf8.count))
    for c in s.utf8 {
        if out.count >= n { break }
        out.append(c)
    }
    return out
}
