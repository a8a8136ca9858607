/// The one JSON reader: the journal's lines, envelope and `head`/`lock` files (WarRoomStore) and the telemetry
/// sources' bodies (Prometheus, Alertmanager, JSON files; WarRoomTelemetry). Pure Swift, no Foundation.
///
/// Strict (RFC 8259): raw control characters, bad escapes, unpaired surrogates and invalid UTF-8 are errors, and so
/// is anything after the value. Integers that fit stay exact (`.int`), other numbers are `.number`. Objects keep
/// their members in order (a duplicated key: the first one is the value). Nesting is capped, so a hostile body
/// cannot overflow the stack.
public enum JSONValue: Equatable, Sendable {
    case string(String)
    case int(Int64)
    case number(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([JSONMember])

    /// An object's member (the first one with that key); nil for other values.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var int: Int64? { if case .int(let v) = self { return v } else { return nil } }
    /// Any number, as a `Double`.
    public var double: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .number(let v): return v
        default: return nil
        }
    }
    public var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var members: [JSONMember]? { if case .object(let m) = self { return m } else { return nil } }

    /// A short name of the value's type, for messages ("an object", "a string", …).
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Parses a whole document: surrounding whitespace and a leading UTF-8 byte order mark allowed, nothing else
    /// after the value. A failure that ran into the end of the input is `truncated` ("unexpected end of data").
    public static func parse(_ bytes: [UInt8]) -> Result<JSONValue, JSONFailure> {
        bytes.withUnsafeBufferPointer { buf in
            var start = 0
            if buf.count >= 3, buf[0] == 0xEF, buf[1] == 0xBB, buf[2] == 0xBF { start = 3 }
            var s = JSONScanner(buf, from: start, to: buf.count)
            do throws(JSONFailure) {
                let value = try s.parseValue()
                s.skipWhitespace()
                guard s.atEnd else { return .failure(s.fail("unexpected data after the JSON value")) }
                return .success(value)
            } catch {
                if error.offset >= buf.count {
                    return .failure(JSONFailure(message: "unexpected end of data", offset: buf.count, truncated: true))
                }
                return .failure(error)
            }
        }
    }
}

/// An object member. (A struct, not a labelled tuple: tuple metadata is instantiated at run time, per call.)
public struct JSONMember: Equatable, Sendable {
    public var key: String
    public var value: JSONValue

    @inlinable public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}

public struct JSONFailure: Error, Equatable, Sendable {
    public var message: String
    /// Byte offset in the input where reading stopped.
    public var offset: Int
    /// The input ended before the value did (a cut-off body or a line still being written).
    public var truncated: Bool

    @inlinable public init(message: String, offset: Int, truncated: Bool = false) {
        self.message = message
        self.offset = offset
        self.truncated = truncated
    }

    /// "unexpected end of data at byte 130".
    public var description: String { "\(message) at byte \(offset)" }
}
