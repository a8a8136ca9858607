import Foundation
import WarRoomCore
import WarRoomYAML
import Yams

/// `store:` — an etcd URL, or a mapping with the URL and how to get in (etcdctl's names):
/// `store: {url: etcds://10.0.0.5:2379/warroom/checkout, cacert: ca.pem, cert: client.pem, key: client-key.pem,
/// user: warroom, password_file: /run/secrets/etcd}`.
extension ConfigParser {
    static let storeKeys = ["url", "cacert", "cert", "key", "user", "password_file", "password_env"]

    mutating func parseStore(_ v: Node, _ k: Node, directory: String) -> (String?, StoreAccessConfig?) {
        guard case .mapping(let m) = v else {
            guard let url = string(v, k, "store") else { return (nil, nil) }
            return (checkStoreURL(url, line: src.line(v)), nil)
        }
        var url: String?
        var access = StoreAccessConfig()
        func path(_ p: String?) -> String? {
            guard let p, !p.isEmpty else { return p }
            return p.hasPrefix("/") ? p : (directory as NSString).appendingPathComponent(p)
        }
        for (mk, mv) in m {
            if case .scalar(let s) = mk, s.string == "password" {
                src.error(src.line(mk), "store.password: a password is never written in the config; use password_file: FILE or password_env: VARIABLE")
                continue
            }
            guard let key = key(mk, known: Self.storeKeys, context: "in store") else { continue }
            let value = string(mv, mk, "store.\(key)")
            if let value, value.isEmpty {
                src.error(src.line(mv), "store.\(key) is empty")
                continue
            }
            switch key {
            case "url": url = value.flatMap { checkStoreURL($0, line: src.line(mv)) }
            case "cacert": access.cacert = path(value)
            case "cert": access.cert = path(value)
            case "key": access.key = path(value)
            case "user": access.user = value
            case "password_file": access.passwordFile = path(value)
            case "password_env":
                if let value, !value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
                    src.error(src.line(mv), "store.password_env: \"\(value)\" is not an environment variable name")
                    continue
                }
                access.passwordEnv = value
            default: break
            }
        }
        if url == nil, m.first(where: { if case .scalar(let s) = $0.key { return s.string == "url" } else { return false } }) == nil {
            src.error(src.line(v), "store needs url: (etcd://HOST:PORT/PREFIX or etcds://…)")
        }
        if access.user == nil, access.passwordFile != nil || access.passwordEnv != nil {
            src.error(src.line(v), "store: password_file and password_env need user:")
        }
        if access.passwordFile != nil, access.passwordEnv != nil {
            src.error(src.line(v), "store: give password_file or password_env, not both")
        }
        if (access.cert == nil) != (access.key == nil) {
            src.error(src.line(v), access.cert == nil ? "store: key: needs cert: (the client certificate it belongs to)" : "store: cert: needs key: (the certificate's private key)")
        }
        if let u = url, u.hasPrefix("etcd://"), access.cacert != nil || access.cert != nil {
            src.error(src.line(v), "store: cacert, cert and key need a TLS store: write etcds://HOST:PORT/PREFIX")
        }
        return (url, access == StoreAccessConfig() ? nil : access)
    }

    private mutating func checkStoreURL(_ s: String, line: Int) -> String? {
        guard s.hasPrefix("etcd://") || s.hasPrefix("etcds://") else {
            src.error(line, "store \"\(s)\" is not an etcd URL (write etcd://HOST:PORT/PREFIX; a state directory is the default)")
            return s
        }
        return s
    }
}
