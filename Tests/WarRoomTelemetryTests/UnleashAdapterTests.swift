import Foundation
import Testing
@testable import WarRoomCore
@testable import WarRoomTelemetry

/// A stand-in Unleash Admin API on 127.0.0.1: feature `new-checkout` of project `shop` in `production`, with its
/// strategies (recorded JSON); a JSON patch of a strategy changes it, as the real API does.
final class FakeUnleash: @unchecked Sendable {
    static let token = "user:2b9d5c4e8f1a4a7bb0c3d6e9f2a5b8c1d4e7f0a3"
    static let rolloutID = "6b5157cb-343a-41e7-bfa3-7b4ec3044840"
    static let prefix = "/api/admin/projects/shop/features/new-checkout/environments/production/strategies"
    let lock = NSLock()
    /// id → strategy (as the API answers it).
    var strategies: [(id: String, name: String, rollout: Any, disabled: Bool)] = [(rolloutID, "flexibleRollout", "0", false)]
    var answer: LoopbackHTTPServer.Answer?
    var server: TestHTTPServer!

    init() throws {
        server = try TestHTTPServer { [unowned self] r in self.handle(r) }
    }

    deinit { server.stop() }

    func state<T>(_ f: () -> T) -> T { lock.lock(); defer { lock.unlock() }; return f() }

    func json(_ s: (id: String, name: String, rollout: Any, disabled: Bool)) -> String {
        let rollout = (s.rollout as? String).map { "\"\($0)\"" } ?? "\(s.rollout)"
        let params = s.name == "flexibleRollout" ? "{\"groupId\":\"new-checkout\",\"rollout\":\(rollout),\"stickiness\":\"default\"}" : "{}"
        return "{\"id\":\"\(s.id)\",\"name\":\"\(s.name)\",\"title\":\"\",\"disabled\":\(s.disabled),\"featureName\":\"new-checkout\",\"sortOrder\":0,"
            + "\"segments\":[],\"constraints\":[],\"variants\":[],\"parameters\":\(params)}"
    }

    func handle(_ r: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Answer {
        state {
            if let answer { return answer }
            guard r.headers["authorization"] == Self.token else {
                return .json("{\"id\":\"1a2b\",\"name\":\"AuthenticationRequired\",\"message\":\"You must log in to use Unleash.\"}", status: 401)
            }
            if r.method == "GET", r.path == Self.prefix { return .json("[" + strategies.map(json).joined(separator: ",") + "]") }
            guard r.path.hasPrefix(Self.prefix + "/"), let i = strategies.firstIndex(where: { r.path == Self.prefix + "/" + $0.id }) else {
                return .json("{\"id\":\"3c4d\",\"name\":\"NotFoundError\",\"message\":\"Could not find strategy with id \(r.path.split(separator: "/").last ?? "")\"}", status: 404)
            }
            switch r.method {
            case "GET": return .json(json(strategies[i]))
            case "PATCH":
                guard r.headers["content-type"] == "application/json",
                      let ops = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [[String: Any]], ops.count == 1,
                      ops[0]["op"] as? String == "replace", ops[0]["path"] as? String == "/parameters/rollout", let v = ops[0]["value"] as? String else {
                    return .json("{\"id\":\"5e6f\",\"name\":\"BadDataError\",\"message\":\"Request validation failed\"}", status: 400)
                }
                strategies[i].rollout = v
                return .json(json(strategies[i]))
            default: return .json("{\"message\":\"method not allowed\"}", status: 405)
            }
        }
    }
}

@Suite struct UnleashAdapterLocal {
    static func adapter(_ fake: FakeUnleash, strategy: String? = FakeUnleash.rolloutID, timeoutMs: Millis = 5_000,
                        environment: [String: String] = ["UNLEASH_ADMIN_TOKEN": FakeUnleash.token]) throws -> any TrafficAdapter {
        var s = ["base_url": fake.server.baseURL, "project": "shop", "feature": "new-checkout", "env": "production", "token_env": "UNLEASH_ADMIN_TOKEN"]
        s["strategy"] = strategy
        return try Traffic.adapter(for: TrafficConfig(adapter: "unleash", settings: s, timeoutMs: timeoutMs),
                                   children: ChildProcesses(environment: ChildEnvironment(parent: environment)))
    }

    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T { try await GatewayAPIAdapterStandIn.offPool(body) }

    @Test func setPatchesTheRolloutAndReadsItBack() async throws {
        let fake = try FakeUnleash()
        let a = try Self.adapter(fake)
        #expect(try await Self.offPool { try a.read() } == 0)
        let r = try await Self.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 5, percent: 25)) }
        print("unleash (local server) set + read back: \(r.durationMs) ms")
        #expect(r.error == nil && r.observed == 25 && r.intended == 25, "\(r)")
        #expect(fake.state { fake.strategies[0].rollout as? String } == "25")
        let patch = try #require(fake.server.received.first { $0.method == "PATCH" })
        #expect(patch.target == FakeUnleash.prefix + "/" + FakeUnleash.rolloutID)
        #expect(String(decoding: patch.body, as: UTF8.self) == "[{\"op\":\"replace\",\"path\":\"/parameters/rollout\",\"value\":\"25\"}]")
        #expect(patch.headers["authorization"] == FakeUnleash.token)
        fake.state { fake.strategies[0].rollout = 60 }
        #expect(try await Self.offPool { try a.read() } == 60, "a number is read as well as a string")
    }

    @Test func withoutAnIDTheOneFlexibleRolloutIsUsed() async throws {
        let fake = try FakeUnleash()
        fake.state { fake.strategies.insert(("0d1e2f3a-default", "default", "", false), at: 0) }
        let a = try Self.adapter(fake, strategy: nil)
        try await Self.offPool { try a.set(percent: 10) }
        #expect(try await Self.offPool { try a.read() } == 10)
        #expect(fake.state { fake.strategies[1].rollout as? String } == "10")
        fake.state { fake.strategies.append(("9f8e7d6c-second", "flexibleRollout", "50", false)) }
        #expect(try await Self.offPool { Traffic.readBack(a).error } == "unleash feature shop/new-checkout in production has 2 flexibleRollout strategies: name one with strategy: (\(FakeUnleash.rolloutID), 9f8e7d6c-second)")
        fake.state { fake.strategies = [("0d1e2f3a-default", "default", "", false)] }
        #expect(try await Self.offPool { Traffic.readBack(a).error } == "unleash feature shop/new-checkout in production has no flexibleRollout strategy (has: default)")
    }

    @Test func failuresAreNamed() async throws {
        let fake = try FakeUnleash()
        let unknown = try Self.adapter(fake, strategy: "no-such-id")
        #expect(try await Self.offPool { Traffic.readBack(unknown).error }
            == "unleash GET \(FakeUnleash.prefix)/no-such-id: HTTP 404 — Could not find strategy with id no-such-id")
        let wrongToken = try Self.adapter(fake, environment: ["UNLEASH_ADMIN_TOKEN": "user:wrong-token"])
        #expect(try await Self.offPool { Traffic.readBack(wrongToken).error }?.hasSuffix("HTTP 401 — You must log in to use Unleash.") == true)
        let a = try Self.adapter(fake)
        fake.state { fake.strategies[0].disabled = true }
        #expect(try await Self.offPool { Traffic.readBack(a).error }?.hasSuffix("strategy \(FakeUnleash.rolloutID) is disabled") == true)
        fake.state { fake.strategies[0] = (FakeUnleash.rolloutID, "userWithId", "", false) }
        #expect(try await Self.offPool { Traffic.readBack(a).error }?.contains("is userWithId, not flexibleRollout") == true)
        fake.state { fake.strategies[0] = (FakeUnleash.rolloutID, "flexibleRollout", "150", false) }
        #expect(try await Self.offPool { Traffic.readBack(a).error }?.contains("rollout is \"150\", not 0–100") == true)
        fake.state { fake.answer = .text("Internal Server Error", status: 500) }
        #expect(try await Self.offPool { Traffic.readBack(a).error }?.hasSuffix("HTTP 500 — Internal Server Error") == true)
        fake.state { fake.answer = .text("OK", status: 200) }
        #expect(try await Self.offPool { Traffic.readBack(a).error }?.hasSuffix("the answer is not JSON (starts \"OK\")") == true)
        fake.state { fake.answer = .hang }
        let slow = try Self.adapter(fake, timeoutMs: 300)
        let start = monotonicMs()
        #expect(try await Self.offPool { Traffic.readBack(slow).error }?.contains("timed out") == true)
        #expect(monotonicMs() - start < 4_000)
    }

    @Test func theTokenIsNeverInAText() async throws {
        let fake = try FakeUnleash()
        let a = try Self.adapter(fake)
        for answer: LoopbackHTTPServer.Answer in [
            .json("{\"name\":\"PermissionError\",\"message\":\"token \(FakeUnleash.token) may not UPDATE_FEATURE_STRATEGY\"}", status: 403),
            .json("[{\"id\":\"\(FakeUnleash.token)\",\"name\":\"flexibleRollout\"},{\"id\":\"x\",\"name\":\"flexibleRollout\"}]"),
        ] {
            fake.state { fake.answer = answer }
            let r = try await Self.offPool { Traffic.setAndReadBack(try Self.adapter(fake, strategy: nil), TrafficRequest(decision: 1, percent: 10)) }
            let e = try #require(r.error)
            #expect(!e.contains(FakeUnleash.token) && e.contains("[redacted]"), "\(e)")
        }
        _ = a
        do { _ = try Self.adapter(fake, environment: ["UNLEASH_ADMIN_TOKEN": " "]); Issue.record("an empty token is refused") } catch {
            #expect("\(error)" == "unleash: environment variable UNLEASH_ADMIN_TOKEN is not set (token_env)")
        }
    }
}
