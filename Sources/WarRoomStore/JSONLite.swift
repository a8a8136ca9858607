/// A small, strict JSON reader over raw bytes, used for the journal line envelope, the payloads' fast path,
/// and the `head`/`lock` files. Foundation's JSONDecoder costs ~4 µs per payload, which alone would eat most
/// of the 100k-events-in-500-ms replay budget; this reader does a line in well under a microsecond.

enum JSONValue {
    case string(String)
    case int(Int64)
    case number(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([JSONMember])

    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var int: Int64? { if case .int(let v) = self { return v } else { return nil } }
}

/// An object member. (A struct, not a labelled tuple: tuple metadata is instantiated at run time, per call.)
struct JSONMember {
    var key: String
    var value: JSONValue
}

struct JSONFailure: Error {
    var message: String
    var offset: Int
}

/// Cursor over `buf[i..<end]`. Every method that fails leaves `i` unspecified.
struct JSONScanner {
    let buf: UnsafeBufferPointer<UInt8>
    var i: Int
    let end: Int

    init(_ buf: UnsafeBufferPointer<UInt8>, from: Int, to: Int) {
        self.buf = buf
        self.i = from
        self.end = to
    }

    static let maxDepth = 64

    var atEnd: Bool { i >= end }

    func fail(_ message: String) -> JSONFailure { JSONFailure(message: message, offset: i) }

    mutating func skipWhitespace() {
        while i < end {
            let c = buf[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    /// Consumes `literal` exactly (byte for byte) if it comes next.
    mutating func consume(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard end - i >= n else { return false }
        let p = literal.utf8Start
        for k in 0..<n where buf[i + k] != p[k] { return false }
        i += n
        return true
    }

    mutating func parseValue(depth: Int = 0) throws(JSONFailure) -> JSONValue {
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
        throw fail("unexpected character")
    }

    mutating func parseObject(depth: Int) throws(JSONFailure) -> JSONValue {
        guard depth <= Self.maxDepth else { throw fail("nested too deeply") }
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

    mutating func parseArray(depth: Int) throws(JSONFailure) -> JSONValue {
        guard depth <= Self.maxDepth else { throw fail("nested too deeply") }
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

    mutating func parseNumber() throws(JSONFailure) -> JSONValue {
        let start = i
        var negative = false
        if buf[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < end, isDigit(buf[i]) else { throw fail("invalid number") }
        var integral = true
        var overflow = false
        var value: Int64 = 0
        if buf[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < end, isDigit(buf[i]) {
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
            guard i < end, isDigit(buf[i]) else { throw fail("invalid number") }
            while i < end, isDigit(buf[i]) { i += 1 }
        }
        if i < end, buf[i] == UInt8(ascii: "e") || buf[i] == UInt8(ascii: "E") {
            integral = false
            i += 1
            if i < end, buf[i] == UInt8(ascii: "+") || buf[i] == UInt8(ascii: "-") { i += 1 }
            guard i < end, isDigit(buf[i]) else { throw fail("invalid number") }
            while i < end, isDigit(buf[i]) { i += 1 }
        }
        if integral, !overflow { return .int(value) }
        let text = String(decoding: slice(buf, start, i), as: UTF8.self)
        guard let d = Double(text) else { throw fail("invalid number") }
        return .number(d)
    }

    /// Parses a JSON string starting at the opening quote. Rejects raw control characters, bad escapes,
    /// unpaired surrogates and invalid UTF-8.
    mutating func parseString() throws(JSONFailure) -> String {
        i += 1 // opening quote
        let start = i
        // Fast path: no escapes. Pure ASCII needs no UTF-8 validation.
        var high: UInt8 = 0
        while i < end {
            let c = buf[i]
            if c == UInt8(ascii: "\"") {
                let bytes = slice(buf, start, i)
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
        var bytes = Array(slice(buf, start, i))
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

    private mutating func hex4() throws(JSONFailure) -> UInt32 {
        guard end - i >= 4 else { throw fail("invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = hexValue(buf[i]) else { throw fail("invalid \\u escape") }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }
}

/// `buf[from..<to]` as a buffer of its own (no Slice type, which costs a metadata lookup per use).
@inline(__always) func slice(_ buf: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> UnsafeBufferPointer<UInt8> {
    guard let base = buf.baseAddress, from < to else { return UnsafeBufferPointer(start: nil, count: 0) }
    return UnsafeBufferPointer(start: base + from, count: to - from)
}

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

@inline(__always) func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 48...57: return c - 48
    case 97...102: return c - 87
    case 65...70: return c - 55
    default: return nil
    }
}

/// Parses a whole JSON document (surrounding whitespace allowed) from bytes.
func parseJSON(_ bytes: [UInt8]) -> JSONValue? {
    bytes.withUnsafeBufferPointer { buf -> JSONValue? in
        var s = JSONScanner(buf, from: 0, to: buf.count)
        guard let v = try? s.parseValue() else { return nil }
        s.skipWhitespace()
        return s.atEnd ? v : nil
    }
}

/// Appends `s` as a JSON string literal: escapes `"`, `\` and control characters; nothing else.
func appendJSONString(_ s: String, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    for c in s.utf8 {
        switch c {
        case UInt8(ascii: "\""): out.append(0x5C); out.append(c)
        case UInt8(ascii: "\\"): out.append(0x5C); out.append(c)
        case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
        case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
        case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
        case 0..<0x20:
            out.append(contentsOf: Array("\\u00".utf8))
            out.append(hexDigits[Int(c >> 4)])
            out.append(hexDigits[Int(c & 0xF)])
        default: out.append(c)
        }
    }
    out.append(UInt8(ascii: "\""))
}

let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

func hexString<B: Sequence>(_ bytes: B) -> String where B.Element == UInt8 {
    var out: [UInt8] = []
    for b in bytes {
        out.append(hexDigits[Int(b >> 4)])
        out.append(hexDigits[Int(b & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}
