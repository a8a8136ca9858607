/// Where a run lives in etcd: `etcd://HOST:PORT[,HOST:PORT…]/PREFIX` (plain HTTP to etcd's JSON gateway) or
/// `etcds://…` (TLS; the CA from `WARROOM_TLS_CA_FILE` or the system store). The endpoints are tried in turn, the
/// next one on a connection error; every key of the run is under `PREFIX/`.
public struct EtcdURL: Sendable, Equatable, CustomStringConvertible {
    public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: UInt16
        public init(host: String, port: UInt16) {
            self.host = host
            self.port = port
        }
        /// `127.0.0.1:2379`, `[::1]:2379`
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    public var secure: Bool
    public var endpoints: [Endpoint]
    /// The key prefix, without leading or trailing slash (`warroom/checkout`).
    public var prefix: String
    /// TLS files and credentials (`--cacert`, `--cert`, `--key`, `--user`): never part of the text of the URL.
    public var access: EtcdAccess

    public init(secure: Bool = false, endpoints: [Endpoint], prefix: String, access: EtcdAccess = EtcdAccess()) {
        self.secure = secure
        self.endpoints = endpoints
        self.prefix = prefix
        self.access = access
    }

    /// `etcd://127.0.0.1:2379,127.0.0.1:22379/warroom/checkout`
    public var description: String {
        (secure ? "etcds://" : "etcd://") + endpoints.map(\.description).joined(separator: ",") + "/" + prefix
    }

    /// The gateway's base URL for one endpoint (`http://127.0.0.1:2379`).
    func base(_ e: Endpoint) -> String { (secure ? "https://" : "http://") + e.description }

    /// Whether `text` names an etcd store (rather than a state directory).
    public static func isEtcd(_ text: String) -> Bool { text.hasPrefix("etcd://") || text.hasPrefix("etcds://") }

    /// Parses `etcd://HOST:PORT[,HOST:PORT…]/PREFIX`; the error says what is wrong with the text.
    public static func parse(_ text: String) -> Result<EtcdURL, EtcdURLError> {
        func fail(_ m: String) -> Result<EtcdURL, EtcdURLError> { .failure(EtcdURLError(text: text, message: m)) }
        let secure: Bool
        var rest: Substring
        if text.hasPrefix("etcd://") {
            secure = false
            rest = text.dropFirst(7)
        } else if text.hasPrefix("etcds://") {
            secure = true
            rest = text.dropFirst(8)
        } else {
            return fail("expected etcd://HOST:PORT[,HOST:PORT…]/PREFIX (or etcds:// for TLS)")
        }
        guard let slash = rest.firstIndex(of: "/") else { return fail("no /PREFIX after the endpoints (the run's keys need a prefix)") }
        let hosts = rest[..<slash]
        rest = rest[rest.index(after: slash)...]
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty else { return fail("empty PREFIX (the run's keys need a prefix)") }
        guard !rest.hasPrefix("/"), !rest.contains("//") else { return fail("PREFIX has an empty segment") }
        guard rest.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && $0 != "?" && $0 != "#" && $0 != "," }) else {
            return fail("PREFIX may not contain spaces, control characters, ?, # or ,")
        }
        var endpoints: [Endpoint] = []
        for part in hosts.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { return fail("an empty endpoint in the list") }
            var host: Substring
            let portText: Substring
            if part.hasPrefix("[") {
                guard let close = part.firstIndex(of: "]"), part[part.index(after: close)...].hasPrefix(":") else {
                    return fail("endpoint \"\(part)\" is not [IPv6]:PORT")
                }
                host = part[part.index(after: part.startIndex)..<close]
                portText = part[part.index(close, offsetBy: 2)...]
            } else {
                guard let colon = part.lastIndex(of: ":") else { return fail("endpoint \"\(part)\" has no :PORT") }
                host = part[..<colon]
                portText = part[part.index(after: colon)...]
                if host.contains(":") { return fail("endpoint \"\(part)\": write an IPv6 address in brackets") }
            }
            guard !host.isEmpty, !host.contains(where: { $0 == "/" || $0 == "@" || $0 == " " }) else {
                return fail("endpoint \"\(part)\" has no usable host")
            }
            guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = UInt16(portText), port > 0 else {
                return fail("endpoint \"\(part)\": port \"\(portText)\" is not 1–65535")
            }
            endpoints.append(Endpoint(host: String(host), port: port))
        }
        guard !endpoints.isEmpty else { return fail("no endpoint") }
        return .success(EtcdURL(secure: secure, endpoints: endpoints, prefix: String(rest)))
    }
}

public struct EtcdURLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var message: String
    public var description: String { "invalid etcd store URL \"\(text)\": \(message)" }
}
