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
        ("traffic: {adapter: f5, socket: s}", "5: error: ramp.traffic.adapter: unknown adapter \"f5\" (built in: argo-rollouts, aws-alb, gateway-api, haproxy, istio, launchdarkly, nginx, nginx-ingress, unleash)"),
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

    @Test func kubernetesAdaptersLoad() throws {
        let dir = try scratch()
        func load(_ traffic: String, steps: String = "[10, 25, 50, 75, 100]") -> (TrafficConfig?, [String]) {
            let (c, diags) = parse("service: checkout\nchecklist: list.md\nramp:\n  steps: \(steps)\n  traffic: \(traffic)\n", in: dir)
            return (c?.traffic, diags)
        }
        let (istio, d1) = load("{adapter: istio, virtualservice: reviews, namespace: shop, http: primary, stable: v1, canary: v2, kubectl: /usr/bin/kubectl}")
        #expect(d1.isEmpty, "\(d1)")
        #expect(istio?.settings == ["virtualservice": "reviews", "namespace": "shop", "http": "primary", "stable": "v1", "canary": "v2", "kubectl": "/usr/bin/kubectl"])
        let (ingress, d2) = load("{adapter: nginx-ingress, ingress: checkout-canary, namespace: shop}")
        #expect(d2.isEmpty && ingress?.settings == ["ingress": "checkout-canary", "namespace": "shop"], "\(d2)")
        let (argo, d3) = load("{adapter: argo-rollouts, rollout: checkout, timeout: 30s}")
        #expect(d3.isEmpty && argo?.settings == ["rollout": "checkout"] && argo?.timeoutMs == 30_000, "\(d3)")
    }

    @Test(arguments: [
        ("{adapter: istio, virtualservice: reviews, stable: v1}", "5: error: ramp.traffic (adapter istio) needs canary:"),
        ("{adapter: istio, virtualservice: reviews, stable: v1, canary: v1}", "5: error: ramp.traffic: stable and canary must be two different"),
        ("{adapter: istio, virtualservice: reviews, stable: v1, canary: v2, rule: 1}", "5: error: unknown key \"rule\" in ramp.traffic (adapter istio)"),
        ("{adapter: nginx-ingress, namespace: shop}", "5: error: ramp.traffic (adapter nginx-ingress) needs ingress:"),
        ("{adapter: nginx-ingress, ingress: c, canary: green}", "5: error: unknown key \"canary\" in ramp.traffic (adapter nginx-ingress)"),
        ("{adapter: argo-rollouts}", "5: error: ramp.traffic (adapter argo-rollouts) needs rollout:"),
        ("{adapter: argo-rollouts, rollout: \"\"}", "5: error: ramp.traffic.rollout must not be empty"),
    ])
    func badKubernetesAdaptersAreNamedWithTheirLine(_ traffic: String, _ expected: String) throws {
        let dir = try scratch()
        let (c, diags) = parse("service: checkout\nchecklist: list.md\nramp:\n  steps: [10, 100]\n  traffic: \(traffic)\n", in: dir)
        #expect(c?.traffic == nil)
        #expect(diags.contains { $0.contains(expected) }, "\(diags)")
    }

    @Test func argoRolloutsNeedsARampEndingAtAHundred() throws {
        let dir = try scratch()
        let (_, diags) = parse("""
            service: checkout
            checklist: list.md
            ramp:
              steps: [10, 25, 50]
              traffic:
                adapter: argo-rollouts
                rollout: checkout
            """, in: dir)
        #expect(diags.contains("5: error: ramp.traffic (adapter argo-rollouts): ramp.steps must end at 100, as a Rollout's steps do (ramp.steps are 10/25/50)"), "\(diags)")
        let (_, fine) = parse("service: checkout\nchecklist: list.md\nramp:\n  steps: [25, 100]\n  traffic: {adapter: argo-rollouts, rollout: checkout}\n", in: dir)
        #expect(fine.isEmpty, "\(fine)")
    }
}
