import Foundation
import Testing
@testable import WarRoomConfig
@testable import WarRoomCore

@Suite struct TrafficConfigFile {
    @Test func haproxyTrafficLoads() throws {
        let dir = try scratch()
        let (c, diags) = parse("""
            service: checkout
            checklist: list.md
            ramp:
              steps: [10, 25, 100]
              traffic:
                adapter: haproxy
                socket: /run/haproxy/admin.sock
                backend: web
                stable: blue
                canary: green
                check_every: 5s
                timeout: 2s
            """, in: dir)
        #expect(diags.isEmpty, "\(diags)")
        let t = try #require(c?.traffic)
        #expect(t.adapter == "haproxy" && t.checkEveryMs == 5_000 && t.timeoutMs == 2_000 && t.line == 5)
        #expect(t.settings == ["socket": "/run/haproxy/admin.sock", "backend": "web", "stable": "blue", "canary": "green"])
        #expect(c?.plan.hasApply == true, "an adapter moves real traffic: not a tracker")
    }

    @Test func defaultsAreTenSecondsAndFive() throws {
        let dir = try scratch()
        let (c, diags) = parse("""
            service: checkout
            checklist: list.md
            ramp:
              steps: [10, 100]
              traffic: {adapter: haproxy, socket: "tcp://127.0.0.1:9999", backend: web, stable: a, canary: b}
            """, in: dir)
        #expect(diags.isEmpty, "\(diags)")
        #expect(c?.traffic?.checkEveryMs == 10_000 && c?.traffic?.timeoutMs == 5_000)
    }

    @Test(arguments: [
        ("traffic: {adapter: f5, socket: s}", "5: error: ramp.traffic.adapter: unknown adapter \"f5\" (built in: aws-alb, gateway-api, haproxy, launchdarkly, nginx, unleash)"),
        ("traffic: {socket: s}", "5: error: ramp.traffic needs adapter:"),
        ("traffic: {adapter: haproxy, socket: s, backend: web, stable: a}", "5: error: ramp.traffic (adapter haproxy) needs canary:"),
        ("traffic: {adapter: haproxy, socket: s, backend: web, stable: a, canary: a}", "stable and canary must be two different servers"),
        ("traffic: {adapter: haproxy, socket: s, backend: web, stable: a, canary: b, weight: 3}", "5: error: unknown key \"weight\" in ramp.traffic (adapter haproxy)"),
        ("traffic: {adapter: haproxy, socket: s, backend: web, stable: a, canary: b, check_every: 100ms}", "check_every must be at least 1s"),
        ("traffic: haproxy", "5: error: ramp.traffic must be a mapping"),
    ])
    func badTrafficIsNamedWithItsLine(_ line: String, _ expected: String) throws {
        let dir = try scratch()
        let (c, diags) = parse("service: checkout\nchecklist: list.md\nramp:\n  steps: [10, 100]\n  \(line)\n", in: dir)
        #expect(c?.traffic == nil)
        #expect(diags.contains { $0.contains(expected) }, "\(diags)")
    }

    @Test func gatewayAPITrafficLoads() throws {
        let dir = try scratch()
        let (c, diags) = parse("""
            service: checkout
            checklist: list.md
            ramp:
              steps: [10, 100]
              traffic: {adapter: gateway-api, route: checkout, namespace: shop, stable: blue, canary: green}
            """, in: dir)
        #expect(diags.isEmpty, "\(diags)")
        #expect(c?.traffic?.settings == ["route": "checkout", "namespace": "shop", "stable": "blue", "canary": "green"])
        let (_, bad) = parse("service: checkout\nchecklist: list.md\nramp:\n  steps: [10]\n  traffic: {adapter: gateway-api, route: r, stable: a}\n", in: dir)
        #expect(bad.contains { $0.contains("5: error: ramp.traffic (adapter gateway-api) needs canary:") }, "\(bad)")
    }

    @Test func hooksBesideAnAdapterAreRefused() throws {
        let dir = try scratch()
        let (_, diags) = parse("""
            service: checkout
            checklist: list.md
            ramp:
              steps: [10, 100]
              apply: ["./scripts/set-weight", "{percent}"]
              traffic: {adapter: haproxy, socket: /s, backend: web, stable: a, canary: b}
            """, in: dir)
        #expect(diags.contains { $0.hasPrefix("6: error: ramp.traffic moves the traffic itself") }, "\(diags)")
    }
}
