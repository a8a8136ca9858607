import Foundation
import Testing
@testable import WarRoomCore
@testable import WarRoomTelemetry

func nginxTestDirectory(_ what: String) throws -> String {
    let dir = NSTemporaryDirectory() + "warroom-\(what)-\(getpid())-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// The weights file, and the adapter against a stand-in `nginx` (records its argv; `-t` refuses while a `refuse` file
/// exists) with a local server standing in for the running workers' status answer.
@Suite struct NginxAdapterStandIn {
    @Test func theFileSaysWeightsTheNginxWayAndReadsBack() throws {
        let text = NginxAdapter.render(upstream: "checkout", stable: "10.0.0.1:8080", canary: "10.0.0.2:8080", status: "127.0.0.1:9180",
                                       weights: (stable: 100, canary: 0))
        #expect(text.contains("upstream checkout {\n    server 10.0.0.1:8080 weight=100;\n    server 10.0.0.2:8080 down;\n}"), "\(text)")
        #expect(text.contains("listen 127.0.0.1:9180;") && text.contains("location = /warroom-weights {"))
        #expect(text.contains("return 200 \"stable=100 canary=0\\n\";"))
        let dir = try nginxTestDirectory("nginx-file")
        let a = try NginxAdapter(TrafficConfig(adapter: "nginx", settings: ["file": dir + "/w.conf", "upstream": "checkout", "stable": "10.0.0.1:8080",
                                                                           "canary": "10.0.0.2:8080", "status": "127.0.0.1:9180"]), children: ChildProcesses())
        try text.write(toFile: dir + "/w.conf", atomically: true, encoding: .utf8)
        #expect(try a.fileWeights() == (100, 0))
        try """
        upstream other { server 10.0.0.1:8080 weight=5; }
        upstream checkout {
            server 10.0.0.1:8080;
            server 10.0.0.2:8080 weight=3 max_fails=2;
        }
        """.write(toFile: dir + "/w.conf", atomically: true, encoding: .utf8)
        #expect(try a.fileWeights() == (1, 3), "no weight is 1, another upstream is not ours")
        try "upstream checkout { server 10.0.0.1:8080; }".write(toFile: dir + "/w.conf", atomically: true, encoding: .utf8)
        #expect(throws: TrafficError.self) { try a.fileWeights() }
        #expect(throws: TrafficError.self) {
            try NginxAdapter(TrafficConfig(adapter: "nginx", settings: ["file": dir + "/w.conf", "upstream": "checkout", "stable": "10.0.0.1:8080",
                                                                       "canary": "10.0.0.2:8080; include /etc/shadow", "status": "127.0.0.1:9180"]),
                             children: ChildProcesses())
        }
    }

    /// A stand-in nginx in `dir` and a status server answering what the file says (`live`) or what it said before.
    final class Fake: @unchecked Sendable {
        let dir: String
        let lock = NSLock()
        var live = true
        var served = "stable=100 canary=0"
        var status: TestHTTPServer!

        init() throws {
            dir = try nginxTestDirectory("nginx-standin")
            try """
            #!/bin/sh
            d="$(dirname "$0")"
            for a in "$@"; do printf '[%s]' "$a"; done >> "$d/calls"; echo >> "$d/calls"
            case " $* " in
              *" -t "*) if [ -f "$d/refuse" ]; then echo "nginx: [emerg] invalid port in \\"10.0.0.2:99999\\" of the \\"server\\" directive in $d/w.conf:4" >&2
                          echo "nginx: configuration file $d/nginx.conf test failed" >&2; exit 1; fi ;;
            esac
            exit 0
            """.write(toFile: dir + "/nginx", atomically: true, encoding: .utf8)
            chmod(dir + "/nginx", 0o755)
            status = try TestHTTPServer { [unowned self] r in
                guard r.path == "/warroom-weights" else { return .text("not found", status: 404) }
                self.lock.lock()
                defer { self.lock.unlock() }
                if self.live, let text = try? String(contentsOfFile: self.dir + "/w.conf", encoding: .utf8),
                   let q = text.firstRange(of: "return 200 \""), let end = text[q.upperBound...].firstIndex(of: "\\") {
                    self.served = String(text[q.upperBound..<end])
                }
                return .text(self.served + "\n")
            }
        }

        deinit { status.stop() }

        func adapter(timeoutMs: Millis = 3_000) throws -> NginxAdapter {
            try NginxAdapter(TrafficConfig(adapter: "nginx", settings: ["file": dir + "/w.conf", "upstream": "checkout", "stable": "10.0.0.1:8080",
                                                                       "canary": "10.0.0.2:8080", "status": "127.0.0.1:\(status.port)",
                                                                       "nginx": dir + "/nginx", "conf": dir + "/nginx.conf", "prefix": dir + "/"],
                                           timeoutMs: timeoutMs), children: ChildProcesses())
        }

        var calls: [String] { ((try? String(contentsOfFile: dir + "/calls", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
    }

    @Test func setWritesTestsReloadsAndReadsBack() async throws {
        let fake = try Fake()
        let a = try fake.adapter()
        let r = try await GatewayAPIAdapterStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 2, percent: 25)) }
        #expect(r.error == nil && r.observed == 25, "\(r)")
        let flags = "[-p][\(fake.dir)/][-c][\(fake.dir)/nginx.conf]"
        #expect(fake.calls == [flags + "[-t][-q]", flags + "[-s][reload]"])
        #expect(try a.fileWeights() == (75, 25))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fake.dir).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "the temporary file was renamed: \(leftovers)")
    }

    @Test func aRefusedFileIsPutBack() async throws {
        let fake = try Fake()
        let a = try fake.adapter()
        try await GatewayAPIAdapterStandIn.offPool { try a.set(percent: 10) }
        let before = try String(contentsOfFile: fake.dir + "/w.conf", encoding: .utf8)
        _ = FileManager.default.createFile(atPath: fake.dir + "/refuse", contents: nil)
        let r = try await GatewayAPIAdapterStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 3, percent: 50)) }
        #expect(r.error?.contains("nginx -t refused the new \(fake.dir)/w.conf (put back as it was)") == true, "\(r)")
        #expect(r.error?.contains("test failed") == true, "nginx's own words: \(r.error ?? "")")
        #expect(r.observed == 10)
        #expect(try String(contentsOfFile: fake.dir + "/w.conf", encoding: .utf8) == before)
        #expect(fake.calls.count == 3 && fake.calls.last?.hasSuffix("[-t][-q]") == true, "no reload after a refused test: \(fake.calls)")
    }

    @Test func aReloadThatDidNotTakeIsNamed() async throws {
        let fake = try Fake()
        let a = try fake.adapter(timeoutMs: 500)
        try await GatewayAPIAdapterStandIn.offPool { try a.set(percent: 10) }
        #expect(try await GatewayAPIAdapterStandIn.offPool { try a.read() } == 10)
        fake.lock.withLock { fake.live = false }
        let start = monotonicMs()
        let r = try await GatewayAPIAdapterStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 3, percent: 50)) }
        #expect(r.observed == nil)
        #expect(r.error == "read-back failed: nginx runs stable=90 canary=10 but \(fake.dir)/w.conf says stable=50 canary=50 (not reloaded, or the reload failed: see nginx's error log)", "\(r)")
        #expect(monotonicMs() - start >= 450, "waited for the reload to take")
        fake.status.setHandler { _ in .text("welcome to nginx!") }
        #expect(Traffic.readBack(a).error?.contains("(not warroom's weights: is \(fake.dir)/w.conf included in nginx's http {}?)") == true)
    }
}

/// The nginx adapter against a real nginx (Debian's; `scripts/deps nginx`) started on 127.0.0.1 ports chosen now, in a
/// directory of its own (prefix, pid, logs, temp paths), with two backends (nginx servers answering "stable" and
/// "canary") behind the upstream the adapter writes: the share is measured from requests through nginx too.
@Suite(.serialized, .enabled(if: RealNginx.binary() != nil, "nginx is not installed (scripts/deps nginx)"))
struct NginxAdapterReal {
    @Test func weightsMoveRealTrafficAndReadBackFromTheRunningWorkers() async throws {
        let n = try RealNginx()
        defer { n.stop() }
        let a = try n.adapter()
        #expect(try await GatewayAPIAdapterStandIn.offPool { try a.read() } == 0)
        for p in [25, 0, 100, 50] {
            let start = monotonicMs()
            let r = try await GatewayAPIAdapterStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: p, percent: p)) }
            print("nginx set + reload + read back \(p) %: \(Int(monotonicMs() - start)) ms")
            #expect(r.error == nil && r.observed == p, "\(r)")
            let canary = try await GatewayAPIAdapterStandIn.offPool { try n.canaryRequests(of: 100) }
            #expect(abs(canary - p) <= 2, "\(canary) of 100 requests reached the canary at \(p) %")
        }
        let text = try String(contentsOfFile: n.dir + "/weights.conf", encoding: .utf8)
        #expect(text.contains("weight=50;") && !text.contains("down"))
    }

    @Test func aRefusedFileLeavesNginxAsItWas() async throws {
        let n = try RealNginx()
        defer { n.stop() }
        let a = try n.adapter()
        try await GatewayAPIAdapterStandIn.offPool { try a.set(percent: 10) }
        let before = try String(contentsOfFile: n.dir + "/weights.conf", encoding: .utf8)
        let bad = try n.adapter(canary: "127.0.0.1:99999")
        let r = try await GatewayAPIAdapterStandIn.offPool { Traffic.setAndReadBack(bad, TrafficRequest(decision: 1, percent: 30)) }
        #expect(r.error?.contains("nginx -t refused") == true && r.error?.contains("invalid port") == true, "\(r)")
        #expect(try String(contentsOfFile: n.dir + "/weights.conf", encoding: .utf8) == before)
        #expect(try await GatewayAPIAdapterStandIn.offPool { try a.read() } == 10)
        // Changed behind warroom's back and not reloaded: the running workers still have 10 %, and it is said.
        try NginxAdapter.render(upstream: "checkout", stable: n.stable, canary: n.canary, status: n.status, weights: (50, 50))
            .write(toFile: n.dir + "/weights.conf", atomically: true, encoding: .utf8)
        let drift = try n.adapter(timeoutMs: 300)
        #expect(try await GatewayAPIAdapterStandIn.offPool { Traffic.readBack(drift).error }?.hasPrefix("nginx runs stable=90 canary=10 but ") == true)
    }
}

/// A real nginx for the tests, stopped (its master, the process started here) by `stop`.
final class RealNginx: @unchecked Sendable {
    let dir: String
    let stable: String
    let canary: String
    let status: String
    let proxyPort: UInt16
    let process = Process()

    static func binary() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return (path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/sbin", "/sbin"])
            .map { "\($0)/nginx" }.first { access($0, X_OK) == 0 }
    }

    init() throws {
        guard let bin = Self.binary() else { throw TrafficError("nginx is not installed") }
        dir = try nginxTestDirectory("nginx-real")
        let ports = (0..<4).map { _ in TestHTTPServer.refusedPort() }
        stable = "127.0.0.1:\(ports[0])"
        canary = "127.0.0.1:\(ports[1])"
        status = "127.0.0.1:\(ports[2])"
        proxyPort = ports[3]
        try FileManager.default.createDirectory(atPath: dir + "/tmp", withIntermediateDirectories: true)
        try NginxAdapter.render(upstream: "checkout", stable: stable, canary: canary, status: status, weights: (100, 0))
            .write(toFile: dir + "/weights.conf", atomically: true, encoding: .utf8)
        try """
        daemon off;
        worker_processes 1;
        pid \(dir)/nginx.pid;
        error_log \(dir)/error.log;
        events { worker_connections 64; }
        http {
            access_log off;
            client_body_temp_path \(dir)/tmp/body;
            proxy_temp_path \(dir)/tmp/proxy;
            fastcgi_temp_path \(dir)/tmp/fastcgi;
            uwsgi_temp_path \(dir)/tmp/uwsgi;
            scgi_temp_path \(dir)/tmp/scgi;
            include \(dir)/weights.conf;
            server { listen \(stable); return 200 "stable\\n"; }
            server { listen \(canary); return 200 "canary\\n"; }
            server { listen 127.0.0.1:\(proxyPort); location / { proxy_pass http://checkout; } }
        }

        """.write(toFile: dir + "/nginx.conf", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: bin)
        process.arguments = ["-p", dir + "/", "-c", dir + "/nginx.conf", "-e", dir + "/error.log"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let http = BlockingHTTPClient()
        let deadline = DispatchTime.now().uptimeNanoseconds + 20_000_000_000
        while true {
            if case .success(let r) = http.request("http://\(status)/warroom-weights", method: "GET", timeoutMs: 1_000), r.status == 200 { break }
            if !process.isRunning || DispatchTime.now().uptimeNanoseconds > deadline {
                let log = (try? String(contentsOfFile: dir + "/error.log", encoding: .utf8)) ?? ""
                stop()
                throw TrafficError("nginx did not start: \(log.suffix(600))")
            }
            usleep(20_000)
        }
    }

    func adapter(canary: String? = nil, timeoutMs: Millis = 5_000) throws -> NginxAdapter {
        try NginxAdapter(TrafficConfig(adapter: "nginx", settings: ["file": dir + "/weights.conf", "upstream": "checkout", "stable": stable,
                                                                   "canary": canary ?? self.canary, "status": status, "nginx": Self.binary() ?? "nginx",
                                                                   "conf": dir + "/nginx.conf", "prefix": dir + "/"], timeoutMs: timeoutMs),
                         children: ChildProcesses())
    }

    /// How many of `count` requests through nginx the canary answered.
    func canaryRequests(of count: Int) throws -> Int {
        let http = BlockingHTTPClient()
        var canary = 0
        for _ in 0..<count {
            switch http.request("http://127.0.0.1:\(proxyPort)/", method: "GET", timeoutMs: 2_000) {
            case .success(let r): if String(decoding: r.body, as: UTF8.self) == "canary\n" { canary += 1 }
            case .failure(let e): throw TrafficError("through nginx: \(e.message)")
            }
        }
        return canary
    }

    /// SIGTERM to the master started here (it ends its workers), SIGKILL after 5 s.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
            while process.isRunning, DispatchTime.now().uptimeNanoseconds < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dir)
    }
}
