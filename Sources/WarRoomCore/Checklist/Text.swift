/// Byte values the checklist parser and the derivation read Markdown and prose with.
let SP: UInt8 = 0x20, TAB: UInt8 = 0x09, LF: UInt8 = 0x0A, CR: UInt8 = 0x0D
let HASH: UInt8 = 0x23, GT: UInt8 = 0x3E, LT: UInt8 = 0x3C, LBR: UInt8 = 0x5B, RBR: UInt8 = 0x5D
let STAR: UInt8 = 0x2A, DASH: UInt8 = 0x2D, PLUS: UInt8 = 0x2B, UNDERSCORE: UInt8 = 0x5F
let BACKTICK: UInt8 = 0x60, TILDE: UInt8 = 0x7E, EQUALS: UInt8 = 0x3D, PIPE: UInt8 = 0x7C
let DOT: UInt8 = 0x2E, RPAREN: UInt8 = 0x29, BACKSLASH: UInt8 = 0x5C, COLON: UInt8 = 0x3A
let COMMA: UInt8 = 0x2C, PCT: UInt8 = 0x25, LPAREN: UInt8 = 0x28, SLASH: UInt8 = 0x2F

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
@inline(__always) func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }

/// Whether `haystack` contains the lower-case ASCII `needle`, ignoring ASCII case; no allocation.
func containsASCIIInsensitive(_ haystack: String, _ needle: String) -> Bool {
    let h = Array(haystack.utf8), n = Array(needle.utf8)
    guard n.count <= h.count, !n.isEmpty else { return n.isEmpty }
    outer: for start in 0...(h.count - n.count) {
        for k in 0..<n.count {
            var c = h[start + k]
            if c >= 0x41, c <= 0x5A { c |= 0x20 }
            if c != n[k] { continue outer }
        }
        return true
    }
    return false
}

extension String {
    func components(separatedBy sep: String) -> [String] {
        guard !sep.isEmpty else { return [self] }
        var out: [String] = []
        var rest = Substring(self)
        while let r = rest.firstRange(of: sep) {
            out.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        out.append(String(rest))
        return out
    }

    func trimmingSpaces() -> String {
        let u = utf8
        guard let f = u.first, let l = u.last, f == SP || f == TAB || l == SP || l == TAB else { return self }
        var a = u.startIndex, b = u.endIndex
        while a < b, u[a] == SP || u[a] == TAB { a = u.index(after: a) }
        while b > a, u[u.index(before: b)] == SP || u[u.index(before: b)] == TAB { b = u.index(before: b) }
        return String(Substring(u[a..<b])) 
    }
}
