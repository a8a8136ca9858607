import WarRoomJSON

/// Prometheus HTTP API, instant queries (`GET /api/v1/query`). Also fits Thanos, Mimir, Cortex and
/// VictoriaMetrics, which serve the same API.
public enum PrometheusDecoder {
    /// A decoded answer: the reading and the `warnings` the server attached (empty when none).
    public struct Result: Sendable, Equatable {
        public var reading: Reading
        public var warnings: [String]

        public init(reading: Reading, warnings: [String] = []) {
            self.reading = reading
            self.warnings = warnings
        }
    }

    /// `{base}/api/v1/query?query=<percent-encoded>`; nil when `base` is not an http(s) URL.
    /// A trailing slash on `base` is ignored; a path on it is kept (`https://host/prometheus`).
    public static func queryURL(base: String, query: String) -> String? {
        guard let root = HTTPText.baseURL(base) else { return nil }
        return root + "/api/v1/query?query=" + HTTPText.percentEncodeQueryValue(query)
    }

    /// Decodes one response of `/api/v1/query`.
    ///
    /// - vector with one series → `.value`; with none → `.noData`; with several → `.failure` naming the count,
    ///   unless `pick` selects exactly one (`pick` matching none of them → `.noData`, like an empty vector).
    /// - scalar → `.value`. Values are JSON strings, including `"NaN"`, `"+Inf"`, `"-Inf"`.
    /// - matrix, string, native histograms → a readable `.failure`.
    /// - `{"status":"error","errorType":"bad_data","error":"…"}` → `.failure("prometheus bad_data: …")`,
    ///   prefixed with `HTTP 400: ` when the HTTP status is not 2xx.
    /// - other HTTP 4xx/5xx → `"HTTP 503: <error text of a JSON body, or the body's title/first line>"`,
    ///   `"HTTP 401 Unauthorized"` with no body.
    /// - a body that is not JSON → `"HTTP 502: not JSON (text/html): <title or first line>"`; cut-off or broken
    ///   JSON → `"HTTP 200: malformed JSON: unexpected end of data at byte 123"`.
    public static func decode(status: Int, contentType: String?, body: [UInt8], pick: [String: String]?) -> Reading {
        decodeResult(status: status, contentType: contentType, body: body, pick: pick).reading
    }

    /// `decode`, also returning the response's `warnings`.
    public static func decodeResult(status: Int, contentType: String?, body: [UInt8], pick: [String: String]?) -> Result {
        let ok = (200..<300).contains(status)
        let json: JSONValue
        switch HTTPText.parseJSONBody(status: status, contentType: contentType, body: body) {
        case .failure(let error): return Result(reading: .failure(error.message))
        case .success(let value): json = value
        }

        if json["status"]?.string == "error" || json["errorType"] != nil {
            let type = json["errorType"]?.string ?? "error"
            let text = json["error"]?.string ?? "(no error text)"
            let message = "prometheus \(type): \(TelemetryText.oneLine(text))"
            return Result(reading: .failure(ok ? message : "HTTP \(status): \(message)"))
        }
        guard ok else {
            return Result(reading: .failure(HTTPText.statusFailure(status: status, json: json)))
        }
        guard json["status"]?.string == "success", let data = json["data"], data.members != nil else {
            return Result(reading: .failure("not a Prometheus query response (no \"status\":\"success\" with \"data\")"))
        }
        let warnings = (json["warnings"]?.array ?? []).compactMap { $0.string.map { TelemetryText.oneLine($0) } }
        return Result(reading: decodeData(data, pick: pick), warnings: warnings)
    }

    static func decodeData(_ data: JSONValue, pick: [String: String]?) -> Reading {
        let resultType = data["resultType"]?.string ?? "(missing)"
        let result = data["result"]
        switch resultType {
        case "scalar":
            return sampleValue(result)
        case "vector":
            guard let series = result?.array else {
                return .failure("malformed vector result (\"result\" is not an array)")
            }
            if series.isEmpty { return .noData }
            var chosen = series
            if let pick, !pick.isEmpty {
                chosen = series.filter { item in
                    let metric = item["metric"]
                    return pick.allSatisfy { metric?[$0.key]?.string == $0.value }
                }
                if chosen.isEmpty { return .noData }
                if chosen.count > 1 {
                    return .failure("pick \(describe(pick)) matched \(chosen.count) of \(series.count) series; add labels to pick: to choose one")
                }
            } else if series.count > 1 {
                return .failure("query returned \(series.count) series; add pick: to choose one")
            }
            let one = chosen[0]
            if one["value"] == nil, one["histogram"] != nil {
                return .failure("the series is a native histogram, not a number (use histogram_quantile or histogram_count)")
            }
            return sampleValue(one["value"])
        case "matrix":
            return .failure("query returned a range vector (matrix); use an instant expression, e.g. rate(x[5m]) instead of x[5m]")
        case "string":
            return .failure("query returned a string, not a number")
        default:
            return .failure("unsupported resultType \(resultType)")
        }
    }

    /// `[<unix seconds>, "<value>"]` → `.value`.
    static func sampleValue(_ pair: JSONValue?) -> Reading {
        guard let items = pair?.array, items.count == 2 else {
            return .failure("malformed sample (expected [timestamp, \"value\"])")
        }
        let raw: String
        switch items[1] {
        case .string(let s): raw = s
        case .number(let x): return .value(x)
        case .int(let n): return .value(Double(n))
        default: return .failure("malformed sample value (\(items[1].kindName))")
        }
        guard let x = TelemetryText.number(raw) else {
            return .failure("sample value is not a number: \(TelemetryText.oneLine(raw, limit: 40))")
        }
        return .value(x)
    }

    /// `{code="500",job="api"}`
    static func describe(_ labels: [String: String]) -> String {
        "{" + labels.keys.sorted().map { "\($0)=\"\(labels[$0] ?? "")\"" }.joined(separator: ",") + "}"
    }
}

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
