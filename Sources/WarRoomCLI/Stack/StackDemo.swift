import Foundation
import WarRoomTelemetry
import WarRoomTerminal
#if canImport(Glibc)
import Glibc
#endif

/// `warroom demo --stack`: the console on a real HAProxy, two backends, a load generator and Prometheus, all on
/// 127.0.0.1 in the demo directory, all stopped when the demo ends (see `StackProcess` for how they die with it).
enum StackDemo {
    /// The programs it needs, with the Debian package of each.
    static let needs: [(program: String, package: String)] = [("haproxy", "haproxy"), ("prometheus", "prometheus")]

    /// Each program's path; or the message naming what is missing and how to install it.
    static func locate(path: String, extra: [String] = ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/sbin"]) -> Result<[String: String], Failure> {
        var found: [String: String] = [:]
        var missing: [(program: String, package: String)] = []
        let dirs = path.split(separator: ":").map(String.init) + extra
        for need in needs {
            if let dir = dirs.first(where: { access("\($0)/\(need.program)", X_OK) == 0 }) {
                found[need.program] = "\(dir)/\(need.program)"
            } else {
                missing.append(need)
            }
        }
        guard missing.isEmpty else {
            let names = missing.map(\.program).joined(separator: " and ")
            let packages = missing.map(\.package).joined(separator: " ")
            return .failure(Failure("warroom demo --stack needs \(names) (not found on PATH or in \(extra.joined(separator: ", "))): "
                                    + "install the Debian package\(missing.count > 1 ? "s" : "") \(packages) with `sudo apt-get install \(packages)`; "
                                    + "the plain `warroom demo` needs nothing installed"))
        }
        return .success(found)
    }

    static func run(dir: String?, actor: String, theme: String?, ascii: Bool, fast: Bool) throws {
        // Before anything is created or started.
        let programs = try locate(path: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").get()
        guard Terminal.isTTY else { throw Failure("warroom demo needs a terminal (stdin and stdout must be a tty)") }
        // An existing (empty) --dir is the user's: it stays whatever happens.
        let existed = dir.map { FileManager.default.fileExists(atPath: DemoSetup.absolute($0)) } ?? false
        let home = try DemoSetup.makeDirectory(dir)
        // A unix socket's path has room for 107 bytes: say so before starting anything (and leave no empty directory).
        guard (home + StackRuntime.socketName).utf8.count < 104 else {
            if !existed { rmdir(home) }
            throw Failure("the demo directory's path is too long for HAProxy's socket (\(home + StackRuntime.socketName)): give a shorter --dir")
        }
        let binary = try DemoSetup.executablePath()
        let stack = StackRuntime(home: home, launcher: binary, haproxy: programs["haproxy"]!, prometheus: programs["prometheus"]!)
        StackRuntime.stopAtExit(stack)
        let began = monotonicNS()
        do { try stack.start(fast: fast) } catch {
            stack.stop()
            throw Failure("\(error) (logs in \(home))")
        }
        let configPath = home + "/warroom.yaml"
        try DemoSetup.write(DemoSetup.checklistText, to: home + "/checklist.md")
        try DemoSetup.write(StackFiles.warroomConfig(socket: stack.socket, ports: stack.ports, sharePath: stack.sharePath, fast: fast),
                            to: configPath)
        try DemoSetup.write("\((monotonicNS() - began) / 1_000_000)\n", to: home + "/startup-ms")
        let setup = try loadRunConfig(configPath)
        let state = home + "/state"
        try runConsole(setup, stateDir: state, actor: actor, theme: theme, ascii: ascii,
                       demo: DemoHooks(cycleFault: { stack.cycleFault() }))
        let summary = stack.summary()
        stack.stop()
        let me = CommandLine.arguments.first.map { $0.contains("/") ? $0 : "warroom" } ?? "warroom"
        say("warroom demo --stack: the run is in \(home): warroom.yaml, checklist.md, state/, haproxy/, prometheus/, logs/")
        for line in summary { say("  " + line) }
        say("  haproxy, prometheus, both backends and the load have stopped")
        say("Inspect the run:")
        say("  \(me) status --config \(configPath) --state \(state)")
        say("  \(me) verify --state \(state)")
        say("  \(me) report --state \(state) --config \(configPath)")
    }
}

/// What `demo --stack` runs: the processes, the load, the share meter; their ports and files.
final class StackRuntime: @unchecked Sendable {
    let home: String
    let launcher: String
    let haproxyPath: String
    let prometheusPath: String
    static let socketName = "/haproxy/admin.sock"
    var socket: String { home + Self.socketName }
    var sharePath: String { home + "/canary-share.json" }
    var pidsPath: String { home + "/pids" }
    private(set) var ports = StackFiles.Ports(frontend: 0, metrics: 0, stable: 0, canary: 0, prometheus: 0)

    private let lock = NSLock()
    private var children: [StackProcess] = []
    private var load: LoadGenerator?
    private var meter: ShareMeter?
    private var fault: StackFault = .healthy
    private var loadStartedNS: UInt64 = 0
    private var stopped = false
    private let client = BlockingHTTPClient()

    init(home: String, launcher: String, haproxy: String, prometheus: String) {
        self.home = home
        self.launcher = launcher
        haproxyPath = haproxy
        prometheusPath = prometheus
    }

    nonisolated(unsafe) private static var atExit: StackRuntime?

    /// Stops `stack` when the process exits (a quit, or the console's exit on SIGTERM/SIGINT/SIGHUP).
    static func stopAtExit(_ stack: StackRuntime) {
        let first = atExit == nil
        atExit = stack
        if first { atexit { StackRuntime.atExit?.stop() } }
    }

    /// Starts everything, in order, each waited for; throws naming what failed (its log's last lines).
    func start(fast: Bool) throws(Failure) {
        for d in ["haproxy", "prometheus", "logs"] {
            do { try FileManager.default.createDirectory(atPath: home + "/" + d, withIntermediateDirectories: true) } catch {
                throw Failure("cannot create \(home)/\(d): \(error.localizedDescription)")
            }
        }
        try DemoSetup.write("console \(getpid())\n", to: pidsPath)
        ports.stable = try startBackend("stable")
        ports.canary = try startBackend("canary")
        try startHAProxy()
        try startPrometheus()
        let generator = LoadGenerator(port: ports.frontend, rate: 100)
        generator.start()
        let share = ShareMeter(stablePort: ports.stable, canaryPort: ports.canary, socket: socket, backend: StackFiles.backend,
                               outputPath: sharePath)
        share.start()
        lock.lock()
        load = generator
        meter = share
        loadStartedNS = monotonicNS()
        lock.unlock()
    }

    private func spawn(_ name: String, _ argv: [String], in directory: String) throws(Failure) -> StackProcess {
        let child = try StackProcess.start(name: name, argv: argv, directory: directory, logPath: "\(home)/logs/\(name).log",
                                           launcher: launcher)
        lock.lock()
        children.append(child)
        let lines = children.map { "\($0.name) \($0.pid)" }
        lock.unlock()
        try DemoSetup.write("console \(getpid())\n" + lines.joined(separator: "\n") + "\n", to: pidsPath)
        return child
    }

    /// Polls `ready` every 20 ms until it answers, `child` ends or `timeoutMs` passes.
    private func wait<T>(for child: StackProcess, _ what: String, timeoutMs: UInt64 = 30_000, _ ready: () -> T?) throws(Failure) -> T {
        let deadline = monotonicNS() + timeoutMs * 1_000_000
        while true {
            if let v = ready() { return v }
            if !child.isRunning { throw Failure("\(child.name) ended before \(what):\n\(child.logTail())") }
            if monotonicNS() > deadline { throw Failure("\(child.name): no \(what) within \(timeoutMs / 1000) s:\n\(child.logTail())") }
            usleep(20_000)
        }
    }

    private func startBackend(_ name: String) throws(Failure) -> UInt16 {
        let portFile = "\(home)/logs/\(name).port"
        let child = try spawn(name, [launcher, "demo-backend", "--name", name, "--port-file", portFile], in: home)
        return try wait(for: child, "its port") {
            (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { UInt16($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
    }

    private func startHAProxy() throws(Failure) {
        var lastError: Failure?
        for _ in 0..<3 {  // a port chosen free may be taken before HAProxy binds it: choose again
            ports.frontend = LoopbackHTTPServer.refusedPort()
            ports.metrics = LoopbackHTTPServer.refusedPort()
            let cfg = home + "/haproxy/haproxy.cfg"
            try DemoSetup.write(StackFiles.haproxyConfig(socket: socket, ports: ports), to: cfg)
            let child = try spawn("haproxy", [haproxyPath, "-f", cfg, "-db"], in: home + "/haproxy")
            do {
                _ = try wait(for: child, "runtime API answer", timeoutMs: 15_000) { () -> Bool? in
                    (try? RuntimeSocket.exchange(.unix(socket), "show info\n", timeoutMs: 1_000)).flatMap { $0.contains("Name:") ? true : nil }
                }
                return
            } catch {
                lastError = error
                StackProcess.stopAll([child])
            }
        }
        throw lastError ?? Failure("haproxy did not start")
    }

    private func startPrometheus() throws(Failure) {
        var lastError: Failure?
        let cfg = home + "/prometheus/prometheus.yml"
        try DemoSetup.write(StackFiles.prometheusConfig(metricsPort: ports.metrics), to: cfg)
        for _ in 0..<3 {
            ports.prometheus = LoopbackHTTPServer.refusedPort()
            let child = try spawn("prometheus", [prometheusPath, "--config.file=\(cfg)", "--web.listen-address=127.0.0.1:\(ports.prometheus)",
                                                 "--storage.tsdb.path=\(home)/prometheus/data", "--log.level=warn"],
                                  in: home + "/prometheus")
            do {
                let port = ports.prometheus
                _ = try wait(for: child, "/-/ready", timeoutMs: 60_000) { () -> Bool? in
                    StackHTTP.get(port: port, path: "/-/ready")?.status == 200 ? true : nil
                }
                return
            } catch {
                lastError = error
                StackProcess.stopAll([child])
            }
        }
        throw lastError ?? Failure("prometheus did not start")
    }

    /// The `f` key: the canary's next fault.
    func cycleFault() -> String {
        lock.lock()
        let next = fault.next
        lock.unlock()
        switch client.post("http://127.0.0.1:\(ports.canary)/_admin/fault", body: Array(next.rawValue.utf8), timeoutMs: 2_000) {
        case .success(let r) where r.status == 200:
            lock.lock()
            fault = next
            let weight = meter?.latest.weight
            lock.unlock()
            return weight == 0 ? next.messageAtZero : next.message
        case .success(let r):
            return "fault: the canary backend answered HTTP \(r.status)"
        case .failure(let e):
            return "fault: cannot reach the canary backend: \(e.message)"
        }
    }

    /// What the load did and what the canary served, for the exit summary.
    func summary() -> [String] {
        lock.lock()
        let s = load?.stats
        let reading = meter?.latest
        let seconds = Double(monotonicNS() - loadStartedNS) / 1e9
        lock.unlock()
        var lines: [String] = []
        if let s {
            let answered = s.ok + s.errors
            lines.append("load: \(s.sent) requests through HAProxy (127.0.0.1:\(ports.frontend)) in \(Int(seconds)) s "
                         + "(\(String(format: "%.0f", Double(s.sent) / max(seconds, 1))) req/s): \(s.ok) 2xx, \(s.errors) errors, "
                         + "\(s.failed) failed, \(s.skipped) not sent"
                         + (answered > 0 ? String(format: " (%.1f %% errors)", 100 * Double(s.errors) / Double(answered)) : ""))
        }
        if let r = reading, let share = r.share {
            lines.append(String(format: "the canary served %.1f %% of the last %llu requests (by the backends' own counts); ", share, r.windowRequests)
                         + (r.weight.map { String(format: "HAProxy's weights give it %.0f %%", $0) } ?? "HAProxy's weights were not readable"))
            lines.append("in all the canary served \(r.canaryServed) requests, the stable \(r.stableServed)")
        }
        return lines
    }

    /// Stops the meter, the load and every process (SIGTERM, SIGKILL after 3 s). Idempotent.
    func stop() {
        lock.lock()
        guard !stopped else {
            lock.unlock()
            return
        }
        stopped = true
        let (generator, share, all) = (load, meter, children)
        lock.unlock()
        share?.stop()
        generator?.stop()
        StackProcess.stopAll(all)
    }
}
