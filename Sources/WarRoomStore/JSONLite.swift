import WarRoomJSON

// The journal reads JSON with the one reader (WarRoomJSON: the line envelope through its scanner, the `head`/`lock`
// files and a line's diagnosis through `parseJSON`). These names keep the Store's other files as they were.

typealias JSONValue = WarRoomJSON.JSONValue
typealias JSONMember = WarRoomJSON.JSONMember
typealias JSONFailure = WarRoomJSON.JSONFailure
typealias JSONScanner = WarRoomJSON.JSONScanner

/// Parses a whole JSON document (surrounding whitespace allowed) from bytes; nil if it is not one.
func parseJSON(_ bytes: [UInt8]) -> JSONValue? {
    try? JSONValue.parse(bytes).get()
}

/// `buf[from..<to]` as a buffer of its own (no Slice type, which costs a metadata lookup per use).
@inline(__always) func slice(_ buf: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> UnsafeBufferPointer<UInt8> {
    guard let base = buf.baseAddress, from < to else { return UnsafeBufferPointer(start: nil, count: 0) }
    return UnsafeBufferPointer(start: base + from, count: to - from)
}

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

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
