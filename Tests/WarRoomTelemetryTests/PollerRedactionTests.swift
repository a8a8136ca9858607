import Foundation
import Testing
import WarRoomCore
@testable import WarRoomTelemetry

/// Every secret warroom knows — not only the source's own token — is taken out of what servers send back before a
/// sample is delivered: error bodies quoted in failures, Prometheus warnings, alert summaries and labels.
@Suite("Poller redacts every known secret")
struct PollerRedactionTests {
    @Test func serverTextsLoseEveryKnownSecret() async throws {
        let secret = "vault-s3cret-key-42"
        let alert = #"[{"annotations":{"summary":"key \#(secret) leaked"},"startsAt":"2026-11-22T04:55:42.785Z","#
            + #""status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"labels":{"alertname":"KeyLeak","key":"\#(secret)"}}]"#
        let server = try TestHTTPServer { request in
            if request.path.hasPrefix("/api/v2/alerts") { return .json(alert) }
            return .json(#"{"status":"error","errorType":"bad_data","error":"cannot use \#(secret) here"}"#, status: 400)
        }
        defer { server.stop() }
        let box = SampleBox()
        let poller = Poller(
            sources: [
                SourceSpec(name: "prom", kind: .prometheus(url: server.baseURL), intervalMs: 60_000, timeoutMs: 2_000),
                SourceSpec(name: "am", kind: .alertmanager(url: server.baseURL), intervalMs: 60_000, timeoutMs: 2_000),
            ],
            probes: [Probe(id: "p", source: "prom", query: "up"), Probe(id: "a", source: "am", match: [:])],
            children: ChildProcesses(redactor: Redactor(secrets: [secret])),
            clock: wallClockMs, deliver: box.deliver)
        poller.start()
        defer { poller.stop() }
        let p = try #require(await box.waitFor(probe: "p", timeoutMs: 4_000))
        let a = try #require(await box.waitFor(probe: "a", timeoutMs: 4_000))
        #expect(p.reading == .failure("HTTP 400: prometheus bad_data: cannot use [redacted] here"))
        guard case .alerts(let list) = a.reading else {
            Issue.record("expected alerts, got \(a.reading)")
            return
        }
        #expect(list.map(\.summary) == ["key [redacted] leaked"])
        #expect(list.first?.labels == ["alertname": "KeyLeak", "key": "[redacted]"])
        for sample in [p, a] { #expect(!"\(sample)".contains(secret)) }
    }
}
