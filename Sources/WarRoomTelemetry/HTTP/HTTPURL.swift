import Foundation

/// The parts of an `http://` or `https://` URL a request needs.
struct SocketHTTPURL: Equatable, Sendable {
    /// `https://`: the connection is TLS (port 443 unless given).
    var secure = false
    /// Host name or address, without IPv6 brackets ("::1", "127.0.0.1", "prometheus.internal").
    var host: String
    var port: UInt16
    /// Path and query as written (never empty: "/" at least), without the fragment.
    var target: String
    /// The `Host` header's value ("[::1]:9090", "example.com").
    var hostHeader: String
    /// `user:password` from the URL (still percent-encoded), sent as basic authentication when there is no token.
    var userinfo: String?

    var scheme: String { secure ? "https" : "http" }

    /// "http://host:port", host lower-cased: redirects are followed only within one origin (scheme, host, port).
    var origin: String { "\(scheme)://\(hostHeaderName.lowercased()):\(port)" }

    private var hostHeaderName: String { host.contains(":") ? "[\(host)]" : host }

    /// Parses `http(s)://[userinfo@]host[:port][/path][?query][#fragment]`; nil for other schemes or a bad authority.
    static func parse(_ text: String) -> SocketHTTPURL? {
        let trimmed = text.trimmingASCIIWhitespace()
        let secure: Bool
        if trimmed.count > 7, trimmed.prefix(7).lowercased() == "http://" {
            secure = false
        } else if trimmed.count > 8, trimmed.prefix(8).lowercased() == "https://" {
            secure = true
        } else {
            return nil
        }
        var rest = Substring(trimmed.dropFirst(secure ? 8 : 7))
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.isEmpty {
            target = "/"
        } else if target.hasPrefix("?") {
            target = "/" + target
        }
        var userinfo: String?
        if let at = authority.lastIndex(of: "@") {
            userinfo = String(authority[..<at])
            authority = authority[authority.index(after: at)...]
        }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
            guard host.contains(":") else { return nil }
        } else {
            if let colon = authority.lastIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
            guard !host.contains(":") else { return nil }
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "/" })
        else { return nil }
        let defaultPort: UInt16 = secure ? 443 : 80
        var port = defaultPort
        var explicitPort = false
        if let portText, !portText.isEmpty {
            guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let value = UInt16(portText), value > 0 else { return nil }
            port = value
            explicitPort = true
        }
        let bracketed = host.contains(":") ? "[\(host)]" : String(host)
        let hostHeader = explicitPort && port != defaultPort ? "\(bracketed):\(port)" : bracketed
        guard !target.contains(where: { $0 == " " || $0 == "\r" || $0 == "\n" }) else { return nil }
        // A zone in an IPv6 literal is written %25 ("[fe80::1%25eth0]"); getaddrinfo wants "fe80::1%eth0".
        let address = host.contains(":") ? (String(host).removingPercentEncoding ?? String(host)) : String(host)
        return SocketHTTPURL(secure: secure, host: address, port: port, target: target, hostHeader: hostHeader,
                             userinfo: userinfo.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The absolute URL `location` (a redirect's `Location`) points to, relative to this one.
    func resolve(_ location: String) -> String? {
        let base = "\(scheme)://\(hostHeader)\(target)"
        guard let baseURL = URL(string: base), let url = URL(string: location.trimmingASCIIWhitespace(), relativeTo: baseURL)
        else { return nil }
        return url.absoluteString
    }
}
