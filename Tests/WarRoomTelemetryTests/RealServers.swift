import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

// Real Prometheus and Alertmanager for the integration tests: Debian's `prometheus` (2.42) and
// `prometheus-alertmanager` (0.25), installed by `scripts/deps prometheus alertmanager` (scripts/test runs it).
// Each is started on a free 127.0.0.1 port with its own temporary directory, polled until `/-/ready`,
// and stopped (SIGTERM, then SIGKILL) at the end even when a test fails.

struct IntegrationSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A server process owned by the tests.
final class ServerProcess: @unchecked Sendable {
    let name: String
    let port: UInt16
    let directory: URL
    private let process: Process
    private let logURL: URL
    private let lock = NSLock()
    private var stopped = false

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var pid: Int32 { process.processIdentifier }

    private init(name: String, port: UInt16, directory: URL, process: Process, logURL: URL) {
        self.name = name
        self.port = port
        self.directory = directory
        self.process = process
        self.logURL = logURL
    }

    deinit {
        stop()
    }

    /// The binary's path, or an error telling to run scripts/deps.
    static func locate(_ binary: String) throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            + ["/usr/bin", "/usr/local/bin", "/usr/sbin"]
        {
            let path = "\(directory)/\(binary)"
            if access(path, X_OK) == 0 { return path }
        }
        throw IntegrationSetupError(
            "\(binary) is not installed: the telemetry integration tests need the real servers. "
                + "Run `scripts/deps prometheus alertmanager` (scripts/test does it) to install the Debian packages "
                + "prometheus and prometheus-alertmanager.")
    }

    /// Starts `binary` with `arguments(port, directory)` on a free port and waits for `/-/ready` (up to 20 s).
    /// Retries on another port if the first one was taken in the meantime.
    static func start(name: String, binary: String, timeoutMs: Int = 20_000,
                      arguments: (UInt16, URL) throws -> [String]) async throws -> ServerProcess {
        let path = try locate(binary)
        var lastError: Error?
        for _ in 0..<3 {
            let port = TestHTTPServer.refusedPort()
            let directory = URL(fileURLWithPath: NSTemporaryDirectory())
                .appendingPathComponent("warroom-\(name)-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let logURL = directory.appendingPathComponent("server.log")
            _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
            let log = try FileHandle(forWritingTo: logURL)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = try arguments(port, directory)
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = log
            process.standardError = log
            process.currentDirectoryURL = directory
            try process.run()
            try? log.close()
            let server = ServerProcess(name: name, port: port, directory: directory, process: process, logURL: logURL)
            do {
                try await server.waitReady(timeoutMs: timeoutMs)
                return server
            } catch {
                lastError = error
                server.stop()
            }
        }
        throw lastError ?? IntegrationSetupError("\(name) did not start")
    }

    func waitReady(timeoutMs: Int) async throws {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeoutMs) * 1_000_000
        while true {
            if !process.isRunning {
                throw IntegrationSetupError("\(name) exited with status \(process.terminationStatus) before it was ready:\n\(logTail())")
            }
            if let (status, _) = await httpRequest("GET", baseURL + "/-/ready"), status == 200 { return }
            if DispatchTime.now().uptimeNanoseconds > deadline {
                throw IntegrationSetupError("\(name) not ready on \(baseURL) after \(timeoutMs) ms:\n\(logTail())")
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    func logTail(lines: Int = 15) -> String {
        let text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// SIGKILL now (a crash), and wait for it to be reaped. The directory stays until `stop()`.
    func kill9() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGTERM, SIGKILL after 5 s; removes the directory. Idempotent.
    func stop() {
        lock.lock()
        if stopped {
            lock.unlock()
            return
        }
        stopped = true
        lock.unlock()
        if process.isRunning {
            process.terminate()
            let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
            while process.isRunning, DispatchTime.now().uptimeNanoseconds < deadline { usleep(20_000) }
            if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// One request with a 5 s timeout; nil when it failed.
func httpRequest(_ method: String, _ url: String, json: String? = nil) async -> (Int, Data)? {
    guard let url = URL(string: url) else { return nil }
    var request = URLRequest(url: url)
    request.httpMethod = method
    request.timeoutInterval = 5
    if let json {
        request.httpBody = Data(json.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let session = URLSession(configuration: .ephemeral)
    defer { session.finishTasksAndInvalidate() }
    return await withCheckedContinuation { continuation in
        session.dataTask(with: request) { data, response, _ in
            if let http = response as? HTTPURLResponse {
                continuation.resume(returning: (http.statusCode, data ?? Data()))
            } else {
                continuation.resume(returning: nil)
            }
        }.resume()
    }
}

/// The values a test exporter serves on `/metrics` (Prometheus text format), settable by tests.
final class MetricsExporter: @unchecked Sendable {
    let server: TestHTTPServer

    init(_ initial: [String: Double]) throws {
        let box = LockedValues(initial)
        server = try TestHTTPServer { request in
            guard request.path == "/metrics" else { return .text("not found", status: 404) }
            var text = "# HELP demo_error_rate_percent Share of failed checkout requests, in percent.\n"
            text += "# TYPE demo_error_rate_percent gauge\n"
            for (series, value) in box.snapshot().sorted(by: { $0.key < $1.key }) {
                text += "\(series) \(value)\n"
            }
            return .text(text, contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        self.box = box
    }

    private let box: LockedValues

    /// `set("demo_error_rate_percent{service=\"checkout\"}", 7.5)`
    func set(_ series: String, _ value: Double) { box.set(series, value) }

    var target: String { "127.0.0.1:\(server.port)" }

    final class LockedValues: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [String: Double]
        init(_ values: [String: Double]) { self.values = values }
        func set(_ key: String, _ value: Double) {
            lock.lock()
            values[key] = value
            lock.unlock()
        }
        func snapshot() -> [String: Double] {
            lock.lock()
            defer { lock.unlock() }
            return values
        }
    }
}

enum RealServers {
    static func prometheusConfig(scraping target: String) -> String {
        """
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: demo
            static_configs:
              - targets: ['\(target)']
        """
    }

    static func startPrometheus(scraping target: String) async throws -> ServerProcess {
        try await ServerProcess.start(name: "prometheus", binary: "prometheus") { port, directory in
            let config = directory.appendingPathComponent("prometheus.yml")
            try prometheusConfig(scraping: target).write(to: config, atomically: true, encoding: .utf8)
            return [
                "--config.file=\(config.path)",
                "--web.listen-address=127.0.0.1:\(port)",
                "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                "--log.level=warn",
            ]
        }
    }

    static func startAlertmanager() async throws -> ServerProcess {
        try await ServerProcess.start(name: "alertmanager", binary: "prometheus-alertmanager") { port, directory in
            let config = directory.appendingPathComponent("alertmanager.yml")
            try """
            route:
              receiver: "null"
            receivers:
              - name: "null"
            """.write(to: config, atomically: true, encoding: .utf8)
            return [
                "--config.file=\(config.path)",
                "--web.listen-address=127.0.0.1:\(port)",
                "--storage.path=\(directory.appendingPathComponent("data").path)",
                "--cluster.listen-address=",  // no gossip: loopback only, and ready at once
                "--log.level=warn",
            ]
        }
    }
}

/// The servers shared by the integration suite: started once, stopped after its last test.
final class RealEnvironment: @unchecked Sendable {
    static let errorSeries = "demo_error_rate_percent{service=\"checkout\"}"

    let exporter: MetricsExporter
    let prometheus: ServerProcess
    let alertmanager: ServerProcess

    @TaskLocal static var current: RealEnvironment?

    private init(exporter: MetricsExporter, prometheus: ServerProcess, alertmanager: ServerProcess) {
        self.exporter = exporter
        self.prometheus = prometheus
        self.alertmanager = alertmanager
    }

    static func start() async throws -> RealEnvironment {
        // Fail fast, and clearly, when a binary is missing (before starting anything).
        _ = try ServerProcess.locate("prometheus")
        _ = try ServerProcess.locate("prometheus-alertmanager")
        let exporter = try MetricsExporter([errorSeries: 0.5])
        let alertmanager: ServerProcess
        do {
            alertmanager = try await RealServers.startAlertmanager()
        } catch {
            exporter.server.stop()
            throw error
        }
        do {
            let prometheus = try await RealServers.startPrometheus(scraping: exporter.target)
            return RealEnvironment(exporter: exporter, prometheus: prometheus, alertmanager: alertmanager)
        } catch {
            alertmanager.stop()
            exporter.server.stop()
            throw error
        }
    }

    func shutdown() {
        prometheus.stop()
        alertmanager.stop()
        exporter.server.stop()
    }
}

/// Starts the real servers once around the suite it is attached to; stops them afterwards, also on failure.
struct RealServersTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        let environment = try await RealEnvironment.start()
        do {
            try await RealEnvironment.$current.withValue(environment) { try await function() }
        } catch {
            environment.shutdown()
            throw error
        }
        environment.shutdown()
    }
}

extension Trait where Self == RealServersTrait {
    static var realServers: Self { RealServersTrait() }
}
