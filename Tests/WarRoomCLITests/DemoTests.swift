import Foundation
import Testing
@testable import WarRoomCLI
import WarRoomConfig
import WarRoomCore
import WarRoomTelemetry
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Thread-safe sample collection for the poller's callbacks.
final class SampleBox: @unchecked Sendable {
    private let lock = NSLock()
    private var samples: [String: Sample] = [:]

    func add(_ s: Sample) {
        lock.lock()
        samples[s.probe] = s
        lock.unlock()
    }

    var all: [String: Sample] {
        lock.lock()
        defer { lock.unlock() }
        return samples
    }
}

/// The simulator read the way the console reads it: WarRoomTelemetry's Poller, one tick of every probe.
func pollDemo(port: UInt16) -> [String: Reading] {
    let url = "http://127.0.0.1:\(port)"
    let sources = [
        SourceSpec(name: "prom", kind: .prometheus(url: url), intervalMs: 600_000, timeoutMs: 10_000),
        SourceSpec(name: "alerts", kind: .alertmanager(url: url), intervalMs: 600_000, timeoutMs: 10_000),
    ]
    let probes = [
        Probe(id: "p95", source: "prom", query: DemoService.latencyMetric),
        Probe(id: "errors", source: "prom", query: DemoService.errorMetric),
        Probe(id: "availability", source: "prom", query: DemoService.availabilityMetric),
        Probe(id: "unknown", source: "prom", query: "sum(rate(http_requests_total[5m]))"),
        Probe(id: "alerts", source: "alerts", match: ["severity": "critical", "service": "checkout"]),
    ]
    let box = SampleBox()
    let poller = Poller(sources: sources, probes: probes, clock: { DemoService.wallMillis() }, deliver: { box.add($0) })
    poller.start()
    let deadline = Date().addingTimeInterval(20)
    while box.all.count < probes.count, Date() < deadline { usleep(10_000) }
    poller.stop()
    return box.all.mapValues(\.reading)
}

func value(_ r: Reading?) -> Double? {
    if case .value(let x) = r { return x }
    return nil
}

func alertNames(_ r: Reading?) -> [String]? {
    if case .alerts(let list) = r { return list.map(\.name) }
    return nil
}

/// A plain GET with URLSession: status, content type, body.
func httpGet(_ url: String) -> (status: Int, type: String, body: String)? {
    final class Box: @unchecked Sendable { var out: (Int, String, String)? }
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    let task = URLSession.shared.dataTask(with: URL(string: url)!) { data, response, _ in
        if let h = response as? HTTPURLResponse {
            box.out = (h.statusCode, h.value(forHTTPHeaderField: "Content-Type") ?? "", String(decoding: data ?? Data(), as: UTF8.self))
        }
        done.signal()
    }
    task.resume()
    _ = done.wait(timeout: .now() + 20)
    return box.out
}

/// The SLOs of the demo's config, to judge simulated values as the console would.
let demoSLOs = (
    p95: SLOSpec(name: "P95 latency", unit: "s", objective: Condition(.le, 2), warn: Condition(.le, 1.5), intervalMs: 1000),
    errors: SLOSpec(name: "Error rate", unit: "%", objective: Condition(.lt, 1), warn: Condition(.lt, 0.5), intervalMs: 1000),
    availability: SLOSpec(name: "Availability", unit: "%", objective: Condition(.ge, 99.9), intervalMs: 1000)
)

@Suite struct DemoServiceTests {
    func makeService(pendingMs: Int64 = 0) throws -> (DemoService, String) {
        let dir = tempDir("demo-svc")
        let service = DemoService(weightPath: dir + "/weight", alertPendingMs: pendingMs, seed: 42)
        try service.start()
        return (service, dir)
    }

    func setWeight(_ dir: String, _ percent: Int) throws {
        try "\(percent)\n".write(toFile: dir + "/weight", atomically: true, encoding: .utf8)
    }

    @Test func embeddedChecklistIsTheRepositorysCanaryChecklist() throws {
        let text = try String(contentsOfFile: canary, encoding: .utf8)
        #expect(DemoSetup.checklistText == text, "Demo.swift embeds checklists/canary-go-live.md: copy it again")
    }

    @Test func healthyValuesAreGreenWhateverTheWeightAndNoise() throws {
        let dir = tempDir("demo-model")
        let service = DemoService(weightPath: dir + "/weight", seed: 7)
        for w in [0, 10, 25, 50, 75, 100] {
            try setWeight(dir, w)
            for _ in 0..<200 {
                let p95 = try #require(service.sample(DemoService.latencyMetric))
                let e = try #require(service.sample(DemoService.errorMetric))
                let a = try #require(service.sample(DemoService.availabilityMetric))
                #expect(demoSLOs.p95.status(of: p95) == .ok, "p95 \(p95) at \(w) %")
                #expect(demoSLOs.errors.status(of: e) == .ok, "errors \(e) at \(w) %")
                #expect(demoSLOs.availability.status(of: a) == .ok, "availability \(a) at \(w) %")
                #expect(p95 > 0.35 && p95 < 0.55 && e < 0.06 && a > 99.9)
            }
        }
        #expect(service.sample("up") == nil)
    }

    @Test func seededNoiseRepeats() throws {
        let dir = tempDir("demo-seed")
        let a = DemoService(weightPath: dir + "/weight", seed: 99)
        let b = DemoService(weightPath: dir + "/weight", seed: 99)
        let xs = (0..<20).compactMap { _ in a.sample(DemoService.latencyMetric) }
        let ys = (0..<20).compactMap { _ in b.sample(DemoService.latencyMetric) }
        #expect(xs == ys)
        #expect(Set(xs).count > 10, "the values wobble")
    }

    @Test func faultsGrowWithTheWeightAndARollbackClearsThem() throws {
        let dir = tempDir("demo-faults")
        let service = DemoService(weightPath: dir + "/weight", seed: 3)
        service.setFault(.latencySpike)
        try setWeight(dir, 10)
        #expect(demoSLOs.p95.status(of: service.sample(DemoService.latencyMetric)!) == .warn)
        for w in [25, 50, 75, 100] {
            try setWeight(dir, w)
            for _ in 0..<50 { #expect(service.sample(DemoService.latencyMetric)! > 3, "trips “Latency breach” at \(w) %") }
        }
        try setWeight(dir, 0)
        #expect(demoSLOs.p95.status(of: service.sample(DemoService.latencyMetric)!) == .ok)

        service.setFault(.errorBurst)
        try setWeight(dir, 10)
        #expect(demoSLOs.errors.status(of: service.sample(DemoService.errorMetric)!) == .breach)
        try setWeight(dir, 25)
        for _ in 0..<50 { #expect(service.sample(DemoService.errorMetric)! > 5, "trips “Error rate spike” at 25 %") }
        #expect(demoSLOs.availability.status(of: service.sample(DemoService.availabilityMetric)!) == .breach)
        try setWeight(dir, 0)
        #expect(demoSLOs.errors.status(of: service.sample(DemoService.errorMetric)!) == .ok)
    }

    @Test func theFaultKeyCyclesAndSaysWhatItDoes() throws {
        let dir = tempDir("demo-cycle")
        let service = DemoService(weightPath: dir + "/weight", seed: 1)
        try setWeight(dir, 25)
        let messages = (0..<4).map { _ in (service.cycleFault(), service.currentFault) }
        #expect(messages.map(\.1) == [.latencySpike, .errorBurst, .outage, .healthy])
        #expect(messages[0].0.hasPrefix("fault: latency spike") && messages[0].0.contains("at 25 %"), "\(messages[0].0)")
        #expect(messages[1].0.hasPrefix("fault: error burst") && messages[1].0.contains("6.0 %"), "\(messages[1].0)")
        #expect(messages[2].0.hasPrefix("fault: outage") && messages[2].0.contains("503"), "\(messages[2].0)")
        #expect(messages[3].0.hasPrefix("fault cleared"))
        #expect(messages.allSatisfy { $0.0.count <= 80 }, "one message line at 80 columns")
        try setWeight(dir, 0)
        let idle = service.cycleFault()
        #expect(idle.contains("no effect at 0 %") && idle.count <= 80, "\(idle)")
    }

    @Test func answersAPlainHTTPGet() throws {
        let (service, _) = try makeService()
        defer { service.stop() }
        let r = try #require(httpGet("http://127.0.0.1:\(service.port)/api/v1/query?query=demo%3Alatency_p95_seconds"))
        #expect(r.status == 200)
        #expect(r.type == "application/json")
        #expect(r.body.hasPrefix(#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"demo:latency_p95_seconds""#), "\(r.body)")
        let empty = try #require(httpGet("http://127.0.0.1:\(service.port)/api/v1/query?query=nope"))
        #expect(empty.body == #"{"status":"success","data":{"resultType":"vector","result":[]}}"#)
        #expect(httpGet("http://127.0.0.1:\(service.port)/api/v2/alerts")?.body == "[]")
        #expect(httpGet("http://127.0.0.1:\(service.port)/nothing-here")?.status == 404)
        #expect(httpGet("http://127.0.0.1:\(service.port)/")?.body.contains("simulated checkout-api") == true)
    }

    @Test func thePollerReadsTheSimulatorAsTheConsoleWould() throws {
        let (service, dir) = try makeService()
        defer { service.stop() }

        // Healthy, before any hook ran.
        var r = pollDemo(port: service.port)
        #expect(demoSLOs.p95.status(of: try #require(value(r["p95"]))) == .ok, "\(r)")
        #expect(demoSLOs.errors.status(of: try #require(value(r["errors"]))) == .ok)
        #expect(demoSLOs.availability.status(of: try #require(value(r["availability"]))) == .ok)
        #expect(r["unknown"] == .noData)
        #expect(alertNames(r["alerts"]) == [])

        // A latency spike at 50 %: P95 breaches; rolled back to 0 % it is healthy again.
        service.setFault(.latencySpike)
        try setWeight(dir, 50)
        r = pollDemo(port: service.port)
        #expect(try #require(value(r["p95"])) > 3, "\(r)")
        #expect(demoSLOs.errors.status(of: try #require(value(r["errors"]))) == .ok)
        try setWeight(dir, 0)
        r = pollDemo(port: service.port)
        #expect(demoSLOs.p95.status(of: try #require(value(r["p95"]))) == .ok, "\(r)")

        // An error burst at 25 %: errors over 5 %, availability breached, CheckoutErrorBurst fires.
        service.setFault(.errorBurst)
        try setWeight(dir, 25)
        r = pollDemo(port: service.port)
        #expect(try #require(value(r["errors"])) > 5, "\(r)")
        #expect(try #require(value(r["availability"])) < 99.9)
        #expect(alertNames(r["alerts"]) == ["CheckoutErrorBurst"], "\(String(describing: r["alerts"]))")
        if case .alerts(let list) = r["alerts"] {
            #expect(list.first?.summary == "checkout-api error rate over 5 % on the new version")
            #expect(list.first?.labels == ["alertname": "CheckoutErrorBurst", "severity": "critical", "service": "checkout"])
        }
        // The same firing keeps its identity (startsAt) from poll to poll: an acknowledgement sticks.
        let fingerprint = { (r: [String: Reading]) -> String? in
            if case .alerts(let l) = r["alerts"] { return l.first?.fingerprint }
            return nil
        }
        #expect(fingerprint(r) != nil && fingerprint(r) == fingerprint(pollDemo(port: service.port)))
        try setWeight(dir, 0)
        r = pollDemo(port: service.port)
        #expect(alertNames(r["alerts"]) == [])

        // An outage: Prometheus answers 503 with an HTML page, every metric read fails; CheckoutDown fires.
        service.setFault(.outage)
        r = pollDemo(port: service.port)
        for probe in ["p95", "errors", "availability", "unknown"] {
            #expect(r[probe] == .failure("HTTP 503: not JSON (text/html): 503 Service Unavailable"), "\(probe): \(String(describing: r[probe]))")
        }
        #expect(alertNames(r["alerts"]) == ["CheckoutDown"])

        service.setFault(.healthy)
        r = pollDemo(port: service.port)
        #expect(value(r["p95"]) != nil)
        #expect(alertNames(r["alerts"]) == [])
    }

    @Test func theErrorBurstAlertWaitsLikeAnAlertRule() throws {
        final class FakeClock: @unchecked Sendable {
            let lock = NSLock()
            var t: Int64 = 1_800_000_000_000
            func now() -> Int64 { lock.lock(); defer { lock.unlock() }; return t }
            func advance(_ ms: Int64) { lock.lock(); t += ms; lock.unlock() }
        }
        let clock = FakeClock()
        let dir = tempDir("demo-alert")
        let service = DemoService(weightPath: dir + "/weight", alertPendingMs: 15_000, seed: 1, now: { clock.now() })
        try setWeight(dir, 50)
        service.setFault(.errorBurst)
        #expect(service.firingAlerts().isEmpty)
        clock.advance(14_000)
        #expect(service.firingAlerts().isEmpty)
        clock.advance(1_000)
        let firing = service.firingAlerts()
        #expect(firing.map(\.name) == ["CheckoutErrorBurst"])
        clock.advance(5_000)
        #expect(service.firingAlerts() == firing, "stable while it fires")
        try setWeight(dir, 0)
        #expect(service.firingAlerts().isEmpty, "resolved once rolled back")
    }

    @Test func stopReleasesThePort() throws {
        let (service, _) = try makeService()
        let port = service.port
        #expect(httpGet("http://127.0.0.1:\(port)/")?.status == 200)
        service.stop()
        service.stop()
        #expect(httpGet("http://127.0.0.1:\(port)/") == nil, "nothing listens after stop")
    }
}

@Suite struct DemoSetupTests {
    @Test func demoWeightWritesTheWeightFile() throws {
        let dir = tempDir("demo-weight")
        let r = try warroom(["demo-weight", "--dir", dir, "25"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == "weight 25 %\n")
        #expect(try String(contentsOfFile: dir + "/weight", encoding: .utf8) == "25\n")
        #expect(try warroom(["demo-weight", "--dir", dir, "0"]).status == 0)
        #expect(try String(contentsOfFile: dir + "/weight", encoding: .utf8) == "0\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["weight"], "no temporary file left behind")
        let bad = try warroom(["demo-weight", "--dir", dir, "101"])
        #expect(bad.status == 2)
        #expect(bad.err.contains("0–100"))
        let help = try warroom(["--help"])
        #expect(help.out.contains("demo"))
        #expect(!help.out.contains("demo-weight"), "the hook is hidden from --help")
    }

    @Test func theGeneratedConfigLoadsCleanly() throws {
        let dir = tempDir("demo-config")
        try DemoSetup.write(DemoSetup.checklistText, to: dir + "/checklist.md")
        for fast in [false, true] {
            let yaml = DemoSetup.configYAML(port: 41234, binary: warroomBinary, dir: dir, fast: fast)
            try DemoSetup.write(yaml, to: dir + "/warroom.yaml")
            let (config, diagnostics) = ConfigLoader.load(path: dir + "/warroom.yaml")
            #expect(diagnostics.isEmpty, "\(diagnostics)")
            let c = try #require(config)
            #expect(c.plan.steps.map(\.percent) == [10, 25, 50, 75, 100])
            #expect(c.plan.holdMs == (fast ? 3_000 : 20_000))
            #expect(c.apply == [warroomBinary, "demo-weight", "--dir", dir, "{percent}"])
            #expect(c.rollbackHook == [warroomBinary, "demo-weight", "--dir", dir, "0"])
            #expect(c.lights.map(\.name) == ["Error rate spike", "Latency breach", "Critical alerts firing", "Security incident"])
            #expect(c.lights.map(\.forMs) == (fast ? [2_000, 2_000, 0, 0] : [10_000, 15_000, 0, 0]))
            #expect(c.slos.map(\.name) == ["P95 latency", "Error rate", "Availability"])
            #expect(c.sources.map(\.name).sorted() == ["alerts", "prom"])
        }
        let status = try warroom(["status", "--config", dir + "/warroom.yaml", "--state", dir + "/state"])
        #expect(status.status == 0, "\(status.err)")
    }

    @Test func aPathWithQuotesAndBackslashesSurvivesTheYAML() throws {
        let dir = tempDir("demo-quote") + "/it's \"odd\" \\ here"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try DemoSetup.write(DemoSetup.checklistText, to: dir + "/checklist.md")
        try DemoSetup.write(DemoSetup.configYAML(port: 1, binary: warroomBinary, dir: dir, fast: true), to: dir + "/warroom.yaml")
        let (config, diagnostics) = ConfigLoader.load(path: dir + "/warroom.yaml")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(config?.apply?[3] == dir)
    }

    @Test func theDirectoryIsFreshOrRefused() throws {
        let base = tempDir("demo-dir")
        // A new path is created; an existing empty one is used; a non-empty one is refused.
        let fresh = try DemoSetup.makeDirectory(base + "/new/deeper")
        #expect(fresh == base + "/new/deeper")
        #expect(FileManager.default.fileExists(atPath: fresh))
        #expect(try DemoSetup.makeDirectory(fresh) == fresh)
        try "x".write(toFile: fresh + "/journal.jsonl", atomically: true, encoding: .utf8)
        #expect(throws: WarRoomCLI.Failure.self) { try DemoSetup.makeDirectory(fresh) }
        #expect(throws: WarRoomCLI.Failure.self) { try DemoSetup.makeDirectory(fresh + "/journal.jsonl") }
        // Relative paths become absolute (the hooks run from the config's directory).
        #expect(DemoSetup.absolute("a/../b").hasSuffix("/b"))
        #expect(DemoSetup.absolute("a/../b").hasPrefix("/"))
        // The default name: warroom-demo-YYYYMMDD-HHMMSS.
        #expect(DemoSetup.stamp(Date()).wholeMatch(of: /\d{8}-\d{6}/) != nil)
    }

    @Test func withoutATerminalItSaysSoAndCreatesNothing() throws {
        let base = tempDir("demo-notty")
        let r = try warroom(["demo", "--dir", base + "/d"])
        #expect(r.status == 1)
        #expect(r.err.contains("needs a terminal"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: base + "/d"))
        let r2 = try warroom(["demo"], cwd: base)
        #expect(r2.status == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: base).isEmpty)
    }
}

/// `warroom demo --fast` in tmux, as a newcomer runs it: ramp to 25 %, inject the latency spike, watch the criterion
/// go WATCH then TRIPPED, roll back, quit, and inspect the printed directory.
@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct DemoEndToEnd {
    /// GO to the next step once the gate allows it; Esc leaves the reason empty.
    func go(_ t: TmuxConsole, to percent: Int, step: Int) throws {
        t.waitFor("READY for \(percent) %", timeout: 20) { $0.contains(" READY ") && $0.contains("g → \(percent) %") }
        try t.send("g")
        t.waitFor(text: "reason for GO")
        try t.send("Escape")
        t.waitFor(text: "\(percent) %  step \(step)/5")
    }

    @Test func rampInjectALatencySpikeRollBackAndInspect() throws {
        let dir = tempDir("demo-e2e") + "/demo"
        let t = try TmuxConsole(command: "\(shellQuote(warroomBinary)) demo --fast --dir \(shellQuote(dir))",
                                env: ["WARROOM_DEMO_SEED": "7"])
        t.waitFor(text: "RAMP")
        // Healthy simulated values are green (OK, not WARN): the first GO is allowed once the gauges have a reading.
        try go(t, to: 10, step: 1)
        #expect(try String(contentsOfFile: dir + "/weight", encoding: .utf8) == "10\n")
        try go(t, to: 25, step: 2)
        #expect(try String(contentsOfFile: dir + "/weight", encoding: .utf8) == "25\n")
        // At 120×40 the SLO pane keeps every name whole and still draws a sparkline, narrowed to what the longest
        // name leaves (it used to be all or nothing: "Availability" cost the pane its sparklines).
        t.waitFor("a sparkline beside a whole name", timeout: 15) { screen in
            screen.split(separator: "\n").contains { $0.contains("│ Availability ") && $0.contains(where: { "⣀⣄⣤⣦⣶⣷⣿".contains($0) }) }
        }

        try t.send("f")
        // The fault's message lasts until the next notice (a verdict change, a second later), so either will do;
        // the WATCH stage lasts 2 s on screen, and the journal proves it happened (checked below).
        t.waitFor("the fault message or its effect", timeout: 15) {
            $0.contains("fault: latency spike (new version): P95 ≈ 3.5 s at 25 %") || $0.contains("WATCH") || $0.contains("TRIPPED")
        }
        let tripped = t.waitFor(text: "ROLLBACK CRITERION TRIPPED", timeout: 15)
        #expect(tripped.contains("ROLLBACK CRITERION TRIPPED: Latency breach"), "\(tripped)")

        try t.send("R")
        t.waitFor(text: "ROLL BACK 25 % → 0 %?")
        try t.send("y")
        t.waitFor(text: "reason for ROLLBACK")
        try t.type("latency spike on v4.2")
        try t.send("Enter")
        t.waitFor(text: "ROLLED BACK", timeout: 15)
        #expect(try String(contentsOfFile: dir + "/weight", encoding: .utf8) == "0\n")

        // The simulator obeys the rollback: P95 is healthy again.
        let yaml = try String(contentsOfFile: dir + "/warroom.yaml", encoding: .utf8)
        let port = try #require(yaml.firstMatch(of: #/prometheus: "http://127\.0\.0\.1:(\d+)"/#).map { String($0.1) })
        let answer = try #require(httpGet("http://127.0.0.1:\(port)/api/v1/query?query=demo:latency_p95_seconds"))
        let p95 = try #require(answer.body.firstMatch(of: #/"value":\[[0-9.]+,"([0-9.]+)"\]/#).flatMap { Double($0.1) })
        #expect(p95 < 1.5, "\(answer.body)")

        // The SLOs recovering journal verdict changes on their own: q asks even while one is saving.
        try t.send("q")
        let asked = t.waitFor(text: "Quit warroom?").contains("Quit warroom?")
        #expect(asked, "the console never asked to quit")
        try t.send("y")
        #expect(t.waitForExit(timeout: 20) == 0)
        // -J joins the lines tmux wrapped (the paths are long).
        let after = try t.tmux(["capture-pane", "-p", "-J", "-S", "-", "-t", t.session]).out
        #expect(after.contains("warroom demo: the run is in \(dir): warroom.yaml"), "\(after)")
        #expect(after.contains("status --config \(dir)/warroom.yaml --state \(dir)/state"), "\(after)")
        #expect(after.contains("verify --state \(dir)/state"))
        #expect(httpGet("http://127.0.0.1:\(port)/") == nil, "the simulator stopped with the demo")

        let verify = try warroom(["verify", "--state", dir + "/state"])
        #expect(verify.status == 0, "\(verify.err)")
        let status = try warroom(["status", "--config", dir + "/warroom.yaml", "--state", dir + "/state", "--json"])
        #expect(status.status == 0, "\(status.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any])
        let ramp = try #require(json["ramp"] as? [String: Any])
        #expect(ramp["percent"] as? Int == 0)
        let decisions = try #require(json["decisions"] as? [[String: Any]])
        #expect(decisions.map { $0["kind"] as? String } == ["go", "go", "rollback"])
        #expect(decisions.last?["reason"] as? String == "latency spike on v4.2")
        #expect(decisions.allSatisfy { ($0["hook"] as? String)?.hasPrefix("ok") == true }, "\(decisions)")
        let journal = try String(contentsOfFile: dir + "/state/journal.jsonl", encoding: .utf8).split(separator: "\n")
        let watch = journal.firstIndex { $0.contains(#""type":"verdict.change""#) && $0.contains(#""name":"Latency breach""#) && $0.contains(#""to":"watch""#) }
        let trip = journal.firstIndex { $0.contains(#""type":"light.trip""#) && $0.contains(#""name":"Latency breach""#) }
        #expect(watch != nil && trip != nil && watch! < trip!, "Latency breach went WATCH, then TRIPPED")
        let tripped2 = json["tripped"] as? [[String: Any]] ?? []
        #expect(tripped2.contains { $0["name"] as? String == "Latency breach" }, "\(tripped2)")
    }
}
