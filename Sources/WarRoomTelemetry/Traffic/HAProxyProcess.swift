import Foundation
#if canImport(Glibc)
import Glibc
#endif
import WarRoomCore

/// A real HAProxy on 127.0.0.1 in a directory of its own, with its runtime API on a unix socket there: one HTTP
/// frontend and one backend of servers. For the tests, the benchmark (and a local stack): the one place that writes an
/// haproxy.cfg and starts and stops the process.
public final class HAProxyProcess: @unchecked Sendable {
    public struct Server: Sendable {
        public var name: String
        public var port: Int
        public var weight: Int
        public init(name: String, port: Int, weight: Int) {
            self.name = name
            self.port = port
            self.weight = weight
        }
    }

    public let directory: String
    public let socketPath: String
    public let frontendPort: Int
    public let backend: String
    private let process: Process
    private let lock = NSLock()
    private var stopped = false

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// The haproxy binary (`/usr/sbin/haproxy` from Debian's package), or nil when it is not installed.
    public static func binary() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for d in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/sbin", "/sbin"] where access("\(d)/haproxy", X_OK) == 0 {
            return "\(d)/haproxy"
        }
        return nil
    }

    /// haproxy.cfg: the runtime API at `socket` (admin level), `frontendPort` → `backend` of `servers` (round robin).
    public static func config(socket: String, tcpPort: Int? = nil, frontendPort: Int, backend: String, servers: [Server]) -> String {
        let lines = [
            "global",
            "    stats socket \(socket) mode 600 level admin",
            tcpPort.map { "    stats socket ipv4@127.0.0.1:\($0) level admin" } ?? "",
            "defaults",
            "    mode http",
            "    timeout connect 2s",
            "    timeout client 10s",
            "    timeout server 10s",
            "frontend web_in",
            "    bind 127.0.0.1:\(frontendPort)",
            "    default_backend \(backend)",
            "backend \(backend)",
            "    balance roundrobin",
        ] + servers.map { "    server \($0.name) 127.0.0.1:\($0.port) weight \($0.weight)" }
        return lines.filter { !$0.isEmpty }.joined(separator: "\n") + "\n"
    }

    /// Starts haproxy in `directory` (made if missing) and waits (up to `timeoutMs`) until its runtime API answers.
    /// `tcpPort`: the runtime API also on 127.0.0.1 at that port.
    public init(directory: String, frontendPort: Int, tcpPort: Int? = nil, backend: String = "web", servers: [Server],
                timeoutMs: Millis = 20_000) throws {
        guard let bin = Self.binary() else {
            throw TrafficError("haproxy is not installed (Debian: apt-get install haproxy; scripts/deps haproxy)")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        socketPath = directory + "/admin.sock"
        self.frontendPort = frontendPort
        self.backend = backend
        let cfg = directory + "/haproxy.cfg"
        try Self.config(socket: socketPath, tcpPort: tcpPort, frontendPort: frontendPort, backend: backend, servers: servers)
            .write(toFile: cfg, atomically: true, encoding: .utf8)
        let log = directory + "/haproxy.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process = Process()
        process.executableURL = URL(fileURLWithPath: bin)
        process.arguments = ["-f", cfg, "-db"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = out
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        try process.run()
        try? out.close()
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeoutMs) * 1_000_000
        while true {
            if !process.isRunning {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw TrafficError("haproxy exited (status \(process.terminationStatus)) before its runtime API answered: \(text.suffix(600))")
            }
            if let info = try? RuntimeSocket.exchange(.unix(socketPath), "show info\n", timeoutMs: 1_000), info.contains("Name:") { break }
            if DispatchTime.now().uptimeNanoseconds > deadline {
                stop()
                throw TrafficError("haproxy's runtime API did not answer at \(socketPath) within \(timeoutMs) ms")
            }
            usleep(20_000)
        }
    }

    deinit { stop() }

    /// SIGTERM, SIGKILL after 5 s; waits for it to end. Idempotent.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
        while process.isRunning, DispatchTime.now().uptimeNanoseconds < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Removes the directory (after `stop`).
    public func remove() {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
