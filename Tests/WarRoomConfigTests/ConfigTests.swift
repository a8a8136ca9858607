import Foundation
import Testing
@testable import WarRoomConfig
@testable import WarRoomCore

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A scratch directory with a checklist and an executable hook, for configs that refer to files.
func scratch() throws -> String {
    let dir = NSTemporaryDirectory() + "warroom-config-\(getpid())-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: dir + "/scripts", withIntermediateDirectories: true)
    try "# Go-live\n## Blue Validation\n- [ ] T1219 smoke tests\n- [ ] T1220 dashboards\n".write(toFile: dir + "/list.md", atomically: true, encoding: .utf8)
    try "#!/bin/sh\nexit 0\n".write(toFile: dir + "/scripts/set-weight", atomically: true, encoding: .utf8)
    chmod(dir + "/scripts/set-weight", 0o755)
    try "not executable".write(toFile: dir + "/scripts/plain", atomically: true, encoding: .utf8)
    return dir
}

func parse(_ yaml: String, in dir: String) -> (RunConfig?, [String]) {
    let (c, d) = ConfigLoader.parse(yaml, path: dir + "/warroom.yaml", environment: ["PATH": "/usr/bin:/bin"])
    return (c, d.map { "\($0.line): \($0.severity.rawValue): \($0.message)" })
}

@Suite struct ConfigFile {
    @Test func t0KeepsTheOffsetItIsWrittenWith() throws {
        let dir = try scratch()
        let (c, diags) = parse("service: s\nchecklist: list.md\nt0: 2026-11-23T09:00:00-05:00\n", in: dir)
        #expect(diags.isEmpty, "\(diags)")
        #expect(c?.t0 == Timestamp.parse("2026-11-23T14:00:00Z"))
        #expect(c?.t0UTCOffsetMinutes == -300, "clock times and days are read in New York's offset")
    }

    @Test func theIssueExampleLoads() throws {
        let dir = try scratch()
        let (c, diags) = parse("""
            service: checkout-api
            checklist: list.md     # relative to this file
            t0: 2026-11-23T09:00:00Z
            ramp:
              steps: [10, {percent: 25, hold: 30m, require: [T1219, "Blue Validation"]}, 50, 75, 100]
              hold: 5m
              apply: ["./scripts/set-weight", "checkout", "{percent}"]
              rollback: ["./scripts/set-weight", "checkout", "0"]
              timeout: 60s
              targets: {decide: 5m, execute: 10m, verify: 5m}
            rollback:
              - {name: Security incident, manual: true}
              - {name: Data corruption detected, manual: true}
            contacts:
              - {role: Incident Commander, name: Dana Ortiz, phone: "+1 555 0100", handle: "@dana"}
            """, in: dir)
        #expect(diags.isEmpty, "\(diags)")
        let config = try #require(c)
        #expect(config.service == "checkout-api")
        #expect(config.checklist == dir + "/list.md")
        #expect(config.t0 == Timestamp.parse("2026-11-23T09:00:00Z"))
        #expect(config.t0UTCOffsetMinutes == nil, "Z: UTC")
        #expect(config.plan.steps.map(\.percent) == [10, 25, 50, 75, 100])
        #expect(config.plan.steps[1] == RampStep(percent: 25, holdMs: 1_800_000, require: ["T1219", "Blue Validation"]))
        #expect(config.plan.holdMs == 300_000 && config.plan.hold(at: 25) == 1_800_000 && config.plan.hold(at: 50) == 300_000)
        #expect(config.plan.hasApply && config.plan.hasRollbackHook)
        #expect(config.apply == ["./scripts/set-weight", "checkout", "{percent}"])
        #expect(config.hookTimeoutMs == 60_000)
        #expect(config.plan.targets == RollbackTargets(decideMs: 300_000, executeMs: 600_000, verifyMs: 300_000))
        #expect(config.lights.map(\.name) == ["Security incident", "Data corruption detected"])
        #expect(config.lights.allSatisfy { $0.manual })
        #expect(config.contacts?.first?.handle == "@dana")
        #expect(config.hookDirectory == dir)
    }

    @Test(arguments: [
        ("service: x\nchecklist: list.md\nramp: {steps: [10, 25], hodl: 5m}\n", "3: error: unknown key \"hodl\" in ramp; did you mean \"hold\"?"),
        ("service: x\nchecklist: list.md\nramp:\n  steps: [10]\n  hold: five minutes\n", "5: error: ramp.hold: \"five minutes\" is not a duration"),
        ("service: x\nchecklist: list.md\nramp:\n  steps: [10, 50, 25]\n", "4: error: ramp steps must be strictly increasing: 25 comes after 50"),
        ("service: x\nchecklist: list.md\nramp:\n  steps: [10, 10]\n", "4: error: ramp steps must be strictly increasing: 10 comes after 10"),
        ("service: x\nchecklist: list.md\nramp:\n  steps:\n    - 0\n    - 150\n", "5: error: ramp step 0 is outside 1–100"),
        ("service: x\nchecklist: list.md\nramp:\n  steps: [ten]\n", "4: error: a ramp step must be a whole percentage 1–100 (found \"ten\")"),
        ("service: x\nchecklist: list.md\nramp:\n  steps: [10]\n  apply: [\"./scripts/missing\", \"{percent}\"]\n", "5: error: ramp.apply: program ./scripts/missing not found"),
        ("service: x\nchecklist: list.md\nramp:\n  steps: [10]\n  apply: [\"./scripts/plain\"]\n", "5: error: ramp.apply: program ./scripts/plain is not executable"),
        ("service: x\nchecklist: list.md\nramp:\n  steps: [10]\n  apply: [\"no-such-program-xyz\"]\n", "5: error: ramp.apply: program no-such-program-xyz not found on PATH"),
        ("service: x\nchecklist: list.md\nramp:\n  steps: [10]\n  apply: \"./scripts/set-weight 10\"\n", "5: error: ramp.apply must be a list of arguments"),
        ("service: x\nchecklist: list.md\nramp:\n  steps: [10]\n  apply: [\"./scripts/set-weight\", \"--w={percent}\"]\n", "5: error: ramp.apply: a placeholder inside \"--w={percent}\" would stay literal"),
        ("service: x\nchecklist: list.md\nramp:\n  steps: [{percent: 10, require: [T9999]}]\n", "4: error: require “T9999” matches no item ID"),
        ("service: x\nchecklist: nope.md\n", "2: error: checklist nope.md not found"),
        ("checklist: list.md\n", "1: error: missing service:"),
        ("service: x\nchecklist: list.md\nt0: tomorrow\n", "3: error: t0 \"tomorrow\" is not a timestamp"),
        ("service: x\nchecklist: list.md\nrollback:\n  - {name: A, manual: true}\n  - {name: A, manual: true}\n", "5: error: rollback criterion “A” is listed twice (first at line 4)"),
        ("service: x\nchecklist: list.md\nrollback:\n  - {name: A, source: prom, query: up, trip: \"> 1\"}\n", "4: error: rollback criterion “A”: source prom is not defined"),
        ("service: x\nchecklist: list.md\nsources:\n  prom: {prometheus: \"http://127.0.0.1:9090\"}\nrollback:\n  - {name: A, source: prom, query: up, trip: \"about 1\"}\n", "6: error: trip \"about 1\" is not a condition"),
        ("service: x\nchecklist: list.md\nsources:\n  prom: {prometheus: \"127.0.0.1:9090\"}\n", "4: error: source prom: prometheus must be an http:// or https:// URL"),
        ("service: x\nchecklist: list.md\nsources:\n  prom: {prometheus: \"http://a\", alertmanager: \"http://b\"}\n", "4: error: source prom names more than one kind"),
        ("service: x\nchecklist: list.md\nslos:\n  - {name: P95, objective: \"<= 2\", source: prom, query: x}\n", "4: error: SLO “P95”: source prom is not defined"),
        ("service: x\nchecklist: list.md\nslos:\n  - {name: P95}\n", "4: error: SLO “P95” needs objective:"),
        ("service: x\nchecklist: list.md\nramp: {steps: [10]\n", "3: error: invalid YAML"),
        ("service: x\nchecklist: list.md\nservice: y\n", "3: error: duplicate key \"service\" (first at line 1)"),
    ])
    func problemsNameTheLine(_ yaml: String, _ expected: String) throws {
        let dir = try scratch()
        let (c, diags) = parse(yaml, in: dir)
        #expect(diags.contains { $0.hasPrefix(expected) }, "\(diags)")
        if expected.contains(": error: ") { #expect(c == nil) }
    }

    @Test func telemetryBindingsLoad() throws {
        let dir = try scratch()
        let (c, diags) = parse("""
            service: checkout-api
            checklist: list.md
            sources:
              prom:   {prometheus: "http://127.0.0.1:9090/", interval: 5s, timeout: 2s, token_env: PROM_TOKEN}
              alerts: {alertmanager: "http://127.0.0.1:9093", interval: 10s}
              health: {http: "http://127.0.0.1:8080/health", interval: 5s, expect: 204}
              queue:  {command: ["./scripts/set-weight"], interval: 10s}
              batch:  {file: "batch.json", field: "errors.rate", interval: 5s}
            slos:
              - {name: P95 latency, source: prom, unit: s, objective: "<= 2", warn: "<= 1.5", query: 'histogram_quantile(0.95, x)'}
            rollback:
              - {name: Error rate spike, source: prom, query: 'sum(rate(x[1m]))', trip: "> 1", for: 5m, auto: true}
              - {name: Critical alerts firing, source: alerts, match: {severity: critical, service: checkout}}
            """, in: dir)
        #expect(diags == ["4: warning: source prom: environment variable PROM_TOKEN is not set here (the token is read when the console starts)"])
        let config = try #require(c)
        #expect(config.sources.map(\.name) == ["prom", "alerts", "health", "queue", "batch"])
        #expect(config.sources[0].kind == .prometheus(url: "http://127.0.0.1:9090"))
        #expect(config.sources[2].kind == .http(url: "http://127.0.0.1:8080/health", expect: 204))
        #expect(config.sources[4].kind == .file(path: dir + "/batch.json", field: "errors.rate"))
        #expect(config.slos[0].objective == Condition(.le, 2) && config.slos[0].warn == Condition(.le, 1.5))
        #expect(config.lights[0].trip == Condition(.gt, 1) && config.lights[0].forMs == 300_000 && config.lights[0].auto)
        #expect(config.lights[1].match == ["severity": "critical", "service": "checkout"])
        #expect(!config.lights[0].manual)
    }

    /// Issue 14: criteria get a `unit:` key; a trip may name it, and any other trailing unit is refused.
    @Test func criteriaTakeAUnit() throws {
        let dir = try scratch()
        let (c, diags) = parse("""
            service: checkout-api
            checklist: list.md
            sources:
              prom: {prometheus: "http://127.0.0.1:9090", interval: 5s}
            rollback:
              - {name: Error rate, source: prom, query: 'x', trip: "> 5 %", unit: "%", for: 5m}
              - {name: Latency, source: prom, query: 'y', unit: s, trip: "> 3 ms"}
            """, in: dir)
        #expect(diags == ["7: error: trip \"> 3 ms\" is not a condition (write e.g. \"> 1\" or \"<= 99.9\"; a unit after the number must be s)"],
                "\(diags)")
        #expect(c == nil || c?.lights.first?.unit == "%")
        let (ok, none) = parse("""
            service: checkout-api
            checklist: list.md
            sources:
              prom: {prometheus: "http://127.0.0.1:9090", interval: 5s}
            rollback:
              - {name: Error rate, source: prom, query: 'x', trip: "> 5 %", unit: "%", for: 5m}
            """, in: dir)
        #expect(none.isEmpty, "\(none)")
        #expect(ok?.lights.first?.unit == "%" && ok?.lights.first?.trip == Condition(.gt, 5))
    }

    @Test func theShippedConfigsLint() throws {
        let dir = repoRoot.appendingPathComponent("checklists").path
        let configs = (try FileManager.default.contentsOfDirectory(atPath: dir)).filter { $0.hasSuffix(".yaml") }
        for name in configs {
            let (c, d) = ConfigLoader.load(path: dir + "/" + name, environment: ["PATH": "/usr/bin:/bin"])
            #expect(d.filter { $0.severity == .error }.isEmpty, "\(name): \(d)")
            #expect(c != nil)
        }
    }
}

@Suite struct ConfigGroup {
    @Test func groupIsReadAndChecked() throws {
        let dir = try scratch()
        let (c, diags) = parse("service: s\nchecklist: list.md\ngroup: warroom\n", in: dir)
        #expect(diags.isEmpty, "\(diags)")
        #expect(c?.group == "warroom")
        let (none, _) = parse("service: s\nchecklist: list.md\n", in: dir)
        #expect(none?.group == nil)
        let (_, bad) = parse("service: s\nchecklist: list.md\ngroup: \"war room\"\n", in: dir)
        #expect(bad == ["3: error: group \"war room\" is not a Unix group name"])
    }
}

@Suite struct ConfigStore {
    @Test func storeIsReadAndChecked() throws {
        let dir = try scratch()
        let (c, diags) = parse("service: s\nchecklist: list.md\nstore: etcd://127.0.0.1:2379/golive/checkout\n", in: dir)
        #expect(diags.isEmpty, "\(diags)")
        #expect(c?.store == "etcd://127.0.0.1:2379/golive/checkout")
        let (none, _) = parse("service: s\nchecklist: list.md\n", in: dir)
        #expect(none?.store == nil)
        let (_, bad) = parse("service: s\nchecklist: list.md\nstore: /var/lib/warroom\n", in: dir)
        #expect(bad == ["3: error: store \"/var/lib/warroom\" is not an etcd URL (write etcd://HOST:PORT/PREFIX; a state directory is the default)"])
    }

    @Test func storeMappingWithTLSFilesAndUser() throws {
        let dir = try scratch()
        let text = """
        service: s
        checklist: list.md
        store:
          url: etcds://10.0.0.5:2379,10.0.0.6:2379/golive/checkout
          cacert: pki/ca.pem
          cert: /etc/warroom/client.pem
          key: pki/client-key.pem
          user: warroom
          password_env: CHECKOUT_ETCD_PW

        """
        let (c, diags) = parse(text, in: dir)
        #expect(diags.isEmpty, "\(diags)")
        #expect(c?.store == "etcds://10.0.0.5:2379,10.0.0.6:2379/golive/checkout")
        #expect(c?.storeAccess == StoreAccessConfig(cacert: dir + "/pki/ca.pem", cert: "/etc/warroom/client.pem", key: dir + "/pki/client-key.pem",
                                                     user: "warroom", passwordEnv: "CHECKOUT_ETCD_PW"))
        #expect(c?.secretVariables.contains("CHECKOUT_ETCD_PW") == true, "its value is redacted like a token_env's")
        let (plain, _) = parse("service: s\nchecklist: list.md\nstore: {url: \"etcd://h:1/p\", user: u, password_file: pw}\n", in: dir)
        #expect(plain?.store == "etcd://h:1/p" && plain?.storeAccess == StoreAccessConfig(user: "u", passwordFile: dir + "/pw"))
        #expect(plain?.secretVariables.contains("WARROOM_ETCD_PASSWORD") == false)
        let (byDefault, _) = parse("service: s\nchecklist: list.md\nstore: {url: \"etcd://h:1/p\", user: u}\n", in: dir)
        #expect(byDefault?.secretVariables.contains("WARROOM_ETCD_PASSWORD") == true)

        let cases: [(String, String)] = [
            ("{url: \"etcd://h:1/p\", user: u, password: hunter2}", "store.password: a password is never written in the config"),
            ("{cacert: ca.pem}", "store needs url:"),
            ("{url: \"etcds://h:1/p\", cert: c.pem}", "store: cert: needs key:"),
            ("{url: \"etcd://h:1/p\", cacert: ca.pem}", "need a TLS store: write etcds://"),
            ("{url: \"etcd://h:1/p\", password_file: pw}", "password_file and password_env need user:"),
            ("{url: \"etcd://h:1/p\", user: u, password_file: a, password_env: B}", "not both"),
            ("{url: \"etcd://h:1/p\", user: u, password_env: \"A B\"}", "is not an environment variable name"),
            ("{url: \"etcd://h:1/p\", usr: u}", "unknown key \"usr\" in store; did you mean \"user\"?"),
        ]
        for (store, expected) in cases {
            let (_, d) = parse("service: s\nchecklist: list.md\nstore: \(store)\n", in: dir)
            #expect(d.contains { $0.contains(expected) && $0.hasPrefix("3: error") }, "\(store): \(d)")
        }
    }
}
