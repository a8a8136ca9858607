import Foundation

/// Writes one request and reads its response on a connection (plain or TLS).
final class SocketHTTPExchange {
    struct Result {
        var status: Int
        var contentType: String?
        var location: String?
        var body: [UInt8]
        /// The connection can carry another request: HTTP/1.1, no `Connection: close`, the body framed by length or
        /// chunks and read to its end, nothing left over.
        var reusable: Bool
    }

    private let connection: HTTPConnection
    private let wake: Int32
    private var deadlineNs: UInt64
    private let keepBody: Bool
    /// A streamed answer: a 2xx body's bytes go here as they arrive (chunks decoded) instead of into `body`.
    private let sink: (@Sendable (ArraySlice<UInt8>) -> Void)?
    /// A streamed answer: once its head is in, the deadline is this long after the last byte (nil: none).
    private let idleNs: UInt64?
    private var streaming = false
    private let maxBodyBytes: Int
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEOF = false
    private var chunk = [UInt8](repeating: 0, count: 32 << 10)
    private var body: [UInt8] = []
    /// Some byte of the answer arrived.
    private(set) var receivedAny = false

    /// Response heads larger than this are refused.
    static let maxHeadBytes = 64 << 10

    init(connection: HTTPConnection, wake: Int32, deadlineNs: UInt64, keepBody: Bool, maxBodyBytes: Int,
         sink: (@Sendable (ArraySlice<UInt8>) -> Void)? = nil, idleMs: Int64? = nil) {
        self.connection = connection
        self.wake = wake
        self.deadlineNs = deadlineNs
        self.keepBody = keepBody
        self.maxBodyBytes = maxBodyBytes
        self.sink = sink
        idleNs = idleMs.map { UInt64(max(1, $0)) &* 1_000_000 }
    }

    /// A streamed answer's deadline from now on: `idleNs` after the last byte, or none.
    private func extendDeadline() {
        deadlineNs = idleNs.map { DispatchTime.now().uptimeNanoseconds &+ $0 } ?? UInt64.max
    }

    func send(_ bytes: [UInt8]) throws {
        try connection.send(bytes, wake: wake, deadlineNs: deadlineNs)
    }

    func readResponse() throws -> Result {
        var status: Int
        var version: String
        var headers: [(name: String, value: String)]
        repeat {
            (version, status, headers) = try readHead()
        } while (100..<200).contains(status) && status != 101  // interim answers (100 Continue, 103 Early Hints)
        func header(_ name: String) -> [String] { headers.filter { $0.name == name }.map(\.value) }
        let contentType = header("content-type").first
        let location = header("location").first
        let connection = header("connection").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var reusable = version == "HTTP/1.1" && !connection.contains("close") && status != 101
        func result() -> Result {
            Result(status: status, contentType: contentType, location: location, body: body,
                   reusable: reusable && !atEOF && position == buffer.count)
        }
        if status == 101 || status == 204 || status == 304 {
            return result()
        }
        if sink != nil, (200..<300).contains(status) {
            // A stream: its body may never end; only silence (`idleNs`) or the caller's cancel stops it.
            streaming = true
            extendDeadline()
        }
        let codings = header("transfer-encoding").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        if !codings.isEmpty {
            guard codings.last == "chunked" else { throw SocketHTTPFailure.text("unsupported transfer encoding \(codings.joined(separator: ", "))") }
            guard codings.count == 1 else { throw SocketHTTPFailure.text("unsupported transfer encoding \(codings.dropLast().joined(separator: ", "))") }
            try readChunked()
        } else if let lengthText = header("content-length").first {
            let lengths = Set(header("content-length").flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) })
            guard lengths.count == 1, let length = Int(lengthText.trimmingCharacters(in: .whitespaces)), length >= 0
            else { throw SocketHTTPFailure.bad }
            if keepBody, length > maxBodyBytes { throw SocketHTTPFailure.tooLarge(maxBodyBytes) }
            try readBody(count: length)
        } else {
            reusable = false
            try readUntilClose()
        }
        return result()
    }

    // MARK: Parts

    /// The status line's version ("HTTP/1.1"), the status and the headers (names lower-cased).
    private func readHead() throws -> (String, Int, [(name: String, value: String)]) {
        var lines: [String] = []
        var headBytes = 0
        while true {
            guard let line = try readLine(limit: Self.maxHeadBytes, eofIsClosed: true) else { throw SocketHTTPFailure.closed }
            headBytes += line.utf8.count + 2
            if headBytes > Self.maxHeadBytes { throw SocketHTTPFailure.text("bad HTTP response (header too large)") }
            if line.isEmpty {
                if lines.isEmpty { continue }  // stray blank line before the status line
                break
            }
            lines.append(line)
        }
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), parts[1].count == 3, let status = Int(parts[1]),
            (100...999).contains(status)
        else { throw SocketHTTPFailure.bad }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            if line.first == " " || line.first == "\t", !headers.isEmpty {  // obsolete line folding
                headers[headers.count - 1].value += " " + line.trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { throw SocketHTTPFailure.bad }
            let name = line[..<colon].lowercased()
            guard !name.isEmpty, !name.contains(" ") else { throw SocketHTTPFailure.bad }
            headers.append((name, line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return (String(parts[0]), status, headers)
    }

    private func readChunked() throws {
        while true {
            guard let line = try readLine(limit: 4096, eofIsClosed: true) else { throw SocketHTTPFailure.closed }
            let sizeText = line.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard !sizeText.isEmpty, sizeText.count <= 15, let size = Int(sizeText, radix: 16), size >= 0 else {
                throw SocketHTTPFailure.text("bad HTTP response (chunk size)")
            }
            if size == 0 {
                // Trailers, up to the blank line that ends the message.
                while let trailer = try readLine(limit: 4096, eofIsClosed: false), !trailer.isEmpty {}
                return
            }
            if keepBody, !streaming, body.count + size > maxBodyBytes { throw SocketHTTPFailure.tooLarge(maxBodyBytes) }
            try readBody(count: size)
            guard let end = try readLine(limit: 4096, eofIsClosed: true), end.isEmpty else {
                throw SocketHTTPFailure.text("bad HTTP response (chunk framing)")
            }
        }
    }

    private func readBody(count: Int) throws {
        var remaining = count
        while remaining > 0 {
            if position == buffer.count, try !fill() { throw SocketHTTPFailure.closed }
            let take = min(remaining, buffer.count - position)
            if streaming, let sink { sink(buffer[position..<(position + take)]) } else if keepBody { body.append(contentsOf: buffer[position..<(position + take)]) }
            position += take
            remaining -= take
        }
    }

    private func readUntilClose() throws {
        while true {
            if position < buffer.count {
                let take = buffer.count - position
                if streaming, let sink { sink(buffer[position...]) } else if keepBody {
                    if body.count + take > maxBodyBytes { throw SocketHTTPFailure.tooLarge(maxBodyBytes) }
                    body.append(contentsOf: buffer[position...])
                }
                position += take
            }
            if try !fill() { return }
        }
    }

    /// One line without its CRLF (or bare LF); nil at the end of the stream (an error if `eofIsClosed`).
    private func readLine(limit: Int, eofIsClosed: Bool) throws -> String? {
        var scanned = 0  // bytes after `position` already searched (`fill` may move the buffer's contents)
        while true {
            if let newline = buffer[(position + scanned)...].firstIndex(of: 10) {
                var end = newline
                if end > position, buffer[end - 1] == 13 { end -= 1 }
                let line = String(decoding: buffer[position..<end], as: UTF8.self)
                position = newline + 1
                return line
            }
            scanned = buffer.count - position
            if scanned > limit { throw SocketHTTPFailure.text("bad HTTP response (line too long)") }
            if try !fill() {
                if eofIsClosed { throw SocketHTTPFailure.closed }
                return nil
            }
        }
    }

    /// Reads what the socket has (waiting in `poll()` for it). False at the end of the stream.
    private func fill() throws -> Bool {
        if atEOF { return false }
        if position > 0, position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        } else if position >= 64 << 10 {
            buffer.removeFirst(position)
            position = 0
        }
        let n = try connection.receive(&chunk, wake: wake, deadlineNs: deadlineNs)
        if n == 0 {
            atEOF = true
            return false
        }
        buffer.append(contentsOf: chunk[0..<n])
        receivedAny = true
        if streaming { extendDeadline() }
        return true
    }
}
