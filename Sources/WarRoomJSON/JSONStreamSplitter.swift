/// Splits a stream of JSON objects (or arrays) written one after another — etcd's watch answers
/// `{"result":{…}}{"result":{…}}…`, with or without newlines between them — into values, as the bytes arrive in
/// pieces cut anywhere. A byte-level state machine (depth, inside a string, after a backslash) finds where each
/// top-level value ends, so every byte is looked at once however the stream was cut; the complete value is then
/// parsed by the one `JSONScanner` (same rules, same errors as `JSONValue.parse`). Not thread-safe.
public struct JSONStreamSplitter {
    /// A value larger than this fails instead of being buffered without end.
    public let maxValueBytes: Int
    private var buffer: [UInt8] = []
    /// Bytes of `buffer` already scanned (the state below describes them).
    private var scanned = 0
    /// Where the value being scanned starts in `buffer` (nil: between values).
    private var start: Int?
    private var depth = 0
    private var inString = false
    private var escaped = false
    /// Bytes consumed before `buffer[0]` (for error offsets).
    private var consumed = 0

    public init(maxValueBytes: Int = 64 << 20) {
        self.maxValueBytes = maxValueBytes
    }

    /// Bytes waiting for the rest of their value.
    public var pending: Int { buffer.count - (start ?? buffer.count) }

    /// Takes the next piece of the stream; returns the values it completed, in order. A malformed value (or
    /// anything but an object or array at the top level) throws, with its offset in the whole stream; the
    /// splitter is then unusable (the stream is broken).
    public mutating func feed<C: Collection>(_ bytes: C) throws(JSONFailure) -> [JSONValue] where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        var values: [JSONValue] = []
        var i = scanned
        while i < buffer.count {
            let c = buffer[i]
            if start == nil {
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 {
                    i += 1
                    continue
                }
                guard c == UInt8(ascii: "{") || c == UInt8(ascii: "[") else {
                    throw JSONFailure(message: "expected a JSON object in the stream", offset: consumed + i)
                }
                start = i
                depth = 1
                i += 1
                continue
            }
            if inString {
                if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { inString = false }
            } else if c == UInt8(ascii: "\"") {
                inString = true
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                depth += 1
            } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                depth -= 1
                if depth == 0, let s = start {
                    values.append(try parse(from: s, to: i + 1))
                    start = nil
                }
            }
            i += 1
        }
        // Drop what was handed out; keep the value under way.
        let keepFrom = start ?? buffer.count
        if keepFrom > 0 {
            buffer.removeFirst(keepFrom)
            consumed += keepFrom
            i -= keepFrom
            if start != nil { start = 0 }
        }
        scanned = i
        if pending > maxValueBytes {
            throw JSONFailure(message: "a value in the stream is larger than \(maxValueBytes >> 20) MiB", offset: consumed)
        }
        return values
    }

    private func parse(from: Int, to: Int) throws(JSONFailure) -> JSONValue {
        let base = consumed
        return try buffer.withUnsafeBufferPointer { buf throws(JSONFailure) -> JSONValue in
            var s = JSONScanner(buf, from: from, to: to)
            do throws(JSONFailure) {
                let v = try s.parseValue()
                guard s.i == to else { throw s.fail("unexpected data after the JSON value") }
                return v
            } catch {
                throw JSONFailure(message: error.message, offset: base + error.offset)
            }
        }
    }
}
