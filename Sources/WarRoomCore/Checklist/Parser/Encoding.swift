/// What the bytes of a line are: UTF-8 kept as written, NUL and invalid UTF-8 replaced (with a warning), and
/// double-encoded text (UTF-8 read as Windows-1252) noticed.
extension Parser {
    /// Appends the line's bytes to `out` as the parser reads them.
    mutating func decode(_ raw: ArraySlice<UInt8>, line: Int, into out: inout [UInt8]) {
        var ascii = true
        var nul = false
        for c in raw where c >= 0x80 || c == 0 { if c == 0 { nul = true } else { ascii = false } }
        // NUL becomes U+FFFD, as cmark does.
        if nul { return decode(ArraySlice(raw.flatMap { $0 == 0 ? [0xEF, 0xBF, 0xBD] : [$0] }), line: line, into: &out) }
        if ascii { return out.append(contentsOf: raw) }
        if let s = String(validating: raw, as: UTF8.self) {
            if looksDoubleEncoded(s) {
                mojibakeLines += 1
                if firstMojibakeLine == 0 { firstMojibakeLine = line }
            }
            return out.append(contentsOf: raw)
        }
        invalidUTF8Lines += 1
        if invalidUTF8Lines <= 20 {
            diagnostics.append(Diagnostic(.warning, line: line, "invalid UTF-8 replaced with U+FFFD"))
        }
        out.append(contentsOf: String(decoding: raw, as: UTF8.self).utf8)
    }
}

// MARK: - Mojibake

/// Characters that UTF-8 bytes 0x80–0xBF turn into when read as Windows-1252.
let cp1252Continuation: Set<Unicode.Scalar> = {
    var s = Set<Unicode.Scalar>()
    for v in 0xA0...0xBF { s.insert(Unicode.Scalar(UInt32(v))!) }
    for v: UInt32 in [0x20AC, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
                      0x0152, 0x017D, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122,
                      0x0161, 0x203A, 0x0153, 0x017E, 0x0178] { s.insert(Unicode.Scalar(v)!) }
    return s
}()

/// `ðŸ“‹`, `âœ…`, `Ã©`: a UTF-8 lead byte's Latin-1 character followed by a continuation byte's.
func looksDoubleEncoded(_ s: String) -> Bool {
    var prev: Unicode.Scalar?
    for sc in s.unicodeScalars {
        if let p = prev, (0xC2...0xF4).contains(p.value), cp1252Continuation.contains(sc) { return true }
        prev = sc
    }
    return false
}
