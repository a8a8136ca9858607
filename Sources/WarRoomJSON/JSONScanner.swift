/// The reader's cursor, for callers that read a fixed format field by field and parse only some values as JSON
/// (the journal's line envelope). Inlinable: the journal replays ~100k lines in well under 500 ms, and a call
/// across the module boundary per byte would not keep that.
/// Cursor over `buf[i..<end]`. Every method that fails leaves `i` unspecified.
public struct JSONScanner {
    public let buf: UnsafeBufferPointer<UInt8>
    public var i: Int
    public let end: Int

    @inlinable public init(_ buf: UnsafeBufferPointer<UInt8>, from: Int, to: Int) {
        self.buf = buf
        self.i = from
        self.end = to
    }

    public static var maxDepth: Int { 64 }

    @inlinable public var atEnd: Bool { i >= end }

    @inlinable public func fail(_ message: String) -> JSONFailure { JSONFailure(message: message, offset: i) }

    @inlinable public mutating func skipWhitespace() {
        while i < end {
            let c = buf[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    /// Consumes `literal` exactly (byte for byte) if it comes next.
    @inlinable public mutating func consume(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard end - i >= n else { return false }
        let p = literal.utf8Start
        for k in 0..<n where buf[i + k] != p[k] { return false }
        i += n
        return true
    }

    @inlinable public mutating func parseValue(depth: Int = 0) throws(JSONFailure) -> JSONValue {
        skipWhitespace()
        guard i < end else { throw fail("unexpected end of input") }
        switch buf[i] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): if consume("true") { return .bool(true) }
        case UInt8(ascii: "f"): if consume("false") { return .bool(false) }
        case UInt8(ascii: "n"): if consume("null") { return .null }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: break
        }
        throw unexpectedCharacter()
    }

    /// At a byte no value starts with, or a literal cut short by the end of the input ("tr"): the latter is an
    /// end-of-input failure (its offset is `end`).
    @usableFromInline func unexpectedCharacter() -> JSONFailure {
        for literal in ["true", "false", "null"] {
            let rest = jsonSlice(buf, i, end)
            if rest.count < literal.utf8.count, literal.utf8.starts(with: rest) {
                return JSONFailure(message: "unexpected end of input", offset: end)
            }
        }
        if buf[i] >= 0x21, buf[i] < 0x7F {
            return fail("unexpected character '\(Character(Unicode.Scalar(buf[i])))'")
        }
        return fail("unexpected byte 0x" + String(buf[i], radix: 16, uppercase: true))
    }

    @inlinable public mutating func parseObject(depth: Int) throws(JSONFailure) -> JSONValue {
        guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
        i += 1 // {
        var members: [JSONMember] = []
        skipWhitespace()
        if i < end, buf[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard i < end, buf[i] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
            let key = try parseString()
            skipWhitespace()
            guard i < end, buf[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            i += 1
            let value = try parseValue(depth: depth)
            members.append(JSONMember(key: key, value: value))
            skipWhitespace()
            guard i < end else { throw fail("unterminated object") }
            if buf[i] == UInt8(ascii: ",") { i += 1; continue }
            if buf[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            throw fail("expected ',' or '}'")
        }
    }

    @inlinable public mutating func parseArray(depth: Int) throws(JSONFailure) -> JSONValue {
        guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
        i += 1 // [
        var items: [JSONValue] = []
        skipWhitespace()
        if i < end, buf[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            guard i < end else { throw fail("unterminated array") }
            if buf[i] == UInt8(ascii: ",") { i += 1; continue }
            if buf[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw fail("expected ',' or ']'")
        }
    }

    @inlinable public mutating func parseNumber() throws(JSONFailure) -> JSONValue {
        let start = i
        var negative = false
        if buf[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < end, jsonIsDigit(buf[i]) else { throw fail("invalid number") }
        var integral = true
        var overflow = false
        var value: Int64 = 0
        if buf[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < end, jsonIsDigit(buf[i]) {
                let d = Int64(buf[i] &- 48)
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (s, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
                overflow = overflow || o1 || o2
                value = s
                i += 1
            }
        }
        if i < end, buf[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            guard i < end, jsonIsDigit(buf[i]) else { throw fail("invalid number") }
            while i < end, jsonIsDigit(buf[i]) { i += 1 }
        }
        if i < end, buf[i] == UInt8(ascii: "e") || buf[i] == UInt8(ascii: "E") {
            integral = false
            i += 1
            if i < end, buf[i] == UInt8(ascii: "+") || buf[i] == UInt8(ascii: "-") { i += 1 }
            guard i < end, jsonIsDigit(buf[i]) else { throw fail("invalid number") }
            while i < end, jsonIsDigit(buf[i]) { i += 1 }
        }
        if integral, !overflow { return .int(value) }
        let text = String(decoding: jsonSlice(buf, start, i), as: UTF8.self)
        guard let d = Double(text) else { throw fail("invalid number") }
        return .number(d)
    }

    /// Parses a JSON string starting at the opening quote. Rejects raw control characters, bad escapes,
    /// unpaired surrogates and invalid UTF-8.
    @inlinable public mutating func parseString() throws(JSONFailure) -> String {
        i += 1 // opening quote
        let start = i
        // Fast path: no escapes. Pure ASCII needs no UTF-8 validation.
        var high: UInt8 = 0
        while i < end {
            let c = buf[i]
            if c == UInt8(ascii: "\"") {
                let bytes = jsonSlice(buf, start, i)
                i += 1
                if high < 0x80 { return String(decoding: bytes, as: UTF8.self) }
                guard let s = String(validating: bytes, as: UTF8.self) else { throw fail("invalid UTF-8 in string") }
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw fail("control character in string") }
            high |= c
            i += 1
        }
        guard i < end else { throw fail("unterminated string") }
        var bytes = Array(jsonSlice(buf, start, i))
        while i < end {
            let c = buf[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                guard let s = String(validating: bytes, as: UTF8.self) else { throw fail("invalid UTF-8 in string") }
                return s
            }
            if c < 0x20 { throw fail("control character in string") }
            if c != UInt8(ascii: "\\") { bytes.append(c); i += 1; continue }
            i += 1
            guard i < end else { break }
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
                if (0xD800...0xDBFF).contains(scalar) {
                    guard consume("\\u") else { throw fail("unpaired surrogate in string") }
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate in string") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw fail("unpaired surrogate in string")
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                UTF8.encode(u) { bytes.append($0) }
            default:
                throw fail("invalid escape in string")
            }
        }
        throw fail("unterminated string")
    }

    @inlinable mutating func hex4() throws(JSONFailure) -> UInt32 {
        guard end - i >= 4 else { throw fail("invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = jsonHexValue(buf[i]) else { throw fail("invalid \\u escape") }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }
}

/// `buf[from..<to]` as a buffer of its own (no Slice type, which costs a metadata lookup per use).
@inlinable @inline(__always) func jsonSlice(_ buf: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> UnsafeBufferPointer<UInt8> {
    guard let base = buf.baseAddress, from < to else { return UnsafeBufferPointer(start: nil, count: 0) }
    return UnsafeBufferPointer(start: base + from, count: to - from)
}

@inlinable @inline(__always) func jsonIsDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

@inlinable @inline(__always) func jsonHexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 48...57: return c - 48
    case 97...102: return c - 87
    case 65...70: return c - 55
    default: return nil
    }
}

