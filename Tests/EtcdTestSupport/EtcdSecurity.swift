// TLS certificates (made with the openssl CLI) and auth set-up (with etcdctl) for etcd members started by tests.
import Foundation
import WarRoomEtcd

public let etcdctlBinary = "/usr/bin/etcdctl"
public let opensslBinary = "/usr/bin/openssl"
/// Tests of TLS and auth need etcdctl and openssl too.
public let etcdSecurityToolsMissing = etcdMissing || !FileManager.default.isExecutableFile(atPath: etcdctlBinary)
    || !FileManager.default.isExecutableFile(atPath: opensslBinary)

/// Runs `argv`, waits, and returns its output; a non-zero exit throws with the output.
@discardableResult
public func runTool(_ argv: [String], environment: [String: String]? = nil) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: argv[0])
    p.arguments = Array(argv.dropFirst())
    if let environment { p.environment = environment }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard p.terminationStatus == 0 else {
        throw EtcdTestFailure("\(argv.joined(separator: " ")) exited with \(p.terminationStatus): \(text)")
    }
    return text
}

/// A test PKI in a directory: a CA with a server certificate for 127.0.0.1 (subjectAltName IP) and a client
/// certificate, and a second, unrelated CA with its own client certificate (for "wrong CA" tests). EC P-256 keys
/// (fast to make), valid for a day.
public struct EtcdTestCerts: Sendable {
    public let dir: String
    public var ca: String { dir + "/ca.pem" }
    public var serverCert: String { dir + "/server.pem" }
    public var serverKey: String { dir + "/server-key.pem" }
    public var clientCert: String { dir + "/client.pem" }
    public var clientKey: String { dir + "/client-key.pem" }
    public var otherCA: String { dir + "/other-ca.pem" }
    public var otherClientCert: String { dir + "/other-client.pem" }
    public var otherClientKey: String { dir + "/other-client-key.pem" }

    public init(dir: String) throws {
        self.dir = dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for ca in ["ca", "other-ca"] {
            try runTool([opensslBinary, "req", "-x509"] + ec + ["-keyout", "\(dir)/\(ca)-key.pem", "-out", "\(dir)/\(ca).pem",
                         "-days", "1", "-subj", "/CN=warroom test \(ca)"])
        }
        try "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n".write(toFile: dir + "/server.ext", atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: dir + "/client.ext", atomically: true, encoding: .utf8)
        for (name, ca, cn, ext) in [("server", "ca", "127.0.0.1", "server.ext"), ("client", "ca", "warroom-client", "client.ext"),
                                    ("other-client", "other-ca", "warroom-client", "client.ext")] {
            try runTool([opensslBinary, "req"] + ec + ["-keyout", "\(dir)/\(name)-key.pem", "-out", "\(dir)/\(name).csr", "-subj", "/CN=\(cn)"])
            try runTool([opensslBinary, "x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", "\(dir)/\(ca).pem", "-CAkey", "\(dir)/\(ca)-key.pem",
                         "-CAcreateserial", "-out", "\(dir)/\(name).pem", "-days", "1", "-extfile", "\(dir)/\(ext)"])
        }
    }
}

/// How test members are secured: TLS (with the client certificate required or not), and the simple tokens' life.
public struct EtcdTestSecurity: Sendable {
    public var certs: EtcdTestCerts?
    public var clientCertAuth: Bool
    /// etcd's `--auth-token-ttl` in seconds (nil: etcd's 300).
    public var authTokenTTL: Int?
    public init(certs: EtcdTestCerts? = nil, clientCertAuth: Bool = false, authTokenTTL: Int? = nil) {
        self.certs = certs
        self.clientCertAuth = clientCertAuth
        self.authTokenTTL = authTokenTTL
    }

    /// The member's extra flags.
    func flags() -> [String] {
        var f: [String] = []
        if let c = certs {
            f += ["--cert-file", c.serverCert, "--key-file", c.serverKey, "--trusted-ca-file", c.ca]
            if clientCertAuth { f.append("--client-cert-auth") }
        }
        if let ttl = authTokenTTL { f += ["--auth-token-ttl", String(ttl)] }
        return f
    }

    /// What the test harness itself uses to reach the member (the CA, and the client certificate when required).
    var harnessAccess: EtcdAccess {
        guard let c = certs else { return EtcdAccess() }
        return clientCertAuth ? EtcdAccess(caFile: c.ca, certFile: c.clientCert, keyFile: c.clientKey) : EtcdAccess(caFile: c.ca)
    }
}

extension EtcdCluster {
    /// etcdctl against the first member, with the harness's TLS files.
    @discardableResult
    public func etcdctl(_ args: [String], user: String? = nil) throws -> String {
        var argv = [etcdctlBinary, "--endpoints", url("x").endpoints.map { (security.certs == nil ? "http://" : "https://") + $0.description }.joined(separator: ","),
                    "--dial-timeout", "5s", "--command-timeout", "10s"]
        if let c = security.certs {
            argv += ["--cacert", c.ca]
            if security.clientCertAuth { argv += ["--cert", c.clientCert, "--key", c.clientKey] }
        }
        if let user { argv += ["--user", user] }
        return try runTool(argv + args, environment: ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"])
    }

    /// Adds `root` (all rights) with `rootPassword`, and `users` (name, password, prefix it may read and write),
    /// then turns authentication on.
    public func enableAuth(rootPassword: String, users: [(name: String, password: String, readwrite: String)] = []) throws {
        try etcdctl(["user", "add", "root:\(rootPassword)"])
        try etcdctl(["role", "add", "root"])
        try etcdctl(["user", "grant-role", "root", "root"])
        for u in users {
            try etcdctl(["user", "add", "\(u.name):\(u.password)"])
            try etcdctl(["role", "add", u.name])
            try etcdctl(["role", "grant-permission", u.name, "--prefix=true", "readwrite", u.readwrite])
            try etcdctl(["user", "grant-role", u.name, u.name])
        }
        try etcdctl(["auth", "enable"])
    }
}
