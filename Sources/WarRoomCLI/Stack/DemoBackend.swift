import ArgumentParser
import Foundation
import WarRoomTelemetry
#if canImport(Glibc)
import Glibc
#endif

/// One version of the demo's checkout service behind HAProxy (`warroom demo-backend`, hidden): HTTP 200 with a small
/// body after 8–20 ms, counting the requests it received. Its fault is set through `POST /_admin/fault` (body: a
/// `StackFault` name) on its own port (HAProxy refuses `/_admin` from outside); `GET /_admin/stats` answers
/// `served N` and `fault NAME`. Keep-alive, so HAProxy reuses its connections.
final class BackendModel: @unchecked Sendable {
    let name: String
    private let lock = NSLock()
    private var served: UInt64 = 0
    private var fault: StackFault = .healthy
    private var rng: SplitMix64

    init(name: String, seed: UInt64) {
        self.name = name
        rng = SplitMix64(seed: seed)
    }

    func answer(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Answer {
        let path = request.path
        if path.hasPrefix("/_admin/") {
            switch (request.method, path) {
            case ("POST", "/_admin/fault"):
                let text = String(decoding: request.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                guard let f = StackFault(rawValue: text) else {
                    return .text("unknown fault \"\(text)\" (\(StackFault.allCases.map(\.rawValue).joined(separator: ", ")))\n", status: 400)
                }
                lock.lock()
                fault = f
                lock.unlock()
                return .text("fault \(f.rawValue)\n")
            case ("GET", "/_admin/stats"):
                lock.lock()
                defer { lock.unlock() }
                return .text("served \(served)\nfault \(fault.rawValue)\n")
            default:
                return .text("not found\n", status: 404)
            }
        }
        lock.lock()
        served += 1  // counted on arrival: a slow answer still counts for the moment HAProxy chose this server
        let f = fault
        let jitter = Int(rng.next() % 13)
        let failing = f == .errorBurst && rng.next() % 100 < UInt64(StackFault.errorPercent)
        let slow = f == .latencySpike ? StackFault.spikeMs + Int(rng.next() % 200) : 0
        lock.unlock()
        if failing {
            return .respond(status: 500, contentType: "text/plain; charset=utf-8", body: Array("checkout-api \(name): internal error\n".utf8),
                            delayMs: 8 + jitter)
        }
        return .respond(status: 200, contentType: "text/plain; charset=utf-8", body: Array("checkout-api \(name): ok\n".utf8),
                        delayMs: 8 + jitter + slow)
    }
}

/// The canary's faults, in the `f` key's order.
enum StackFault: String, CaseIterable, Sendable {
    case healthy
    case latencySpike = "latency-spike"
    case errorBurst = "error-burst"

    /// The extra latency of a spike (plus up to 0.2 s), and the share of requests an error burst fails.
    static let spikeMs = 1_000
    static let errorPercent = 40

    var next: StackFault {
        switch self {
        case .healthy: .latencySpike
        case .latencySpike: .errorBurst
        case .errorBurst: .healthy
        }
    }

    /// The message while the canary gets no traffic (at most 80 columns).
    var messageAtZero: String {
        self == .healthy ? message : "fault: canary \(self == .latencySpike ? "latency spike" : "error burst"): no effect at 0 % — g moves traffic onto it"
    }

    /// The console's message line (at most 80 columns).
    var message: String {
        switch self {
        case .healthy: "fault cleared: the canary backend is healthy again (f: next fault)"
        case .latencySpike: "fault: canary latency spike (+1 s per request); watch Canary latency"
        case .errorBurst: "fault: canary error burst (\(Self.errorPercent) % HTTP 500); watch Error rate spike"
        }
    }
}

/// `warroom demo-backend --name NAME --port-file FILE`: serves until killed, its port written to FILE.
struct DemoBackend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-backend",
        abstract: "warroom demo --stack's backend: one version of the demo service behind HAProxy.",
        shouldDisplay: false
    )

    @Option(help: "stable or canary (in its answers).") var name: String
    @Option(help: "Where to write the port it listens on (127.0.0.1, chosen free).") var portFile: String

    func run() throws {
        let model = BackendModel(name: name, seed: UInt64(bitPattern: Int64(getpid())) &* 2_654_435_761)
        let server: LoopbackHTTPServer
        do {
            server = try LoopbackHTTPServer(keepRequests: false, keepAlive: true) { model.answer($0) }
        } catch {
            throw Failure("demo-backend \(name): \(error.description)")
        }
        try DemoSetup.write("\(server.port)\n", to: portFile)
        // Until a signal ends the process (SIGTERM from the console, or SIGKILL when it dies).
        while true { pause() }
    }
}
