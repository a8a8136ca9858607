/// A small strict JSON reader for telemetry responses (Prometheus, Alertmanager, JSON files).
///
/// Pure and deterministic: bytes in, a value or a readable error (with the byte offset) out.
/// Numbers are kept as `Double`; objects keep the last value of a duplicated key.
/// Nesting is capped, so a hostile body cannot overflow the stack.
enum TelemetryJSON: Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([TelemetryJSON])
    case object([String: TelemetryJSON])

    subscript(key: String) -> TelemetryJSON? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var array: [TelemetryJSON]? { if case .array(let a) = self { return a } else { return nil } }
    var object: [String: TelemetryJSON]? { if case .object(let o) = self { return o } else { return nil } }

    /// A short name of the value's type, for messages ("an object", "a string", …).
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    struct ParseError: Error, Equatable {
        var message: String
        var offset: Int
        /// The input ended before the value did (a cut-off body).
        var truncated: Bool

        var description: String { "\(message) at byte \(offset)" }
    }

    static let maxDepth = 128

    static func parse(_ bytes: [UInt8]) -> Result<TelemetryJSON, ParseError> {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(buf: buffer, i: 0)
            do {
                reader.skipWhitespace()
                if reader.i < buffer.count, reader.i == 0, buffer.count >= 3,
                    buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF
                {
                    reader.i = 3  // a UTF-8 byte order mark
                }
                let value = try reader.value(depth: 0)
                reader.skipWhitespace()
                if reader.i < buffer.count {
                    return .failure(ParseError(message: "unexpected data after the JSON value", offset: reader.i, truncated: false))
                }
                return .success(value)
            } catch let error as ParseError {
                return .failure(error)
            } catch {
                return .failure(ParseError(message: "\(error)", offset: reader.i, truncated: false))
            }
        }
    }

    private struct Reader {
        let buf: UnsafeBufferPointer<UInt8>
        var i: Int

        func fail(_ message: String) -> ParseError {
            ParseError(message: message, offset: i, truncated: false)
        }

        func endOfInput() -> ParseError {
            ParseError(message: "unexpected end of data", offset: i, truncated: true)
        }

        mutating func skipWhitespace() {
            while i < buf.count {
                let c = buf[i]
                guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
                i += 1
            }
        }

        mutating func literal(_ text: StaticString, _ value: TelemetryJSON) throws(ParseError) -> TelemetryJSON {
            let n = text.utf8CodeUnitCount
            let p = text.utf8Start
            for k in 0..<n {
                guard i + k < buf.count else {
                    i = buf.count
                    throw endOfInput()
                }
                guard buf[i + k] == p[k] else {
                    i += k
                    throw fail("invalid literal")
                }
            }
            i += n
            return value
        }

        mutating func value(depth: Int) throws(ParseError) -> TelemetryJSON {
            skipWhitespace()
            guard i < buf.count else { throw endOfInput() }
            switch buf[i] {
            case UInt8(ascii: "{"):
                guard depth < TelemetryJSON.maxDepth else { throw fail("nesting deeper than \(TelemetryJSON.maxDepth)") }
                return try object(depth: depth + 1)
            case UInt8(ascii: "["):
                guard depth < TelemetryJSON.maxDepth else { throw fail("nesting deeper than \(TelemetryJSON.maxDepth)") }
                return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw fail("unexpected character \(Self.show(buf[i]))")
            }
        }

        static func show(_ byte: UInt8) -> String {
            if byte >= 0x21, byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
            return "0x" + String(byte, radix: 16, uppercase: true)
        }

        mutating func object(depth: Int) throws(ParseError) -> TelemetryJSON {
            i += 1
            var members: [String: TelemetryJSON] = [:]
            skipWhitespace()
            guard i < buf.count else { throw endOfInput() }
            if buf[i] == UInt8(ascii: "}") {
                i += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard i < buf.count else { throw endOfInput() }
                guard buf[i] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                let key = try string()
                skipWhitespace()
                guard i < buf.count else { throw endOfInput() }
                guard buf[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                members[key] = try value(depth: depth)
                skipWhitespace()
                guard i < buf.count else { throw endOfInput() }
                if buf[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                guard buf[i] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
                i += 1
                return .object(members)
            }
        }

        mutating func array(depth: Int) throws(ParseError) -> TelemetryJSON {
            i += 1
            var items: [TelemetryJSON] = []
            skipWhitespace()
            guard i < buf.count else { throw endOfInput() }
            if buf[i] == UInt8(ascii: "]") {
                i += 1
                return .array(items)
            }
            while true {
                items.append(try value(depth: depth))
                skipWhitespace()
                guard i < buf.count else { throw endOfInput() }
                if buf[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                guard buf[i] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
                i += 1
                return .array(items)
            }
        }

        mutating func number() throws(ParseError) -> TelemetryJSON {
            let start = i
            func digits(_ r: inout Reader) -> Int {
                var n = 0
                while r.i < r.buf.count, r.buf[r.i] >= 0x30, r.buf[r.i] <= 0x39 {
                    r.i += 1
                    n += 1
                }
                return n
            }
            if buf[i] == UInt8(ascii: "-") { i += 1 }
            guard i < buf.count else { throw endOfInput() }
            if buf[i] == UInt8(ascii: "0") {
                i += 1
            } else if digits(&self) == 0 {
                throw fail("invalid number")
            }
            if i < buf.count, buf[i] == UInt8(ascii: ".") {
                i += 1
                guard i < buf.count else { throw endOfInput() }
                guard digits(&self) > 0 else { throw fail("invalid number") }
            }
            if i < buf.count, buf[i] == UInt8(ascii: "e") || buf[i] == UInt8(ascii: "E") {
                i += 1
                if i < buf.count, buf[i] == UInt8(ascii: "+") || buf[i] == UInt8(ascii: "-") { i += 1 }
                guard i < buf.count else { throw endOfInput() }
                guard digits(&self) > 0 else { throw fail("invalid number") }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
            guard let value = Double(text) else {
                i = start
                throw fail("invalid number")
            }
            return .number(value)
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            var v: UInt32 = 0
            for _ in 0..<4 {
                guard i < buf.count else { throw endOfInput() }
                let c = buf[i]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw fail("invalid \\u escape")
                }
                v = v * 16 + d
                i += 1
            }
            return v
        }

        mutating func string() throws(ParseError) -> String {
            i += 1
            var bytes: [UInt8] = []
            var runStart = i
            while true {
                guard i < buf.count else { throw endOfInput() }
                let c = buf[i]
                if c == UInt8(ascii: "\"") {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[runStart..<i]))
                    i += 1
                    return String(decoding: bytes, as: UTF8.self)
                }
                if c < 0x20 { throw fail("control character in a string") }
                if c != UInt8(ascii: "\\") {
                    i += 1
                    continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[runStart..<i]))
                i += 1
                guard i < buf.count else { throw endOfInput() }
                let e = buf[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): bytes.append(0x22)
                case UInt8(ascii: "\\"): bytes.append(0x5C)
                case UInt8(ascii: "/"): bytes.append(0x2F)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800, scalar < 0xDC00 {
                        // A high surrogate: a low one should follow.
                        if i + 1 < buf.count, buf[i] == UInt8(ascii: "\\"), buf[i + 1] == UInt8(ascii: "u") {
                            i += 2
                            let low = try hex4()
                            if low >= 0xDC00, low < 0xE000 {
                                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                scalar = 0xFFFD
                            }
                        } else {
                            scalar = 0xFFFD
                        }
                    } else if scalar >= 0xDC00, scalar < 0xE000 {
                        scalar = 0xFFFD
                    }
                    let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    bytes.append(contentsOf: Array(String(Character(s)).utf8))
                default:
                    i -= 1
                    throw fail("invalid escape")
                }
                runStart = i
            }
        }
    }
}

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

    /// Formats milliseconds as seconds for messages: "2 s", "0.5 s", "1.3 s".
    static func seconds(_ ms: Int64) -> String {
        if ms % 1_000 == 0 { return "\(ms / 1_000) s" }
        let tenths = (ms + 50) / 100
        if tenths == 0 { return "\(ms) ms" }
        return "\(tenths / 10).\(tenths % 10) s"
    }

    /// Replaces every occurrence of `secret` in `text` (no-op for nil or empty secrets).
    static func redact(_ text: String, _ secret: String?) -> String {
        guard let secret, !secret.isEmpty, text.contains(secret) else { return text }
        return text.replacing(secret, with: "[redacted]")
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
