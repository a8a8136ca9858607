import Foundation
import Testing
import WarRoomCore
@testable import WarRoomTelemetry

/// Feeds samples into the Core's evaluation model, as the console does, and keeps its change records.
final class CoreFeed: @unchecked Sendable {
    private let lock = NSLock()
    private var gauge: Gauge
    private var light: LightMonitor
    private(set) var gaugeChanges: [GaugeChange] = []
    private(set) var lightChanges: [LightTransition] = []

    init(gauge: SLOSpec, light: LightSpec) {
        self.gauge = Gauge(spec: gauge)
        self.light = LightMonitor(spec: light)
    }

    func observe(_ sample: Sample) {
        lock.lock()
        defer { lock.unlock() }
        if let change = gauge.observe(sample.reading.observation, at: sample.time) { gaugeChanges.append(change) }
        if let change = light.observe(sample.reading.observation, at: sample.time) { lightChanges.append(change) }
    }

    func gaugeStatus(now: Int64) -> GaugeStatus {
        lock.lock()
        defer { lock.unlock() }
        return gauge.status(now: now)
    }

    func gaugeExplanation(now: Int64) -> String {
        lock.lock()
        defer { lock.unlock() }
        return gauge.explanation(now: now)
    }

    func lightStatus(now: Int64) -> LightStatus {
        lock.lock()
        defer { lock.unlock() }
        return light.status(now: now)
    }

    var changes: (gauge: [GaugeChange], light: [LightTransition]) {
        lock.lock()
        defer { lock.unlock() }
        return (gaugeChanges, lightChanges)
    }
}

@Suite("Integration: real Prometheus 2.x and Alertmanager v2", .serialized, .realServers)
struct IntegrationTests {
    static let errorQuery = RealEnvironment.errorSeries

    func environment() throws -> RealEnvironment {
        try #require(RealEnvironment.current, "the real servers did not start (see the suite's error)")
    }

    @Test func prometheusProbeFollowsTheExporterAndDrivesGaugeAndLight() async throws {
        let env = try environment()
        env.exporter.set(RealEnvironment.errorSeries, 0.5)
        defer { env.exporter.set(RealEnvironment.errorSeries, 0.5) }
        let feed = CoreFeed(
            gauge: SLOSpec(name: "Checkout errors", unit: "%", objective: Condition(.le, 5), intervalMs: 300),
            light: LightSpec(name: "Error rate > 5 %", kind: .metric(Condition(.gt, 5), forMs: 2_000), intervalMs: 300, unit: "%"))
        let box = SampleBox()
        let poller = Poller(
            sources: [SourceSpec(name: "prom", kind: .prometheus(url: env.prometheus.baseURL), intervalMs: 300, timeoutMs: 2_000)],
            probes: [
                Probe(id: "err", source: "prom", query: Self.errorQuery),
                Probe(id: "missing", source: "prom", query: "demo_metric_that_does_not_exist"),
                Probe(id: "bad", source: "prom", query: "sum("),
                Probe(id: "all", source: "prom", query: "up"),
            ],
            clock: wallClockMs,
            deliver: { sample in
                box.deliver(sample)
                if sample.probe == "err" { feed.observe(sample) }
            })
        poller.start()
        defer { poller.stop() }

        // The value the exporter serves (once Prometheus has scraped it; before that the series does not exist).
        let first = try #require(await box.waitFor(probe: "err", timeoutMs: 15_000) { $0.reading == .value(0.5) })
        #expect(first.source == "prom")
        #expect(feed.gaugeStatus(now: first.time) == .ok)
        #expect(feed.lightStatus(now: first.time) == .ok)
        // A series that does not exist: no data (not zero, not an error); a bad query: Prometheus's error.
        let missing = try #require(await box.waitFor(probe: "missing", timeoutMs: 5_000))
        #expect(missing.reading == .noData)
        let bad = try #require(await box.waitFor(probe: "bad", timeoutMs: 5_000))
        #expect(failureText(bad.reading)?.hasPrefix("HTTP 400: prometheus bad_data: invalid parameter \"query\"") == true)
        // `up` for the single demo target: one series, 1.
        #expect(await box.waitFor(probe: "all", timeoutMs: 5_000) { $0.reading == .value(1) } != nil)

        // The exporter changes: the probe follows; the gauge breaches; the light watches, then trips after `for`.
        let before = box.samples(probe: "err").count
        env.exporter.set(RealEnvironment.errorSeries, 7.25)
        let changed = try #require(await box.waitFor(probe: "err", timeoutMs: 10_000, after: before) { $0.reading == .value(7.25) })
        #expect(feed.gaugeStatus(now: changed.time) == .breach)
        #expect(await eventually(timeoutMs: 8_000) { feed.lightStatus(now: wallClockMs()).isTripped })
        let (gaugeChanges, lightChanges) = feed.changes
        #expect(gaugeChanges.map(\.to).suffix(2) == [.ok, .breach])
        let watch = try #require(lightChanges.last(where: { $0.kind == .watch }))
        let tripped = try #require(lightChanges.last(where: { $0.kind == .tripped }))
        #expect(watch.at == changed.time)
        #expect(tripped.at - watch.at >= 2_000)
        #expect(tripped.at - watch.at < 4_000)
        #expect(tripped.detail.hasPrefix("7.25 % (> 5 % for 2 s)"))
    }

    @Test func killedPrometheusGivesConnectionRefusedAndAnUnknownGauge() async throws {
        let env = try environment()
        let prometheus = try await RealServers.startPrometheus(scraping: env.exporter.target)
        defer { prometheus.stop() }
        let feed = CoreFeed(
            gauge: SLOSpec(name: "Checkout errors", unit: "%", objective: Condition(.le, 5), intervalMs: 300),
            light: LightSpec(name: "Error rate > 5 %", kind: .metric(Condition(.gt, 5), forMs: 2_000), intervalMs: 300))
        let box = SampleBox()
        let poller = Poller(
            sources: [SourceSpec(name: "prom", kind: .prometheus(url: prometheus.baseURL), intervalMs: 300, timeoutMs: 1_000)],
            probes: [Probe(id: "err", source: "prom", query: Self.errorQuery)],
            clock: wallClockMs,
            deliver: { sample in
                box.deliver(sample)
                feed.observe(sample)
            })
        poller.start()
        defer { poller.stop() }
        let good = try #require(await box.waitFor(probe: "err", timeoutMs: 15_000) { $0.reading == .value(0.5) })
        #expect(feed.gaugeStatus(now: good.time) == .ok)

        let before = box.samples(probe: "err").count
        prometheus.kill9()
        let refused = try #require(await box.waitFor(probe: "err", timeoutMs: 5_000, after: before) {
            $0.reading == .failure("connection refused")
        })
        // Every reading after the kill is a failure (a kept-alive connection may first report it closed).
        let afterKill = box.samples(probe: "err").dropFirst(before)
        #expect(afterKill.allSatisfy { failureText($0.reading) != nil }, "\(afterKill.map(\.reading))")
        // The light cannot see at once, and the gauge is UNKNOWN at once too (issue 14: never OK while its source
        // fails), keeping its last value in the explanation.
        #expect(feed.lightStatus(now: refused.time).state == "blind")
        #expect(await eventually(timeoutMs: 3_000) { feed.gaugeStatus(now: wallClockMs()) == .unknown })
        let explanation = feed.gaugeExplanation(now: wallClockMs())
        #expect(explanation.hasPrefix("error: connection refused (last 0.5 %, "), "\(explanation)")
    }

    @Test func alertmanagerProbeReturnsAPostedAlert() async throws {
        let env = try environment()
        let posted = await httpRequest("POST", env.alertmanager.baseURL + "/api/v2/alerts", json: """
            [{"labels":{"alertname":"CheckoutErrorRate","severity":"critical","service":"checkout"},
              "annotations":{"summary":"Checkout 5xx above 5%"}}]
            """)
        #expect(posted?.0 == 200)
        let feed = CoreFeed(
            gauge: SLOSpec(name: "unused", objective: Condition(.le, 1), intervalMs: 300),
            light: LightSpec(name: "Checkout alerts", kind: .alerts, intervalMs: 300))
        let box = SampleBox()
        let poller = Poller(
            sources: [SourceSpec(name: "am", kind: .alertmanager(url: env.alertmanager.baseURL), intervalMs: 300, timeoutMs: 2_000)],
            probes: [
                Probe(id: "checkout", source: "am", match: ["severity": "critical", "service": "checkout"]),
                Probe(id: "billing", source: "am", match: ["severity": "critical", "service": "billing"]),
            ],
            clock: wallClockMs,
            deliver: { sample in
                box.deliver(sample)
                if sample.probe == "checkout" { feed.observe(sample) }
            })
        poller.start()
        defer { poller.stop() }
        let hit = try #require(await box.waitFor(probe: "checkout", timeoutMs: 10_000) {
            if case .alerts(let list) = $0.reading { return !list.isEmpty }
            return false
        })
        guard case .alerts(let list) = hit.reading else { return }
        #expect(list.count == 1)
        #expect(list.first?.labels == ["alertname": "CheckoutErrorRate", "severity": "critical", "service": "checkout"])
        #expect(list.first?.summary == "Checkout 5xx above 5%")
        #expect(list.first?.startsAt.flatMap(Timestamp.parse) != nil)
        let other = try #require(await box.waitFor(probe: "billing", timeoutMs: 5_000))
        #expect(other.reading == .alerts([]))
        // The Core's alert light trips on it, with its summary.
        guard case .tripped(_, let detail) = feed.lightStatus(now: hit.time) else {
            Issue.record("the alert light should be tripped: \(feed.lightStatus(now: hit.time))")
            return
        }
        #expect(detail == "Checkout 5xx above 5% (1 alert firing)")
    }

    @Test func silencedAlertIsNotReported() async throws {
        let env = try environment()
        let posted = await httpRequest("POST", env.alertmanager.baseURL + "/api/v2/alerts", json: """
            [{"labels":{"alertname":"SearchSlow","severity":"warning","service":"search"},
              "annotations":{"summary":"Search p95 above 2 s"}},
             {"labels":{"alertname":"SearchBacklog","severity":"warning","service":"search-indexer"},
              "annotations":{"summary":"Indexing backlog"}}]
            """)
        #expect(posted?.0 == 200)
        let silence = await httpRequest("POST", env.alertmanager.baseURL + "/api/v2/silences", json: """
            {"matchers":[{"name":"service","value":"search","isRegex":false,"isEqual":true}],
             "startsAt":"2020-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","createdBy":"warroom tests","comment":"maintenance"}
            """)
        #expect(silence?.0 == 200)
        let box = SampleBox()
        let poller = Poller(
            sources: [SourceSpec(name: "am", kind: .alertmanager(url: env.alertmanager.baseURL), intervalMs: 300, timeoutMs: 2_000)],
            probes: [Probe(id: "search", source: "am", match: ["service": "search"]), Probe(id: "any", source: "am")],
            clock: wallClockMs, deliver: box.deliver)
        poller.start()
        defer { poller.stop() }
        let any = try #require(await box.waitFor(probe: "any", timeoutMs: 10_000) {
            if case .alerts(let list) = $0.reading { return list.contains { $0.name == "SearchBacklog" } }
            return false
        })
        guard case .alerts(let list) = any.reading else { return }
        #expect(!list.contains { $0.name == "SearchSlow" })
        let search = box.samples(probe: "search").last
        #expect(search?.reading == .alerts([]))
    }
}

@Suite("Integration setup")
struct IntegrationSetupTests {
    /// A missing server binary is an error that says how to install it (the integration suite fails with it).
    @Test func missingBinaryNamesScriptsDeps() {
        #expect {
            _ = try ServerProcess.locate("warroom-no-such-server-binary")
        } throws: { error in
            "\(error)".contains("scripts/deps prometheus alertmanager")
        }
    }
}
