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
