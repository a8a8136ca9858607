// Real etcd members for the tests of the etcd store and of the commands on it (WarRoomEtcdTests, WarRoomCLITests).
import Foundation
import Testing
import WarRoomEtcd
#if canImport(Glibc)
import Glibc
#endif

public let etcdBinary = "/usr/bin/etcd"
/// Tests that need etcd are skipped (with this reason) when it is not installed (`scripts/deps etcd` installs it).
public let etcdMissing = !FileManager.default.isExecutableFile(atPath: etcdBinary)
public let etcdSkipReason: Comment = "etcd is not installed at \(etcdBinary) (scripts/deps etcd installs etcd-server etcd-client)"

/// A free TCP port on 127.0.0.1 (bound to port 0 and closed: the kernel hands out ports in turn, so it stays free
/// long enough for etcd to take it).
public func freePort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return UInt16(bigEndian: addr.sin_port)
}

/// One or three etcd members on 127.0.0.1 with random ports and a temporary data directory, started by the test and
/// killed by `shutdown()` (call it in a `defer`; `deinit` does it too), which also removes the directory.
public final class EtcdCluster: @unchecked Sendable {
    public struct Member {
        public var name: String
        public var client: UInt16
        public var peer: UInt16
        public var process: Process?
    }

    public let root: String
    public private(set) var members: [Member]
    private let initialCluster: String
    /// TLS and token settings of every member (`EtcdSecurity.swift`).
    public let security: EtcdTestSecurity

    public init(size: Int, security: EtcdTestSecurity = EtcdTestSecurity()) throws {
        self.security = security
        root = NSTemporaryDirectory() + "warroom-etcd-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var ports = Set<UInt16>()
        func port() -> UInt16 {
            while true { let p = freePort(); if ports.insert(p).inserted { return p } }
        }
        members = (0..<size).map { Member(name: "m\($0)", client: port(), peer: port(), process: nil) }
        initialCluster = members.map { "\($0.name)=http://127.0.0.1:\($0.peer)" }.joined(separator: ",")
        for i in members.indices { try start(i, fresh: true) }
        try waitReady()
    }

    deinit { shutdown() }

    public func url(_ prefix: String, members which: [Int]? = nil) -> EtcdURL {
        let list = (which ?? Array(members.indices)).map { EtcdURL.Endpoint(host: "127.0.0.1", port: members[$0].client) }
        return EtcdURL(secure: security.certs != nil, endpoints: list, prefix: prefix, access: security.harnessAccess)
    }

    public func start(_ i: Int, fresh: Bool = false) throws {
        let m = members[i]
        let p = Process()
        p.executableURL = URL(fileURLWithPath: etcdBinary)
        let scheme = security.certs == nil ? "http" : "https"
        p.arguments = ["--name", m.name, "--data-dir", "\(root)/\(m.name)",
                       "--listen-client-urls", "\(scheme)://127.0.0.1:\(m.client)", "--advertise-client-urls", "\(scheme)://127.0.0.1:\(m.client)",
                       "--listen-peer-urls", "http://127.0.0.1:\(m.peer)", "--initial-advertise-peer-urls", "http://127.0.0.1:\(m.peer)",
                       "--initial-cluster", initialCluster, "--initial-cluster-state", fresh ? "new" : "existing",
                       "--initial-cluster-token", "warroom-test", "--heartbeat-interval", "50", "--election-timeout", "500",
                       "--log-outputs", "\(root)/\(m.name).log", "--logger", "zap"] + security.flags()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        members[i].process = p
    }

    /// SIGKILL (a crash) or SIGTERM, then waits for it to end.
    public func stop(_ i: Int, kill hard: Bool = true) {
        guard let p = members[i].process else { return }
        if p.isRunning { Glibc.kill(p.processIdentifier, hard ? SIGKILL : SIGTERM) }
        p.waitUntilExit()
        members[i].process = nil
    }

    public func restart(_ i: Int) throws { try start(i) }

    /// SIGSTOP: the member holds its connections and answers nothing (a hung or partitioned etcd).
    public func pause(_ i: Int) { if let p = members[i].process { Glibc.kill(p.processIdentifier, SIGSTOP) } }
    /// SIGCONT after `pause`.
    public func resume(_ i: Int) { if let p = members[i].process { Glibc.kill(p.processIdentifier, SIGCONT) } }

    /// `etcd://127.0.0.1:PORT[,…]/PREFIX`
    public func storeURL(_ prefix: String) -> String { url(prefix).description }

    public func shutdown() {
        for i in members.indices { resume(i); stop(i) }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Waits until every running member answers and one of them is the leader.
    public func waitReady(timeoutMs: Int = 15_000) throws {
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while Date() < deadline {
            if leader() != nil, members.indices.allSatisfy({ members[$0].process == nil || status($0) != nil }) { return }
            usleep(50_000)
        }
        throw EtcdTestFailure("etcd (\(members.count) members under \(root)) did not become ready in \(timeoutMs) ms")
    }

    public func status(_ i: Int) -> (member: UInt64, leader: UInt64)? {
        try? EtcdClient(url: url("x", members: [i]), timeoutMs: 500).status()
    }

    /// The index of the member that is the leader (as a running member reports it and the leader itself agrees).
    public func leader() -> Int? {
        for i in members.indices where members[i].process != nil {
            guard let s = status(i), s.leader != 0 else { continue }
            for j in members.indices where members[j].process != nil {
                if let t = status(j), t.member == s.leader, t.leader == s.leader { return j }
            }
        }
        return nil
    }
}

public struct EtcdTestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
