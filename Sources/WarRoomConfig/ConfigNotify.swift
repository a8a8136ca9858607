import Foundation
import WarRoomCore
import WarRoomYAML
import Yams

/// `notify:` (targets by name) and `comms:` (the stakeholder-update cadence), each problem with the line to edit.
///
///     notify:
///       ops:   {kind: webhook, url: "https://hooks.example/warroom", token_env: OPS_TOKEN}
///       slack: {kind: slack, url_env: SLACK_WEBHOOK_URL}
///       pager: {kind: command, argv: ["./scripts/page", "oncall"], timeout: 10s}
///     comms: {every: 30m}
extension ConfigParser {
    static let notifyKeys = ["kind", "url", "url_env", "url_file", "token_env", "token_file", "argv", "timeout"]

    mutating func parseNotify(_ node: Node) -> [NotifyTarget] {
        guard case .mapping(let m) = node else {
            src.error(src.line(node), "notify must be a mapping of names to targets (e.g. slack: {kind: slack, url_env: SLACK_WEBHOOK_URL})")
            return []
        }
        var out: [NotifyTarget] = []
        for (nameNode, v) in m {
            guard case .scalar(let nameScalar) = nameNode, !nameScalar.string.isEmpty, !YAMLSource.isNull(nameNode) else {
                src.error(src.line(nameNode), "notify target names must be plain words")
                continue
            }
            let name = nameScalar.string
            let kinds = NotifyKind.allCases.map(\.rawValue)
            guard case .mapping(let fields) = v else {
                src.error(src.line(v), "notify target \(name) must be a mapping with kind: \(kinds.joined(separator: ", "))")
                continue
            }
            var t = NotifyTarget(name: name, kind: .webhook, line: src.line(nameNode))
            var kind: NotifyKind?
            var kindLine = src.line(nameNode)
            var urlLine = src.line(nameNode)
            var argvLine = src.line(nameNode)
            var bad = false
            for (k, fv) in fields {
                guard let key = key(k, known: Self.notifyKeys, context: "in notify target \(name)") else { bad = true; continue }
                switch key {
                case "kind":
                    kindLine = src.line(fv)
                    guard let s = string(fv, k, "notify target \(name): kind") else { bad = true; continue }
                    guard let parsed = NotifyKind(rawValue: s) else {
                        var message = "notify target \(name): unknown kind \"\(s)\""
                        if let near = YAMLSource.suggestion(for: s, in: kinds) { message += "; did you mean \"\(near)\"?" }
                        src.error(src.line(fv), message + " (known: \(kinds.joined(separator: ", ")))")
                        bad = true
                        continue
                    }
                    kind = parsed
                case "url":
                    urlLine = src.line(fv)
                    guard let u = string(fv, k, "notify target \(name): url") else { bad = true; continue }
                    guard (u.hasPrefix("http://") || u.hasPrefix("https://")), u.split(separator: "/").count >= 2 else {
                        // Not echoed whole: it may hold a token.
                        src.error(src.line(fv), "notify target \(name): url must be an http:// or https:// URL (found \"\(NotifyTarget.hostOnly(u))\")")
                        bad = true
                        continue
                    }
                    t.url = u
                case "url_env":
                    urlLine = src.line(fv)
                    t.urlEnv = string(fv, k, "notify target \(name): url_env")
                    if let e = t.urlEnv, environment[e] == nil {
                        src.warning(src.line(fv), "notify target \(name): environment variable \(e) is not set here (the URL is read when the console starts)")
                    }
                case "url_file":
                    urlLine = src.line(fv)
                    t.urlFile = string(fv, k, "notify target \(name): url_file").map { $0.hasPrefix("/") ? $0 : (directory as NSString).appendingPathComponent($0) }
                case "token_env": t.tokenEnv = string(fv, k, "notify target \(name): token_env")
                case "token_file":
                    t.tokenFile = string(fv, k, "notify target \(name): token_file").map { $0.hasPrefix("/") ? $0 : (directory as NSString).appendingPathComponent($0) }
                case "argv":
                    argvLine = src.line(fv)
                    t.argv = argv(fv, k, "notify target \(name) argv")
                    if t.argv == nil { bad = true }
                case "timeout":
                    if let d = duration(fv, k, "notify target \(name): timeout") {
                        if d == 0 { src.error(src.line(fv), "notify target \(name): timeout must be more than 0") } else { t.timeoutMs = d }
                    }
                default: break
                }
            }
            guard let kind else {
                if !bad { src.error(kindLine, "notify target \(name) needs kind: \(kinds.joined(separator: ", "))") }
                continue
            }
            t.kind = kind
            let urls = [t.url, t.urlEnv, t.urlFile].compactMap { $0 }.count
            switch kind {
            case .webhook, .slack:
                if t.argv != nil { src.error(argvLine, "notify target \(name): argv only applies to kind: command"); bad = true }
                if urls == 0, !bad {
                    src.error(t.line, "notify target \(name) (\(kind.rawValue)) needs url, url_env or url_file"); bad = true
                } else if urls > 1 {
                    src.error(urlLine, "notify target \(name): give one of url, url_env, url_file"); bad = true
                }
                if kind == .slack, t.url != nil {
                    src.warning(urlLine, "notify target \(name): a Slack webhook URL holds its token: keep it in url_env or url_file (it is redacted to its host in the journal, so a console restarted from the journal cannot use it)")
                }
            case .command:
                if urls > 0 { src.error(urlLine, "notify target \(name): url, url_env and url_file only apply to webhook and slack"); bad = true }
                if t.tokenEnv != nil || t.tokenFile != nil { src.error(t.line, "notify target \(name): token_env and token_file only apply to webhook and slack"); bad = true }
                if t.argv == nil, !bad { src.error(t.line, "notify target \(name) (command) needs argv: a list of arguments, e.g. [\"./scripts/page\", \"oncall\"]"); bad = true }
            }
            if !bad { out.append(t) }
        }
        return out
    }

    mutating func parseComms(_ node: Node) -> CommsConfig? {
        guard case .mapping(let m) = node else {
            src.error(src.line(node), "comms must be a mapping, e.g. comms: {every: 30m}")
            return nil
        }
        var every: Millis?
        for (k, v) in m {
            guard key(k, known: ["every"], context: "in comms") != nil else { continue }
            if let d = duration(v, k, "comms: every") {
                if d < 60_000 { src.error(src.line(v), "comms: every must be at least 1m") } else { every = d }
            }
        }
        guard let every else {
            if m.isEmpty { src.error(src.line(node), "comms needs every: (e.g. comms: {every: 30m})") }
            return nil
        }
        return CommsConfig(everyMs: every, line: src.line(node))
    }
}
