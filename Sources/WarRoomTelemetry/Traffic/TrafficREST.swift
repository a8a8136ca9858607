import Foundation
import WarRoomCore

/// The REST side of the feature-flag adapters (`launchdarkly`, `unleash`): their `base_url`, the API token (named by
/// `token_env` or `token_file`, read once when the adapter is made) sent as the `Authorization` header, each request
/// with the config's timeout. The token never leaves in a text: every error is said without it (the token and the
/// run's other secrets are taken out of what a server answers, even a server that echoes the header back).
struct TrafficREST: Sendable {
    let adapter: String
    let baseURL: String
    let timeoutMs: Millis
    private let token: String
    private let redactor: Redactor
    /// The run's redactor (every secret warroom knows), applied after the token's own.
    private let runRedactor: Redactor
    private let http: BlockingHTTPClient

    /// `defaultBase`: the service's public API when `base_url` is not set (nil: `base_url` is required).
    init(adapter: String, _ config: TrafficConfig, children: ChildProcesses, defaultBase: String?) throws {
        self.adapter = adapter
        guard var base = config.settings["base_url"] ?? defaultBase else { throw TrafficError("\(adapter) needs base_url") }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw TrafficError("\(adapter): base_url must be an http:// or https:// URL")
        }
        while base.hasSuffix("/") { base.removeLast() }
        baseURL = base
        timeoutMs = config.timeoutMs
        token = try Self.token(adapter: adapter, config, environment: children.environment.parent ?? ProcessInfo.processInfo.environment)
        redactor = Redactor(secrets: [token])
        runRedactor = children.redactor
        http = BlockingHTTPClient()
    }

    /// The token from `token_env` (this process's environment) or `token_file` (its contents, trimmed).
    static func token(adapter: String, _ config: TrafficConfig, environment: [String: String]) throws -> String {
        if let name = config.settings["token_env"] {
            guard let v = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else {
                throw TrafficError("\(adapter): environment variable \(name) is not set (token_env)")
            }
            return v
        }
        if let file = config.settings["token_file"] {
            guard let data = FileManager.default.contents(atPath: file) else { throw TrafficError("\(adapter): cannot read token_file \(file)") }
            let v = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !v.isEmpty else { throw TrafficError("\(adapter): token_file \(file) is empty") }
            return v
        }
        throw TrafficError("\(adapter) needs token_env or token_file")
    }

    /// `body`'s failure said without the token and the run's secrets (an adapter's own errors quote what the server
    /// answered: variation names, strategy ids).
    func guarded<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw TrafficError(clean("\(error)")) }
    }

    /// `text` without the token and the run's secrets.
    func clean(_ text: String) -> String { runRedactor.redact(redactor.redact(text)) }

    /// A path segment as sent (a key with `/` or `?` cannot change the path).
    static func segment(_ s: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#;")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// `METHOD base_url+path` with `body` (JSON) and the token; the answer's JSON. A failure (no answer, a status other
    /// than 2xx, not JSON) throws, said with the method, the path and what the server said, without the token.
    func call(_ method: String, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json") throws -> Any {
        let what = "\(adapter) \(method) \(path)"
        let result = http.request(baseURL + path, method: method, body: body, contentType: contentType,
                                  headers: [("Authorization", token)], timeoutMs: timeoutMs)
        let response: BlockingHTTPClient.Response
        switch result {
        case .failure(let e): throw TrafficError(clean("\(what): \(e.message)"))
        case .success(let r): response = r
        }
        guard (200..<300).contains(response.status) else {
            throw TrafficError(clean("\(what): HTTP \(response.status)\(Self.said(response.body).map { " — \($0)" } ?? "")"))
        }
        guard let json = try? JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed]) else {
            // Cleaned before it is cut: a token cut in two by the quote would not be found whole afterwards.
            let start = String(clean(String(decoding: response.body.prefix(4096), as: UTF8.self)).prefix(60))
            throw TrafficError(clean("\(what): the answer is not JSON (\(start.isEmpty ? "empty" : "starts \"\(start)\""))"))
        }
        return json
    }

    /// What an error body says: its JSON `message` (and `code`), or its first line; at most 200 characters.
    static func said(_ body: [UInt8]) -> String? {
        var text: String
        if let o = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
           let m = (o["message"] as? String) ?? (o["error"] as? String) ?? (o["details"] as? [[String: Any]])?.first?["message"] as? String {
            text = m
            if let code = o["code"] as? String { text = "\(code): \(m)" }
        } else {
            text = String(decoding: body.prefix(400), as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        }
        text = text.trimmingCharacters(in: .whitespaces)
        if text.count > 200 { text = String(text.prefix(200)) + "…" }
        return text.isEmpty ? nil : text
    }
}
