import ArgumentParser
import Foundation
import WarRoomCore
import WarRoomEtcd

/// How to get into an etcd store, with etcdctl's flag names: `--cacert`, `--cert`, `--key` (mutual TLS), `--user`
/// with the password from `--password-file` or an environment variable (`--password-env`, default
/// `WARROOM_ETCD_PASSWORD`) — never on the command line, where `ps` shows it to everyone. On every command that
/// takes `--store`; each flag wins over the same setting in the config's `store:` mapping.
struct StoreAccessOptions: ParsableArguments {
    @Option(name: .customLong("cacert"), help: ArgumentHelp("With --store etcds://…: the CA certificate (PEM) that signed etcd's certificate (else the system store, or WARROOM_TLS_CA_FILE).", valueName: "file"))
    var cacert: String?
    @Option(name: .customLong("cert"), help: ArgumentHelp("With --store etcds://…: the client certificate (PEM) for etcd's --client-cert-auth.", valueName: "file"))
    var cert: String?
    @Option(name: .customLong("key"), help: ArgumentHelp("With --cert: the client certificate's private key (PEM, unencrypted).", valueName: "file"))
    var key: String?
    @Option(name: .customLong("user"), help: ArgumentHelp("The etcd user (etcd with auth enabled); the password from --password-file or $WARROOM_ETCD_PASSWORD.", valueName: "name"))
    var user: String?
    @Option(name: .customLong("password-file"), help: ArgumentHelp("With --user: a file holding the password (one line).", valueName: "file"))
    var passwordFile: String?
    @Option(name: .customLong("password-env"), help: ArgumentHelp("With --user: the environment variable holding the password (default WARROOM_ETCD_PASSWORD).", valueName: "name"))
    var passwordEnv: String?

    /// Nothing given on the command line.
    var isEmpty: Bool { [cacert, cert, key, user, passwordFile, passwordEnv].allSatisfy { $0 == nil } }

    /// The flags over the config's `store:` settings, field by field.
    func merged(over config: StoreAccessConfig?) -> StoreAccessConfig {
        let c = config ?? StoreAccessConfig()
        // A user given here brings its own password source: the config's is for the config's user.
        let ownUser = user != nil && user != c.user
        return StoreAccessConfig(cacert: cacert ?? c.cacert, cert: cert ?? c.cert, key: key ?? c.key, user: user ?? c.user,
                                 passwordFile: passwordFile ?? (ownUser || passwordEnv != nil ? nil : c.passwordFile),
                                 passwordEnv: passwordEnv ?? (ownUser || passwordFile != nil ? nil : c.passwordEnv))
    }
}

extension StoreAccessConfig {
    /// The `EtcdAccess` for a store at `url`: the password read (from the file, else the variable), the TLS files
    /// loaded. Fails before anything starts, naming the file or variable and what is wrong — never the password.
    func resolve(for url: EtcdURL, environment: [String: String] = ProcessInfo.processInfo.environment) throws(Failure) -> EtcdAccess {
        var access = EtcdAccess(caFile: cacert, certFile: cert, keyFile: key)
        if user == nil, passwordFile != nil || passwordEnv != nil {
            throw Failure("--password-file and --password-env need --user NAME (the etcd user the password is for)")
        }
        if passwordFile != nil, passwordEnv != nil { throw Failure("give --password-file or --password-env, not both") }
        if let user {
            guard !user.isEmpty, !user.contains(":") else {
                throw Failure("--user \"\(user)\": give the user name alone (the password goes in --password-file FILE or $\(EtcdCredentials.defaultPasswordVariable))")
            }
            let password: String
            let source: String
            if let file = passwordFile {
                source = "--password-file \(file)"
                password = try Self.readPassword(file)
            } else {
                let name = passwordEnv ?? EtcdCredentials.defaultPasswordVariable
                source = "$\(name)"
                guard let value = environment[name], !value.isEmpty else {
                    throw Failure("--user \(user): no password: put it in a file and give --password-file FILE, or set $\(name)")
                }
                password = value
            }
            access.credentials = EtcdCredentials(user: user, password: password, passwordSource: source)
        }
        if let problem = access.problem(secure: url.secure) { throw Failure("\(url): \(problem)") }
        return access
    }

    /// The first line of `path`, without its line break (a password file as `echo secret > file` writes it).
    static func readPassword(_ path: String) throws(Failure) -> String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw Failure("--password-file \(path) does not exist") }
        guard !isDir.boolValue else { throw Failure("--password-file \(path) is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure("--password-file \(path) cannot be read (permissions?)") }
        let text = String(decoding: data, as: UTF8.self)
        let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let password = line.hasSuffix("\r") ? String(line.dropLast()) : line
        guard !password.isEmpty else { throw Failure("--password-file \(path) is empty (the password is its first line)") }
        return password
    }
}
