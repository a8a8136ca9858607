import WarRoomJSON

/// HTTP helpers shared by the Prometheus, Alertmanager and http sources (pure).
enum HTTPText {
    /// The base URL without trailing slashes, or nil unless it is `http://…` or `https://…` with a host.
    static func baseURL(_ base: String) -> String? {
        var root = base.trimmingASCIIWhitespace()
        let lower = root.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else { return nil }
        while root.hasSuffix("/") { root.removeLast() }
        let afterScheme = root.drop(while: { $0 != ":" }).dropFirst(3)
        guard !afterScheme.isEmpty, !root.contains("?"), !root.contains("#") else { return nil }
        return root
    }

    /// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay as they are).
    static func percentEncodeQueryValue(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count * 3 / 2)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
            }
        }
        return out
    }

    static func reasonPhrase(_ status: Int) -> String? {
        switch status {
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 422: return "Unprocessable Entity"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return nil
        }
    }

    /// `HTTP 503 Service Unavailable`, or `HTTP 503: <detail>` when there is one.
    static func status(_ status: Int, detail: String?) -> String {
        if let detail, !detail.isEmpty { return "HTTP \(status): \(detail)" }
        if let phrase = reasonPhrase(status) { return "HTTP \(status) \(phrase)" }
        return "HTTP \(status)"
    }

    /// A non-2xx JSON body: its error text if it has one (`error`, `message`, `msg`, or a bare JSON string).
    static func statusFailure(status: Int, json: JSONValue) -> String {
        var detail: String?
        switch json {
        case .string(let s): detail = s
        case .object:
            for key in ["error", "message", "msg", "detail", "title"] {
                if let s = json[key]?.string, !s.isEmpty {
                    detail = s
                    break
                }
            }
        default: break
        }
        return Self.status(status, detail: detail.map { TelemetryText.oneLine($0) })
    }

    /// Parses a body expected to be JSON. `.failure` carries the whole readable message:
    /// `HTTP 502: not JSON (text/html): 502 Bad Gateway`, `HTTP 200: malformed JSON: unexpected end of data at byte 42`,
    /// `HTTP 204: empty body`.
    static func parseJSONBody(status: Int, contentType: String?, body: [UInt8]) -> Swift.Result<JSONValue, JSONBodyError> {
        let ok = (200..<300).contains(status)
        var first = 0
        while first < body.count, body[first] == 0x20 || body[first] == 0x0A || body[first] == 0x0D || body[first] == 0x09 {
            first += 1
        }
        if first == body.count {
            return .failure(JSONBodyError(ok ? "HTTP \(status): empty body" : Self.status(status, detail: nil)))
        }
        let c = body[first]
        let looksJSON = c == UInt8(ascii: "{") || c == UInt8(ascii: "[") || c == UInt8(ascii: "\"")
            || (body.count >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF)
        let mediaType = contentType.map { mediaTypeOnly($0) }
        if !looksJSON {
            if !ok, mediaType?.hasPrefix("text/plain") ?? false {
                // A proxy's or server's plain-text error ("Unauthorized", "upstream connect error"): its first line.
                return .failure(JSONBodyError(Self.status(status, detail: textSnippet(body, contentType: mediaType))))
            }
            let what = mediaType.map { "not JSON (\($0))" } ?? "not JSON"
            return .failure(JSONBodyError("HTTP \(status): \(what): \(textSnippet(body, contentType: mediaType))"))
        }
        switch JSONValue.parse(body) {
        case .success(let json): return .success(json)
        case .failure(let error):
            let what = error.truncated ? "truncated JSON" : "malformed JSON"
            return .failure(JSONBodyError("HTTP \(status): \(what): \(error.description)"))
        }
    }

    struct JSONBodyError: Error, Equatable {
        var message: String
        init(_ message: String) { self.message = message }
    }

    /// `text/html; charset=utf-8` → `text/html`.
    static func mediaTypeOnly(_ contentType: String) -> String {
        let main = contentType.split(separator: ";", maxSplits: 1).first.map(String.init) ?? contentType
        return TelemetryText.oneLine(main.trimmingASCIIWhitespace().lowercased(), limit: 60)
    }

    /// The `<title>` of an HTML page, else the first non-empty line, at most 80 characters.
    static func textSnippet(_ body: [UInt8], contentType: String?, limit: Int = 80) -> String {
        let head = Array(body.prefix(64 * 1024))
        let text = String(decoding: head, as: UTF8.self)
        if let title = htmlTitle(text) {
            let cleaned = TelemetryText.oneLine(title, limit: limit)
            if !cleaned.isEmpty { return cleaned }
        }
        let looksHTML = (contentType?.contains("html") ?? false) || text.trimmingASCIIWhitespace().hasPrefix("<")
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            var candidate = String(line)
            if looksHTML { candidate = stripTags(candidate) }
            let cleaned = TelemetryText.oneLine(candidate, limit: limit)
            if !cleaned.isEmpty { return cleaned }
        }
        return "(no text)"
    }

    static func htmlTitle(_ text: String) -> String? {
        let lower = text.lowercased()
        guard let open = lower.firstRange(of: "<title") else { return nil }
        guard let close = lower[open.upperBound...].firstRange(of: ">") else { return nil }
        guard let end = lower[close.upperBound...].firstRange(of: "</title") else { return nil }
        // `lower` and `text` have the same length only when lowercasing kept the scalars; map by offset.
        let startOffset = lower.distance(from: lower.startIndex, to: close.upperBound)
        let endOffset = lower.distance(from: lower.startIndex, to: end.lowerBound)
        guard lower.count == text.count else { return String(lower[close.upperBound..<end.lowerBound]) }
        let s = text.index(text.startIndex, offsetBy: startOffset)
        let e = text.index(text.startIndex, offsetBy: endOffset)
        return String(text[s..<e])
    }

    static func stripTags(_ line: String) -> String {
        var out = ""
        var inTag = false
        for ch in line {
            if ch == "<" { inTag = true; continue }
            if ch == ">" { inTag = false; out.append(" "); continue }
            if !inTag { out.append(ch) }
        }
        return out
    }
}
