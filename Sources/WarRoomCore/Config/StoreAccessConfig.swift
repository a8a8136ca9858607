/// The config's `store:` mapping beyond the URL: etcdctl's TLS files and a user whose password is read from a file
/// or an environment variable (never written in the config). Paths are absolute (resolved against the config's
/// directory). The command line's `--cacert`, `--cert`, `--key`, `--user`, `--password-file`, `--password-env` win.
public struct StoreAccessConfig: Sendable, Equatable, Codable {
    public var cacert: String?
    public var cert: String?
    public var key: String?
    public var user: String?
    public var passwordFile: String?
    public var passwordEnv: String?

    public init(cacert: String? = nil, cert: String? = nil, key: String? = nil, user: String? = nil,
                passwordFile: String? = nil, passwordEnv: String? = nil) {
        self.cacert = cacert
        self.cert = cert
        self.key = key
        self.user = user
        self.passwordFile = passwordFile
        self.passwordEnv = passwordEnv
    }
}
