import Foundation
import Testing
import WarRoomCore
@testable import WarRoomTelemetry

private let vectorBody = #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"x"},"value":[1795323337.3,"0.25"]}]}}"#

@Suite("Poller against an in-test HTTP server")
struct PollerTests {
    @Test func readsAPrometheusQuery() async throws {
        let server = try TestHTTPServer { request in
            request.path == "/api/v1/query" ? .json(vectorBody) : .text("nope", status: 404)
        }
        defer { server.stop() }
        let box = SampleBox()
        let poller = Poller(
            sources: [SourceSpec(name: "prom", kind: .prometheus(url: server.baseURL), intervalMs: 60_000, timeoutMs: 2_000)],
            probes: [Probe(id: "slo/err", source: "prom", query: "sum(rate(x[5m]))")],
            clock: { 1_000 }, deliver: box.deliver)
        poller.start()
        defer { poller.stop() }
        let sample = try #require(await box.waitFor(probe: "slo/err", timeoutMs: 5_000))
        #expect(sample.reading == .value(0.25))
        #expect(sample.source == "prom")
        #expect(sample.time == 1_000)
        #expect(sample.latencyMs >= 0 && sample.latencyMs < 2_000)
        let request = try #require(server.received.first)
        #expect(request.target == "/api/v1/query?query=sum%28rate%28x%5B5m%5D%29%29")
        #expect(request.headers["authorization"] == nil)
        #expect(request.headers["accept"] == "application/json")
    }

    @Test func slowServerTimesOutWithinTheTimeout() async throws {
        let server = try TestHTTPServer { _ in .json(vectorBody, delayMs: 5_000) }
        defer { server.stop() }
        let box = SampleBox()
        let poller = Poller(
            sources: [SourceSpec(name: "slow", kind: .prometheus(url: server.baseURL), intervalMs: 60_000, timeoutMs: 500)],
            probes: [Probe(id: "p", source: "slow", query: "up")],
            clock: wallClockMs, deliver: box.deliver)
        let started = monotonicMs()
        poller.start()
        defer { poller.stop() }
        let sample = try #require(await box.waitFor(probe: "p", timeoutMs: 4_000))
        let waited = monotonicMs() - started
        #expect(sample.reading == .failure("timed out after 0.5 s"))
        #expect(waited >= 450 && waited < 1_500, "timeout took \(waited) ms")
        #expect(sample.latencyMs >= 450 && sample.latencyMs < 1_500)
    }

    @Test func connectionRefused() async throws {
        let port = TestHTTPServer.refusedPort()
        let box = SampleBox()
        let poller = Poller(
            sources: [
                SourceSpec(name: "prom", kind: .prometheus(url: "http://127.0.0.1:\(port)"), intervalMs: 60_000, timeoutMs: 2_000),
                SourceSpec(name: "web", kind: .http(url: "http://127.0.0.1:\(port)/healthz", expect: 200), intervalMs: 60_000, timeoutMs: 2_000),
            ],
            probes: [Probe(id: "p", source: "prom", query: "up"), Probe(id: "h", source: "web")],
            clock: wallClockMs, deliver: box.deliver)
        poller.start()
        defer { poller.stop() }
        let p = try #require(await box.waitFor(probe: "p", timeoutMs: 4_000))
        let h = try #require(await box.waitFor(probe: "h", timeoutMs: 4_000))
        #expect(p.reading == .failure("connection refused"))
        #expect(h.reading == .failure("connection refused"))
    }

    /// Source A never answers; source B (200 ms) keeps delivering on time, and A's ticks do not pile up.
    @Test func hungSourceDoesNotDelayAnother() async throws {
        let hung = try TestHTTPServer { _ in .hang }
        defer { hung.stop() }
        let fine = try TestHTTPServer { _ in .json(vectorBody) }
        defer { fine.stop() }
        let box = SampleBox()
        let poller = Poller(
            sources: [
                SourceSpec(name: "A", kind: .prometheus(url: hung.baseURL), intervalMs: 200, timeoutMs: 1_000),
                SourceSpec(name: "B", kind: .prometheus(url: fine.baseURL), intervalMs: 200, timeoutMs: 1_000),
            ],
            probes: [Probe(id: "a", source: "A", query: "up"), Probe(id: "b", source: "B", query: "up")],
            clock: wallClockMs, deliver: box.deliver)
        let started = DispatchTime.now().uptimeNanoseconds
        poller.start()
        // Collect for 2.5 s: the sample count is the check, so waiting for it is the poll condition.
        #expect(await eventually(timeoutMs: 5_000) { box.samples(probe: "b").count >= 12 && box.samples(probe: "a").count >= 2 })
        poller.stop()
        let bArrivals = box.arrivalTimes(probe: "b")
        // B's first read was immediate, and no gap between B's samples is much more than its interval.
        let first = Double(bArrivals[0] &- started) / 1_000_000
        #expect(first < 300, "first B sample after \(first) ms")
        let gaps = zip(bArrivals.dropFirst(), bArrivals).map { Double($0 &- $1) / 1_000_000 }
        #expect(gaps.allSatisfy { $0 < 500 }, "B gaps: \(gaps)")
        #expect(box.samples(probe: "b").allSatisfy { $0.reading == .value(0.25) })
        // A: each read timed out after 1 s; ticks during a read were skipped (no pile-up of connections).
        let a = box.samples(probe: "a")
        #expect(a.allSatisfy { $0.reading == .failure("timed out after 1 s") })
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds &- started) / 1_000_000_000
        #expect(Double(hung.connections) <= elapsed + 1.5, "\(hung.connections) connections in \(elapsed) s")
        #expect((poller.skippedTicks()["A"] ?? 0) >= 4)
        #expect(poller.skippedTicks()["B"] == 0)
    }

    @Test func stopStopsDeliveries() async throws {
        let server = try TestHTTPServer { _ in .json(vectorBody) }
        defer { server.stop() }
        let hung = try TestHTTPServer { _ in .hang }
        defer { hung.stop() }
        let box = SampleBox()
        let poller = Poller(
            sources: [
                SourceSpec(name: "fast", kind: .prometheus(url: server.baseURL), intervalMs: 20, timeoutMs: 1_000),
                // A timeout far beyond the wait below even on a loaded machine (300 ms ran out before stop() under load 19).
                SourceSpec(name: "stuck", kind: .prometheus(url: hung.baseURL), intervalMs: 20, timeoutMs: 20_000),
                SourceSpec(name: "cmd", kind: .command(argv: ["/bin/sleep", "5"]), intervalMs: 20, timeoutMs: 10_000),
            ],
            probes: [
                Probe(id: "f", source: "fast", query: "up"), Probe(id: "s", source: "stuck", query: "up"),
                Probe(id: "c", source: "cmd"),
            ],
            clock: wallClockMs, deliver: box.deliver)
        poller.start()
        #expect(await eventually(timeoutMs: 5_000) { box.samples(probe: "f").count >= 5 && hung.received.count >= 1 })
        poller.stop()
        let count = box.count
        let requests = server.received.count
        // Nothing is delivered after stop() returned, and no more requests go out.
        try await Task.sleep(nanoseconds: 400_000_000)
        #expect(box.count == count)
        #expect(server.received.count <= requests + 1)
        #expect(box.samples(probe: "s").isEmpty)  // stopped before its timeout
        #expect(box.samples(probe: "c").isEmpty)
        // The hung connection was closed by the cancellation.
        #expect(await eventually(timeoutMs: 2_000) { hung.openConnectionCount == 0 })
        poller.stop()  // twice is fine
    }

    @Test func stopFromInsideDeliver() async throws {
        let server = try TestHTTPServer { _ in .json(vectorBody) }
        defer { server.stop() }
        let box = SampleBox()
        let holder = PollerHolder()
        let poller = Poller(
            sources: [SourceSpec(name: "fast", kind: .prometheus(url: server.baseURL), intervalMs: 10, timeoutMs: 1_000)],
            probes: [Probe(id: "a", source: "fast", query: "up"), Probe(id: "b", source: "fast", query: "vector(1)")],
            clock: wallClockMs,
            deliver: { sample in
                box.deliver(sample)
                holder.poller?.stop()
            })
        holder.poller = poller
        poller.start()
        #expect(await eventually(timeoutMs: 3_000) { box.count >= 1 })
        try await Task.sleep(nanoseconds: 200_000_000)
        #expect(box.count == 1)
        holder.poller = nil
    }

    @Test func bearerTokenIsSentAndNeverShown() async throws {
        let token = "s3cr3t-T0KEN-value"
        let server = try TestHTTPServer { request in
            let auth = request.headers["authorization"] ?? "(none)"
            if request.path == "/echo-prom" || request.path.hasPrefix("/api/v1/query") {
                return .json(#"{"status":"error","errorType":"unauthorized","error":"token rejected: \#(auth)"}"#, status: 401)
            }
            if request.path.hasPrefix("/api/v2/alerts") {
                return .text("invalid credentials \(auth)\n", status: 403)
            }
            return .text("<html><title>denied \(auth)</title></html>", status: 401, contentType: "text/html")
        }
        defer { server.stop() }
        let box = SampleBox()
        let poller = Poller(
            sources: [
                SourceSpec(name: "prom", kind: .prometheus(url: server.baseURL), intervalMs: 60_000, timeoutMs: 2_000, token: token),
                SourceSpec(name: "am", kind: .alertmanager(url: server.baseURL), intervalMs: 60_000, timeoutMs: 2_000, token: token),
                SourceSpec(name: "web", kind: .http(url: server.baseURL + "/health", expect: 200), intervalMs: 60_000, timeoutMs: 2_000, token: token),
            ],
            probes: [Probe(id: "p", source: "prom", query: "up"), Probe(id: "a", source: "am", match: [:]), Probe(id: "w", source: "web")],
            clock: wallClockMs, deliver: box.deliver)
        poller.start()
        defer { poller.stop() }
        let p = try #require(await box.waitFor(probe: "p", timeoutMs: 4_000))
        let a = try #require(await box.waitFor(probe: "a", timeoutMs: 4_000))
        let w = try #require(await box.waitFor(probe: "w", timeoutMs: 4_000))
        #expect(server.received.count == 3)
        #expect(server.received.allSatisfy { $0.headers["authorization"] == "Bearer \(token)" })
        #expect(p.reading == .failure("HTTP 401: prometheus unauthorized: token rejected: Bearer [redacted]"))
        #expect(a.reading == .failure("HTTP 403: invalid credentials Bearer [redacted]"))
        #expect(w.reading == .failure("HTTP 401 (expected 200)"))
        for sample in [p, a, w] {
            #expect(!"\(sample)".contains(token))
            #expect(!String(reflecting: sample).contains(token))
        }
    }

    @Test func tokenIsNotForwardedToAnotherOrigin() async throws {
        let other = try TestHTTPServer { _ in .json(vectorBody) }
        defer { other.stop() }
        let origin = try TestHTTPServer { request in
            if request.path == "/same" {
                return .respond(status: 302, contentType: nil, body: [], extraHeaders: [("Location", "/api/v1/query?query=up")])
            }
            if request.path == "/api/v1/query" { return .json(vectorBody) }
            return .respond(status: 302, contentType: nil, body: [],
                            extraHeaders: [("Location", other.baseURL + "/api/v1/query?query=up")])
        }
        defer { origin.stop() }
        let box = SampleBox()
        let poller = Poller(
            sources: [
                SourceSpec(name: "cross", kind: .http(url: origin.baseURL + "/elsewhere", expect: 200), intervalMs: 60_000,
                           timeoutMs: 2_000, token: "tok-xyz-123"),
                SourceSpec(name: "same", kind: .http(url: origin.baseURL + "/same", expect: 200), intervalMs: 60_000,
                           timeoutMs: 2_000, token: "tok-xyz-123"),
            ],
            probes: [Probe(id: "cross", source: "cross"), Probe(id: "same", source: "same")],
            clock: wallClockMs, deliver: box.deliver)
        poller.start()
        defer { poller.stop() }
        let cross = try #require(await box.waitFor(probe: "cross", timeoutMs: 4_000))
        let same = try #require(await box.waitFor(probe: "same", timeoutMs: 4_000))
        #expect(cross.reading == .failure("HTTP 302 (expected 200)"))
        #expect(other.received.isEmpty)
        guard case .value = same.reading else {
            Issue.record("same-origin redirect should be followed: \(same.reading)")
            return
        }
    }

    @Test func httpProbeReadsLatencyInSeconds() async throws {
        let server = try TestHTTPServer { request in
            request.path == "/down" ? .text("maintenance", status: 503) : .respond(status: 200, contentType: "text/plain", body: Array("ok".utf8), delayMs: 100)
        }
        defer { server.stop() }
        let box = SampleBox()
        let poller = Poller(
            sources: [
                SourceSpec(name: "up", kind: .http(url: server.baseURL + "/healthz", expect: 200), intervalMs: 60_000, timeoutMs: 2_000),
                SourceSpec(name: "down", kind: .http(url: server.baseURL + "/down", expect: 200), intervalMs: 60_000, timeoutMs: 2_000),
            ],
            probes: [Probe(id: "up", source: "up"), Probe(id: "down", source: "down")],
            clock: wallClockMs, deliver: box.deliver)
        poller.start()
        defer { poller.stop() }
        let up = try #require(await box.waitFor(probe: "up", timeoutMs: 4_000))
        let down = try #require(await box.waitFor(probe: "down", timeoutMs: 4_000))
        guard case .value(let seconds) = up.reading else {
            Issue.record("expected a latency, got \(up.reading)")
            return
        }
        #expect(seconds >= 0.09 && seconds < 1.5)
        #expect(abs(seconds * 1000 - up.latencyMs) < 0.001)
        #expect(down.reading == .failure("HTTP 503 (expected 200)"))
    }

    @Test func alertmanagerIsReadOncePerTickForAllProbes() async throws {
        let body = String(decoding: try fixture("am-alerts.json"), as: UTF8.self)
        let server = try TestHTTPServer { _ in .json(body) }
        defer { server.stop() }
        let box = SampleBox()
        let poller = Poller(
            sources: [SourceSpec(name: "am", kind: .alertmanager(url: server.baseURL + "/"), intervalMs: 60_000, timeoutMs: 2_000)],
            probes: [
                Probe(id: "checkout", source: "am", match: ["service": "checkout", "severity": "critical"]),
                Probe(id: "search", source: "am", match: ["service": "search"]),
                Probe(id: "prom-style", source: "am", query: "ignored", match: ["team": "payments"]),
            ],
            clock: wallClockMs, deliver: box.deliver)
        poller.start()
        defer { poller.stop() }
        #expect(await eventually(timeoutMs: 4_000) { box.count == 3 })
        #expect(server.received.count == 1)
        #expect(server.received.first?.target == "/api/v2/alerts?active=true&silenced=false&inhibited=false")
        #expect(box.samples(probe: "search").first?.reading == .alerts([]))
        guard case .alerts(let list)? = box.samples(probe: "checkout").first?.reading else {
            Issue.record("expected alerts")
            return
        }
        #expect(list.map(\.summary) == ["Checkout 5xx above 5%"])
        guard case .alerts(let payments)? = box.samples(probe: "prom-style").first?.reading else {
            Issue.record("expected alerts")
            return
        }
        #expect(payments.map(\.name) == ["PaymentsQueue"])
    }

    @Test func samePrometheusQueryIsSentOncePerTick() async throws {
        let several = String(decoding: try fixture("prom-several.json"), as: UTF8.self)
        let server = try TestHTTPServer { _ in .json(several) }
        defer { server.stop() }
        let box = SampleBox()
        let poller = Poller(
            sources: [SourceSpec(name: "prom", kind: .prometheus(url: server.baseURL), intervalMs: 60_000, timeoutMs: 2_000)],
            probes: [
                Probe(id: "500", source: "prom", query: "http_requests_total", pick: ["code": "500"]),
                Probe(id: "503", source: "prom", query: "http_requests_total", pick: ["code": "503"]),
                Probe(id: "all", source: "prom", query: "http_requests_total"),
            ],
            clock: wallClockMs, deliver: box.deliver)
        poller.start()
        defer { poller.stop() }
        #expect(await eventually(timeoutMs: 4_000) { box.count == 3 })
        #expect(server.received.count == 1)
        #expect(box.samples(probe: "500").first?.reading == .value(17))
        #expect(box.samples(probe: "503").first?.reading == .value(3))
        #expect(box.samples(probe: "all").first?.reading == .failure("query returned 3 series; add pick: to choose one"))
    }

    @Test func fileAndCommandSourcesAndUnknownSource() async throws {
        let path = NSTemporaryDirectory() + "warroom-poller-\(UUID().uuidString).json"
        try #"{"batch":{"errors":4}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let box = SampleBox()
        let poller = Poller(
            sources: [
                SourceSpec(name: "file", kind: .file(path: path, field: "batch.errors"), intervalMs: 60_000, timeoutMs: 1_000),
                SourceSpec(name: "echo", kind: .command(argv: ["/bin/echo", "0.75"]), intervalMs: 60_000, timeoutMs: 5_000),
                SourceSpec(name: "fails", kind: .command(argv: ["/bin/sh", "-c", "echo partial; sleep 0.3; echo 'no route to db' >&2; exit 3"]),
                           intervalMs: 60_000, timeoutMs: 5_000),
                SourceSpec(name: "slow", kind: .command(argv: ["/bin/sleep", "10"]), intervalMs: 60_000, timeoutMs: 300),
                SourceSpec(name: "unused", kind: .command(argv: ["/bin/false"]), intervalMs: 10, timeoutMs: 300),
            ],
            probes: [
                Probe(id: "file", source: "file"), Probe(id: "echo", source: "echo"), Probe(id: "fails", source: "fails"),
                Probe(id: "slow", source: "slow"), Probe(id: "ghost", source: "nowhere"),
            ],
            clock: wallClockMs, deliver: box.deliver)
        poller.start()
        defer { poller.stop() }
        #expect(await eventually(timeoutMs: 8_000) { Set(box.all.map(\.probe)).count == 5 })
        #expect(box.samples(probe: "file").first?.reading == .value(4))
        #expect(box.samples(probe: "echo").first?.reading == .value(0.75))
        #expect(box.samples(probe: "fails").first?.reading == .failure("exit 3: no route to db"))
        #expect(box.samples(probe: "slow").first?.reading == .failure("timed out after 0.3 s"))
        #expect(box.samples(probe: "ghost").first?.reading == .failure("unknown source nowhere"))
        #expect(poller.skippedTicks()["unused"] == nil)  // no probe reads it: never polled
    }
}

final class PollerHolder: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Poller?
    var poller: Poller? {
        get { lock.lock(); defer { lock.unlock() }; return value }
        set { lock.lock(); value = newValue; lock.unlock() }
    }
}
