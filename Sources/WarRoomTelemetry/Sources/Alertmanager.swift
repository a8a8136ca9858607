import WarRoomJSON

/// Alertmanager API v2, `GET /api/v2/alerts`.
public enum AlertmanagerDecoder {
    /// `{base}/api/v2/alerts?active=true&silenced=false&inhibited=false`; nil when `base` is not an http(s) URL.
    public static func alertsURL(base: String) -> String? {
        guard let root = HTTPText.baseURL(base) else { return nil }
        return root + "/api/v2/alerts?active=true&silenced=false&inhibited=false"
    }

    /// Decodes one response of `/api/v2/alerts` (a JSON array of alerts).
    ///
    /// Keeps alerts whose `status.state` is `"active"` (not `"suppressed"` — silenced or inhibited — nor
    /// `"unprocessed"`), with no `silencedBy`/`inhibitedBy`, and whose labels contain every `match` pair
    /// (resolved alerts are already left out by the server). Returns `.alerts` (empty: nothing firing), in a
    /// stable order (by `startsAt`, then labels). Non-2xx statuses and bodies that are not a JSON array → `.failure`.
    public static func decode(status: Int, contentType: String? = nil, body: [UInt8], match: [String: String]?) -> Reading {
        let json: JSONValue
        switch HTTPText.parseJSONBody(status: status, contentType: contentType, body: body) {
        case .failure(let error): return .failure(error.message)
        case .success(let value): json = value
        }
        guard (200..<300).contains(status) else {
            return .failure(HTTPText.statusFailure(status: status, json: json))
        }
        guard let items = json.array else {
            return .failure("not an Alertmanager v2 alert list (got \(json.kindName); is this /api/v2/alerts?)")
        }
        var firing: [FiringAlert] = []
        for item in items {
            guard item.members != nil else { continue }
            let statusObject = item["status"]
            guard statusObject?["state"]?.string == "active" else { continue }
            if let silenced = statusObject?["silencedBy"]?.array, !silenced.isEmpty { continue }
            if let inhibited = statusObject?["inhibitedBy"]?.array, !inhibited.isEmpty { continue }
            var labels: [String: String] = [:]
            for member in item["labels"]?.members ?? [] where labels[member.key] == nil {
                if let s = member.value.string { labels[member.key] = s }
            }
            if let match, !match.allSatisfy({ labels[$0.key] == $0.value }) { continue }
            let summary = item["annotations"]?["summary"]?.string
            firing.append(FiringAlert(labels: labels, summary: summary, startsAt: item["startsAt"]?.string))
        }
        firing.sort { a, b in
            let sa = a.startsAt ?? "", sb = b.startsAt ?? ""
            if sa != sb { return sa < sb }
            return PrometheusDecoder.describe(a.labels) < PrometheusDecoder.describe(b.labels)
        }
        return .alerts(firing)
    }
}
