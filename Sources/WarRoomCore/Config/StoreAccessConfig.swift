/// The config's `store:` mapping beyond the URL: etcdctl's TLS files and a user whose password is read from a file
/// or an environment variable (never written in the config). Paths are absolute (resolved against the config's
/// directory). The command line's `--cacert`, `--cert`, `--key`, `--user`, `--password-file`, `--password-env` win.
public struct StoreAccessConfig: Sendable, Equatable, Codable {
    /// Where the etcd password is read from when no password file is given.
    public static let defaultPasswordEnv = "WARROOM_ETCD_PASSWORD"

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

    /// The environment variable the password is read from (a secret: redacted from hooks' output, and lint warns
    /// when `environment.pass` hands it on); nil without a user, or with a password file.
    public var passwordVariable: String? {
        guard user != nil, passwordFile == nil else { return nil }
        return passwordEnv ?? Self.defaultPasswordEnv
    }
}
