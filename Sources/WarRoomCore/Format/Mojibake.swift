/// Text that was UTF-8, decoded once as Windows-1252 and saved again as UTF-8 (`ðŸ“‹` for 📋, `â‰¤` for ≤, `Ã©` for é),
/// shown as it was meant. Only what re-encodes to a complete, valid UTF-8 sequence is repaired; everything else (a
/// real `Ã` in a name, a lone `â`) stays as written. Files and item IDs are never rewritten: this is for display.
public enum Mojibake {
    /// The Windows-1252 byte each character of 0x80–0x9F stands for (the rest of 0xA0–0xFF is Latin-1).
    static let cp1252: [Unicode.Scalar: UInt8] = {
        let high: [UInt32] = [0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
                              0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                              0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178]
        var m: [Unicode.Scalar: UInt8] = [:]
        for (i, v) in high.enumerated() { m[Unicode.Scalar(v)!] = UInt8(0x80 + i) }
        for v: UInt32 in 0xA0...0xFF { m[Unicode.Scalar(v)!] = UInt8(v) }
        return m
    }()

    /// `s` with its double-encoded sequences repaired; `s` itself when it has none (the common case is a quick scan).
    public static func repaired(_ s: String) -> String {
        // Every double-encoded sequence starts with a lead byte's Latin-1 character (Â…ô).
        guard s.unicodeScalars.contains(where: { (0xC2...0xF4).contains($0.value) }) else { return s }
        let scalars = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            let lead = scalars[i].value
            let need = (0xC2...0xDF).contains(lead) ? 2 : (0xE0...0xEF).contains(lead) ? 3 : (0xF0...0xF4).contains(lead) ? 4 : 0
            if need > 0, i + need <= scalars.count {
                var bytes: [UInt8] = [UInt8(lead)]
                for k in 1..<need {
                    guard let b = cp1252[scalars[i + k]], (0x80...0xBF).contains(b) else { break }
                    bytes.append(b)
                }
                if bytes.count == need, let fixed = String(validating: bytes, as: UTF8.self) {
                    out.append(contentsOf: fixed.unicodeScalars)
                    i += need
                    continue
                }
            }
            out.append(scalars[i])
            i += 1
        }
        return String(out)
    }
}
