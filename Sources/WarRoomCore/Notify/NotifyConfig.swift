/// `notify:` and `comms:` in the config: where the run's decisions and alarms are sent, and how often the commander
/// owes stakeholders an update. A webhook URL is a secret (Slack's carries its token): it is named by variable or
/// file (`url_env`, `url_file`), or written inline and then redacted to its scheme and host wherever the config is
/// journaled or shown.

public enum NotifyKind: String, Sendable, Equatable, Codable, CaseIterable {
    /// `POST` of the notification as JSON (`Content-Type: application/json`).
    case webhook
    /// A Slack incoming webhook: `POST {"text": summary}`.
    case slack
    /// A program (argv, no shell) run with the notification in its environment (`WARROOM_NOTIFY_JSON`,
    /// `WARROOM_NOTIFY_TEXT`, `WARROOM_NOTIFY_EVENT`).
    case command
}

/// One `notify:` target.
public struct NotifyTarget: Sendable, Equatable, Codable {
    public var name: String
    public var kind: NotifyKind
    /// Inline URL (webhook, slack). Redacted to `scheme://host/[redacted]` when journaled.
    public var url: String?
    /// The environment variable holding the URL (read when the console starts, never printed).
    public var urlEnv: String?
    /// A file holding the URL.
    public var urlFile: String?
    /// A bearer token for a webhook: by variable or file, never inline.
    public var tokenEnv: String?
    public var tokenFile: String?
    /// The command's argv.
    public var argv: [String]?
    /// One attempt's limit.
    public var timeoutMs: Millis
    public var line: Int

    public init(name: String, kind: NotifyKind, url: String? = nil, urlEnv: String? = nil, urlFile: String? = nil,
                tokenEnv: String? = nil, tokenFile: String? = nil, argv: [String]? = nil, timeoutMs: Millis = 5_000,
                line: Int = 0) {
        self.name = name
        self.kind = kind
        self.url = url
        self.urlEnv = urlEnv
        self.urlFile = urlFile
        self.tokenEnv = tokenEnv
        self.tokenFile = tokenFile
        self.argv = argv
        self.timeoutMs = timeoutMs
        self.line = line
    }

    /// The target as it may be journaled or shown: an inline URL cut to its scheme and host.
    public func redacted() -> NotifyTarget {
        var t = self
        t.url = url.map(Self.hostOnly)
        return t
    }

    /// `https://hooks.slack.com/services/T0/B0/xyz` → `https://hooks.slack.com/[redacted]`: what may be shown of a
    /// webhook URL (its path and query may hold a token; userinfo too).
    public static func hostOnly(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return "[redacted]" }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host = authority.split(separator: "@").last.map(String.init) ?? ""
        let tail = rest.count > authority.count ? "/[redacted]" : ""
        return String(url[..<schemeEnd.upperBound]) + host + tail
    }

    /// What the console may say about where it sends: "slack ops (https://hooks.slack.com/[redacted])".
    public var label: String {
        switch kind {
        case .command: return "\(name) (command \(argv?.first ?? "?"))"
        case .webhook, .slack:
            let whereTo = url.map(Self.hostOnly) ?? urlEnv.map { "$" + $0 } ?? urlFile.map { "file " + $0 } ?? "?"
            return "\(name) (\(kind.rawValue) \(whereTo))"
        }
    }
}

/// `comms: {every: 30m}`: during the ramp the console reminds the commander, every `everyMs`, to post a stakeholder
/// update (and `warroom report --update` drafts one from the journal).
public struct CommsConfig: Sendable, Equatable, Codable {
    public var everyMs: Millis
    public var line: Int

    public init(everyMs: Millis, line: Int = 0) {
        self.everyMs = everyMs
        self.line = line
    }
}
