/// Text helpers shared by the decoders.
enum TelemetryText {
    /// One line, control characters replaced by spaces, cut to `limit` characters (with "…").
    static func oneLine(_ text: String, limit: Int = 300) -> String {
        var out = ""
        var count = 0
        var lastWasSpace = false
        for scalar in text.unicodeScalars {
            let isSpace = scalar.value < 0x20 || scalar.value == 0x7F || scalar == " "
            if isSpace {
                if lastWasSpace || out.isEmpty { continue }
                lastWasSpace = true
                out.unicodeScalars.append(" ")
            } else {
                lastWasSpace = false
                out.unicodeScalars.append(scalar)
            }
            count += 1
            if count >= limit {
                out.unicodeScalars.append("…")
                return out
            }
        }
        while out.hasSuffix(" ") { out.removeLast() }
        return out
    }

    /// Parses a number the way Prometheus writes them ("NaN", "+Inf", "-Inf", "1e3", " 42 ").
    /// Hex floats and anything else `Double(_:)` would accept beyond decimal notation are refused.
    static func number(_ raw: String) -> Double? {
        let text = raw.trimmingASCIIWhitespace()
        switch text.lowercased() {
        case "nan", "+nan", "-nan": return .nan
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: break
        }
        guard !text.isEmpty else { return nil }
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39, UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-"):
                continue
            default:
                return nil
            }
        }
        return Double(text)
    }

    /// Replaces every occurrence of `secret` in `text` (no-op for nil or empty secrets).
    ///
    /// Texts are cut before they get here (a server's echo inside a long error): the start of the secret left where a
    /// text was cut (before its "…", or at its end) is redacted too, so no prefix of a token survives a cut.
    static func redact(_ text: String, _ secret: String?) -> String {
        guard let secret, !secret.isEmpty else { return text }
        var out = text.contains(secret) ? text.replacing(secret, with: "[redacted]") : text
        let chars = Array(secret)
        let shortest = min(chars.count, 6)
        guard chars.count > 1 else { return out }
        for k in stride(from: chars.count - 1, through: shortest, by: -1) {
            let head = String(chars[..<k])
            if out.hasSuffix(head) {
                out = String(out.dropLast(head.count)) + "[redacted]"
                break
            }
            if out.contains(head + "…") {
                out = out.replacing(head + "…", with: "[redacted]…")
                break
            }
        }
        return out
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let bytes = Array(utf8)
        var start = 0
        var end = bytes.count
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C }
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        if start == 0, end == bytes.count { return self }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
