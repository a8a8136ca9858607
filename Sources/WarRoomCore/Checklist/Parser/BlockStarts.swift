// Block starts and ends recognised on one line: list markers and GitHub's task-item test, ATX and setext headings,
// code fences, raw HTML blocks (CommonMark's seven kinds), table delimiter rows and cells.

struct ListMarker { var end: Int; var ordered: Bool; var number: Int }

func listMarker(_ line: Line, at i: Int) -> ListMarker? {
    let c = line[i]
    if c == DASH || c == STAR || c == PLUS {
        let n = line[i + 1]
        guard n == SP || n == 0 else { return nil }
        return ListMarker(end: i + 1, ordered: false, number: 0)
    }
    guard isDigit(c) else { return nil }
    var j = i
    var value = 0
    while isDigit(line[j]), j - i < 9 { value = value * 10 + Int(line[j] - 0x30); j += 1 }
    guard j - i <= 9, line[j] == DOT || line[j] == RPAREN else { return nil }
    let n = line[j + 1]
    guard n == SP || n == 0 else { return nil }
    return ListMarker(end: j + 1, ordered: true, number: value)
}

/// GitHub's task-list test, applied to the whole physical line when a list item opens on it:
/// `^[ \t]*([-+*]|[0-9]+[.)])[ \t]+\[[ xX]\][ \t\v\f]`. Like cmark-gfm, any `[x]`/`[X]` on the line marks it done.
func taskLine(_ raw: [UInt8]) -> (checked: Bool, text: String)? {
    var j = 0
    let n = raw.count
    while j < n, raw[j] == SP || raw[j] == TAB { j += 1 }
    guard j < n else { return nil }
    if raw[j] == DASH || raw[j] == PLUS || raw[j] == STAR {
        j += 1
    } else {
        let d = j
        while j < n, isDigit(raw[j]) { j += 1 }
        guard j > d, j < n, raw[j] == DOT || raw[j] == RPAREN else { return nil }
        j += 1
    }
    let ws = j
    while j < n, raw[j] == SP || raw[j] == TAB || raw[j] == 0x0B || raw[j] == 0x0C { j += 1 }
    guard j > ws, j + 3 < n, raw[j] == LBR, raw[j + 2] == RBR else { return nil }
    let m = raw[j + 1]
    guard m == SP || m == 0x78 || m == 0x58 else { return nil }
    let after = raw[j + 3]
    guard after == SP || after == TAB || after == 0x0B || after == 0x0C else { return nil }
    var checked = false
    var k = 0
    while k + 2 < n {
        if raw[k] == LBR, raw[k + 1] == 0x78 || raw[k + 1] == 0x58, raw[k + 2] == RBR { checked = true; break }
        k += 1
    }
    return (checked, String(decoding: raw[(j + 4)...], as: UTF8.self).trimmingSpaces())
}

func isSetextUnderline(_ line: Line, from i: Int, char: UInt8) -> Bool {
    var j = i
    while j < line.b.count, line.b[j] == char { j += 1 }
    return line.isBlank(from: j)
}

func atxHeading(_ line: Line, from i: Int) -> (level: Int, title: String)? {
    var j = i
    while line[j] == HASH { j += 1 }
    let level = j - i
    guard level >= 1, level <= 6, line[j] == SP || j >= line.b.count else { return nil }
    var end = line.b.count
    while end > j, line.b[end - 1] == SP { end -= 1 }
    // Optional closing sequence: spaces then #s.
    var k = end
    while k > j, line.b[k - 1] == HASH { k -= 1 }
    if k < end, k == j || line.b[k - 1] == SP { end = k }
    return (level, line.text(j, end).trimmingSpaces())
}

func fenceOpen(_ line: Line, from i: Int) -> Int? {
    let ch = line[i]
    var j = i
    while line[j] == ch { j += 1 }
    let count = j - i
    guard count >= 3 else { return nil }
    if ch == BACKTICK, line.b[j...].contains(BACKTICK) { return nil }
    return count
}

func isClosingFence(_ line: Line, from pos: Int, char: UInt8, count: Int) -> Bool {
    let ind = line.spaces(from: pos)
    guard ind <= 3 else { return false }
    var j = pos + ind
    while line[j] == char { j += 1 }
    return j - (pos + ind) >= count && line.isBlank(from: j)
}

let htmlBlockTags: Set<String> = [
    "address", "article", "aside", "base", "basefont", "blockquote", "body", "caption", "center", "col",
    "colgroup", "dd", "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hr",
    "html", "iframe", "legend", "li", "link", "main", "menu", "menuitem", "nav", "noframes", "ol",
    "optgroup", "option", "p", "param", "search", "section", "summary", "table", "tbody", "td", "tfoot",
    "th", "thead", "title", "tr", "track", "ul",
]

func htmlStart(_ line: Line, from i: Int, canInterrupt: Bool) -> HTMLEnd? {
    let rest = Array(line.b[i...])
    func lower(_ k: Int) -> UInt8 { k < rest.count ? rest[k] | (isAlpha(rest[k]) ? 0x20 : 0) : 0 }
    func hasPrefix(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard rest.count >= u.count else { return false }
        for k in 0..<u.count where lower(k) != u[k] { return false }
        return true
    }
    for tag in ["script", "pre", "style", "textarea"] where hasPrefix("<" + tag) {
        let n = lower(tag.utf8.count + 1)
        if n == SP || n == GT || n == 0 { return .tag(Array("</\(tag)>".utf8)) }
    }
    if hasPrefix("<!--") { return .comment }
    if hasPrefix("<?") { return .processing }
    if hasPrefix("<![cdata[") { return .cdata }
    if rest.count > 2, rest[1] == 0x21, isAlpha(rest[2]) { return .declaration }
    // Type 6: known block tags.
    var k = 1
    if lower(k) == 0x2F { k += 1 }
    let nameStart = k
    while isAlpha(lower(k)) || isDigit(lower(k)) { k += 1 }
    if k > nameStart {
        let name = String(decoding: (nameStart..<k).map { lower($0) }, as: UTF8.self)
        let n = lower(k)
        if htmlBlockTags.contains(name), n == SP || n == GT || n == 0 || (n == 0x2F && lower(k + 1) == GT) {
            return .blank
        }
        // Type 7: a complete open or closing tag alone on the line; cannot interrupt a paragraph. (`<pre>` and
        // the other type 1 openings were taken above; cmark-gfm reads `</pre>` alone as type 7, so do we.)
        // (`<https://…>` and `<oncall@example.com>` are autolinks, not tags.)
        if canInterrupt, let end = completeTag(rest), rest[end...].allSatisfy({ $0 == SP }) {
            return .blank
        }
    }
    return nil
}

/// CommonMark's open tag (`<name attr="v" … />`) or closing tag (`</name >`) at the start of `t`:
/// the index just past its `>`, or nil.
func completeTag(_ t: [UInt8]) -> Int? {
    func isNameChar(_ c: UInt8) -> Bool { isAlpha(c) || isDigit(c) || c == DASH }
    func isSpace(_ c: UInt8) -> Bool { c == SP || c == TAB || c == LF || c == CR }
    guard t.first == LT else { return nil }
    var k = 1
    let closing = k < t.count && t[k] == 0x2F
    if closing { k += 1 }
    guard k < t.count, isAlpha(t[k]) else { return nil }
    while k < t.count, isNameChar(t[k]) { k += 1 }
    if closing {
        while k < t.count, isSpace(t[k]) { k += 1 }
        return k < t.count && t[k] == GT ? k + 1 : nil
    }
    while true {
        let wsStart = k
        while k < t.count, isSpace(t[k]) { k += 1 }
        guard k < t.count else { return nil }
        if t[k] == GT { return k + 1 }
        if t[k] == 0x2F { return k + 1 < t.count && t[k + 1] == GT ? k + 2 : nil }
        // An attribute needs white space before it.
        guard k > wsStart, isAlpha(t[k]) || t[k] == UNDERSCORE || t[k] == COLON else { return nil }
        while k < t.count, isAlpha(t[k]) || isDigit(t[k]) || t[k] == UNDERSCORE || t[k] == DOT || t[k] == COLON || t[k] == DASH { k += 1 }
        var v = k
        while v < t.count, isSpace(t[v]) { v += 1 }
        guard v < t.count, t[v] == EQUALS else { continue }
        v += 1
        while v < t.count, isSpace(t[v]) { v += 1 }
        guard v < t.count else { return nil }
        if t[v] == 0x22 || t[v] == 0x27 {
            let q = t[v]
            v += 1
            while v < t.count, t[v] != q { v += 1 }
            guard v < t.count else { return nil }
            k = v + 1
        } else {
            let start = v
            while v < t.count, !isSpace(t[v]), ![0x22, 0x27, EQUALS, LT, GT, BACKTICK].contains(t[v]) { v += 1 }
            guard v > start else { return nil }
            k = v
        }
    }
}

func htmlEnds(_ line: Line, from i: Int, _ end: HTMLEnd) -> Bool {
    let rest = line.b.count > i ? Array(line.b[i...]) : []
    func contains(_ needle: [UInt8], caseInsensitive: Bool) -> Bool {
        guard rest.count >= needle.count, !needle.isEmpty else { return false }
        outer: for s in 0...(rest.count - needle.count) {
            for k in 0..<needle.count {
                var a = rest[s + k]
                if caseInsensitive, isAlpha(a) { a |= 0x20 }
                if a != needle[k] { continue outer }
            }
            return true
        }
        return false
    }
    switch end {
    case .tag(let t): return contains(t, caseInsensitive: true)
    case .comment: return contains(Array("-->".utf8), caseInsensitive: false)
    case .processing: return contains(Array("?>".utf8), caseInsensitive: false)
    case .declaration: return rest.contains(GT)
    case .cdata: return contains(Array("]]>".utf8), caseInsensitive: false)
    case .blank: return false
    }
}

/// A GFM table delimiter row (`| --- | :-: |`): returns its column count.
func delimiterRow(_ line: Line, from i: Int) -> Int? {
    // Only pipes, colons, dashes and spaces can make one (asked of nearly every line after an item's first).
    var k = i
    while k < line.b.count {
        let c = line.b[k]
        guard c == PIPE || c == COLON || c == DASH || c == SP || c == TAB else { return nil }
        k += 1
    }
    let cells = splitCells(line.text(i))
    guard !cells.isEmpty else { return nil }
    let text = line.text(i)
    guard text.contains("|") || cells.count == 1 else { return nil }
    for cell in cells {
        var u = Array(cell.utf8)
        guard !u.isEmpty else { return nil }
        if u.first == COLON { u.removeFirst() }
        if u.last == COLON { u.removeLast() }
        guard !u.isEmpty, u.allSatisfy({ $0 == DASH }) else { return nil }
    }
    if cells.count == 1, !text.contains("|") { return nil }
    return cells.count
}

/// Splits a table row on unescaped pipes, dropping the optional outer pipes. A lone `|` has no cells (cmark-gfm).
func splitCells(_ row: String) -> [String] {
    var cells: [String] = []
    var cur: [UInt8] = []
    let u = Array(row.trimmingSpaces().utf8)
    if u == [PIPE] { return [] }
    var k = 0
    while k < u.count {
        let c = u[k]
        if c == BACKSLASH, k + 1 < u.count, u[k + 1] == PIPE {
            cur.append(PIPE); k += 2; continue
        }
        if c == PIPE {
            cells.append(String(decoding: cur, as: UTF8.self).trimmingSpaces())
            cur.removeAll()
        } else {
            cur.append(c)
        }
        k += 1
    }
    cells.append(String(decoding: cur, as: UTF8.self).trimmingSpaces())
    if u.first == PIPE, !cells.isEmpty { cells.removeFirst() }
    if u.last == PIPE, u.count > 1, !cells.isEmpty, u[u.count - 2] != BACKSLASH { cells.removeLast() }
    return cells
}
