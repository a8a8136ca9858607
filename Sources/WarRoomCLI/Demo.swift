import ArgumentParser
import Foundation
import WarRoomCore
import WarRoomTerminal

/// `warroom demo`: the whole console against a simulated service, in a fresh directory, with nothing to set up.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch a canary ramp go wrong and roll back: the console on a built-in simulated service.",
        discussion: """
        Creates a fresh directory (./warroom-demo-<date>-<time>, or under $TMPDIR when the current directory is not \
        writable) holding the canary checklist, a warroom.yaml and the run's state; starts a simulated checkout-api \
        on 127.0.0.1 that answers like Prometheus and Alertmanager, whose latency and errors follow the ramp (the \
        config's hooks set its traffic weight); and opens the console on it.

        Ramp up with g (Esc skips the reason), press f to inject a fault on the new version (latency spike, error \
        burst, outage, then healthy again) and watch the rollback lights go WATCH then TRIPPED; R then y rolls back.

        On exit the directory is printed with the commands to inspect it. WARROOM_DEMO_SEED makes the noise repeatable.

        With --stack the service is real: HAProxy in front of two backends (stable and canary), a load generator and \
        Prometheus scraping HAProxy's exporter, all on 127.0.0.1 and stopped when the demo ends. GO moves HAProxy's \
        weights (the haproxy traffic adapter); f faults the canary (latency spike, error burst, healthy); the \
        directory's canary-share.json holds the share of requests the canary really served. Needs the Debian \
        packages haproxy and prometheus.
        """
    )

    @Option(help: "The demo directory (created; an existing one must be empty).") var dir: String?
    @Option(help: "Who is driving (default: $SUDO_USER, else your account name, else $USER).") var actor: String?
    @Option(help: "Theme name (default, light, high-contrast, monochrome) or a theme file.") var theme: String?
    @Flag(help: "Draw with ASCII only (automatic when the locale is not UTF-8).") var ascii = false
    @Flag(help: "Short observation windows (3 s) and trip delays (2 s), for tests and quick looks.") var fast = false
    @Flag(help: "A real HAProxy, two backends, a load generator and Prometheus instead of the simulation (needs the haproxy and prometheus packages).")
    var stack = false

    func validate() throws {
        try validateActor(actor)
        if let d = dir, d.isEmpty { throw ValidationError("--dir cannot be empty") }
    }

    func run() throws {
        if stack {
            return try StackDemo.run(dir: dir, actor: actor ?? defaultActor(), theme: theme, ascii: ascii, fast: fast)
        }
        // Before anything is created: a demo without a terminal would only leave an empty directory behind.
        guard Terminal.isTTY else { throw Failure("warroom demo needs a terminal (stdin and stdout must be a tty)") }
        let home = try DemoSetup.makeDirectory(dir)
        let binary = try DemoSetup.executablePath()
        let service = DemoService(weightPath: home + "/weight", alertPendingMs: fast ? 3_000 : 15_000)
        defer { service.stop() }
        let port = try service.start()
        let configPath = home + "/warroom.yaml"
        try DemoSetup.write(DemoSetup.checklistText, to: home + "/checklist.md")
        try DemoSetup.write(DemoSetup.configYAML(port: port, binary: binary, dir: home, fast: fast), to: configPath)
        let setup = try loadRunConfig(configPath)
        let state = home + "/state"
        try runConsole(setup, stateDir: state, actor: actor ?? defaultActor(), theme: theme, ascii: ascii,
                       demo: DemoHooks(cycleFault: { service.cycleFault() }))
        service.stop()
        let weight = Int(service.readWeight().rounded())
        let me = CommandLine.arguments.first.map { $0.contains("/") ? $0 : "warroom" } ?? "warroom"
        say("warroom demo: the run is in \(home): warroom.yaml, checklist.md, state/ (the journal, warroom.log)")
        say("  the simulated service (127.0.0.1:\(port)) has stopped; the new version's weight was left at \(weight) %")
        say("Inspect the run:")
        say("  \(me) status --config \(configPath) --state \(state)")
        say("  \(me) verify --state \(state)")
        if Warroom.configuration.subcommands.contains(where: { $0._commandName == "report" }) {
            say("  \(me) report --state \(state) --config \(configPath)")
        }
    }
}

/// The demo's ramp hook: sets the simulated service's traffic weight (hidden from --help).
struct DemoWeight: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-weight",
        abstract: "warroom demo's ramp hook: set the simulated new version's share of traffic.",
        shouldDisplay: false
    )

    @Option(help: "The demo directory (the weight goes to DIR/weight).") var dir: String
    @Argument(help: "The percentage of traffic on the new version, 0–100.") var percent: Int

    func validate() throws {
        guard (0...100).contains(percent) else { throw ValidationError("the weight must be 0–100 (got \(percent))") }
    }

    func run() throws {
        let target = (dir as NSString).appendingPathComponent("weight")
        try DemoSetup.write("\(percent)\n", to: target)
        say("weight \(percent) %")
    }
}

enum DemoSetup {
    /// `--dir`, created (an existing directory must be empty); else a new `warroom-demo-<YYYYMMDD-HHMMSS>` in the
    /// current directory, or under $TMPDIR when that is not writable. Returns an absolute path.
    static func makeDirectory(_ requested: String?, now: Date = Date()) throws(Failure) -> String {
        let fm = FileManager.default
        if let requested {
            let path = absolute(requested)
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: path, isDirectory: &isDir) {
                guard isDir.boolValue else { throw Failure("--dir \(requested) exists and is not a directory") }
                let entries = (try? fm.contentsOfDirectory(atPath: path)) ?? []
                guard entries.isEmpty else {
                    throw Failure("--dir \(requested) is not empty: the demo starts from a fresh directory (give a new one)")
                }
                return path
            }
            do { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
                throw Failure("cannot create \(path): \(error.localizedDescription)")
            }
            return path
        }
        let cwd = fm.currentDirectoryPath
        let parent = access(cwd, W_OK) == 0 ? cwd : (NSTemporaryDirectory() as NSString).standardizingPath
        let base = (parent as NSString).appendingPathComponent("warroom-demo-" + stamp(now))
        for n in 1...100 {
            let path = n == 1 ? base : "\(base)-\(n)"
            // mkdir, not "exists then create": two demos started in the same second get different directories.
            if mkdir(path, 0o755) == 0 { return path }
            if errno != EEXIST { throw Failure("cannot create \(path): \(String(cString: strerror(errno)))") }
        }
        throw Failure("cannot find a free directory name beside \(base)")
    }

    /// `20261123-090000`, local time.
    static func stamp(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))-"
            + "\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))"
    }

    static func absolute(_ path: String) -> String {
        let p = path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        return (p as NSString).standardizingPath
    }

    /// This program, as an absolute path the hooks can run from any directory.
    static func executablePath() throws(Failure) -> String {
        #if os(Linux)
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), p.hasPrefix("/") { return p }
        #endif
        let first = CommandLine.arguments.first ?? ""
        if first.contains("/") { return absolute(first) }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let p = "\(dir)/\(first)"
            if !first.isEmpty, FileManager.default.isExecutableFile(atPath: p) { return absolute(p) }
        }
        throw Failure("cannot tell where this warroom binary is (needed for the demo's hooks); run it by its path")
    }

    /// Writes a file whole: a temporary file, then a rename (readers never see half of it).
    static func write(_ text: String, to path: String) throws(Failure) {
        let tmp = "\(path).tmp.\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8)) else {
            throw Failure("cannot write \(tmp): \(String(cString: strerror(errno)))")
        }
        guard rename(tmp, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(tmp)
            throw Failure("cannot write \(path): \(why)")
        }
    }

    /// A YAML double-quoted string.
    static func quote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The demo's warroom.yaml: the ramp, its hooks (this binary's `demo-weight`), the simulated sources, SLOs and
    /// rollback criteria. `fast`: 3 s observation windows and 2 s trip delays.
    static func configYAML(port: UInt16, binary: String, dir: String, fast: Bool) -> String {
        let url = quote("http://127.0.0.1:\(port)")
        let hook = "[\(quote(binary)), \"demo-weight\", \"--dir\", \(quote(dir))"
        return """
        # warroom demo: a simulated checkout-api on 127.0.0.1:\(port), running only while `warroom demo` runs.
        # Its latency and errors follow the traffic weight the hooks below set; f in the console injects faults.
        service: checkout-api
        checklist: checklist.md
        ramp:
          steps: [10, 25, 50, 75, 100]
          hold: \(fast ? "3s" : "20s")
          apply: \(hook), "{percent}"]
          rollback: \(hook), "0"]
          timeout: 10s
          targets: {decide: 5m, execute: 2m, verify: 5m}
        rollback:
          - {name: Error rate spike, source: prom, query: "demo:error_rate_percent", trip: "> 5", unit: "%", for: \(fast ? "2s" : "10s")}
          - {name: Latency breach, source: prom, query: "demo:latency_p95_seconds", trip: "> 3", unit: s, for: \(fast ? "2s" : "15s")}
          - {name: Critical alerts firing, source: alerts, match: {severity: critical, service: checkout}}
          - {name: Security incident, manual: true}
        sources:
          prom: {prometheus: \(url), interval: 1s, timeout: 1s}
          alerts: {alertmanager: \(url), interval: 2s}
        slos:
          - {name: P95 latency, source: prom, unit: s, objective: "<= 2", warn: "<= 1.5", query: "demo:latency_p95_seconds"}
          - {name: Error rate, source: prom, unit: "%", objective: "< 1", warn: "< 0.5", query: "demo:error_rate_percent"}
          - {name: Availability, source: prom, unit: "%", objective: ">= 99.9", query: "demo:availability_percent"}

        """
    }

    /// checklists/canary-go-live.md, embedded so the demo runs from any directory (DemoTests checks it is the same).
    static let checklistText = #"""
# checkout-api v4.2 — Canary Go-Live

**Service:** checkout-api (payments edge, fictional)
**Release:** v4.2.0 — split-tender support and the new fraud-score client
**Change ticket:** CHG-20417
**War room:** #wr-checkout-v42 on Slack, bridge line +1 555 0142

<!--
Maintainers: keep task IDs stable once a go-live has started, because the
war-room log refers to them. New steps get a letter suffix (T112a, T112b).
Items inside this comment are ignored by GitHub and by warroom:
- [ ] T999 this line is only an example
-->

---

## 📋 Pre-Deployment (T-24h)

### Readiness
- [x] T100 Release branch `release/4.2` cut and frozen
- [x] T101 Change ticket CHG-20417 approved by the change board
- [ ] T102 Staging soak completed for at least 12 hours without new alerts
- [ ] T103 Load test replayed at 1.5× last Black Friday peak
  - [ ] T103a Checkout p95 stayed under 800 ms during the replay
  - [ ] T103b No connection-pool exhaustion on the orders database
- [ ] T104 Feature flag `split_tender` created and set to OFF in production

### Dependencies
- [ ] T105 Confirm downstream owners know the window
  - [ ] T105a **Fraud scoring:** new client quota raised to 400 rps
  - [ ] T105b **Ledger:** idempotency-key change reviewed by the ledger team
  - [ ] T105c **Notifications:** receipt template v7 deployed
- [ ] T106 [P] **Database:** snapshot of `orders` and `payments` taken and restore-tested
- [ ] T107 [P] **Secrets:** new fraud-score API token stored in the vault under `checkout/prod`
- [ ] T108 [P] **Dashboards:** canary vs. baseline panels added to the checkout board

## Pre-Deployment (T-1h)

- [ ] T110 War room open, roles confirmed (see contacts below)
- [ ] T111 Status page entry drafted, not yet published
- [ ] T112 Canary pool sized at 2 pods behind the weighted router
- [ ] T113 Baseline error rate and latency captured for comparison
- [ ] T114 Go/No-Go call held; decision recorded in the change ticket

## 🚀 Canary Ramp (T-0 to T+90 min)

### Deploy the canary (T-0 to T+10 min)
- [ ] T120 Deploy v4.2.0 to the canary pool only
- [ ] T121 Both canary pods report ready and pass the synthetic checkout probe

Reference commands for the deploy lead (run from the ops bastion):

```bash
kubectl -n checkout set image deploy/checkout-api-canary app=registry.example.com/checkout-api:4.2.0
kubectl -n checkout rollout status deploy/checkout-api-canary --timeout=5m
# this is a shell comment, not a checklist step:
- [ ] T999 lines inside a code fence never count as tasks
```

### Traffic ramp (T+10 to T+90 min)
- [ ] T130 Route 10% of traffic to canary
- [ ] T131 Observe canary for 15 minutes
- [ ] T132 Route 25% of traffic to canary
- [ ] T133 Observe canary for 15 minutes
- [ ] T134 Route 50% of traffic to canary
- [ ] T135 Observe canary for 20 minutes
  - [ ] T135a Fraud-score client error budget still above 90%
  - [ ] T135b Ledger reconciliation lag under 30 seconds
- [ ] T136 Route 75% of traffic to canary
- [ ] T137 Observe canary for 15 minutes
- [ ] T138 Route 100% of traffic to canary
- [ ] T139 Observe for 30 minutes, then promote the canary image to the main pool

### Feature flag (T+90 min)
- [ ] T140 Turn `split_tender` ON for internal staff accounts
- [ ] T141 Turn `split_tender` ON for 5% of customers

## SLOs During the Ramp

Hold at the current step if any of these is at risk:

- P95 latency < 2s
- P99 latency < 4s
- Error rate < 0.1%
- Availability ≥ 99.9%
- Payment authorisation success ≥ 98.5%

## Rollback Triggers

Roll back immediately, without waiting for a discussion, if:

- >5% error rate sustained for >10 minutes
- P95 latency > 2s for 5 minutes
- Payment authorisation success below 97% for 3 minutes
- Any duplicate charge confirmed by the ledger team
- Security incident

## Rollback Procedure

1. Set the canary weight to 0% in the weighted router
2. Confirm that canary traffic has dropped to zero on the dashboard
   - [ ] T125 Canary request rate below 1 rps
   - [ ] T126 Error rate back to baseline
3. Turn the `split_tender` flag OFF
4. Scale the canary deployment to zero replicas
5. Post the rollback notice in #wr-checkout-v42 and on the status page

### Rollback Time Targets
- **Decision:** < 5 minutes
- **Execution:** < 10 minutes
- **Verification:** < 5 minutes

## Post-Deployment (T+2h to T+24h)

- [ ] T150 Canary pool removed; all pods on v4.2.0
- [ ] T151 [P] Error budget burn for the day below 10%
- [ ] T152 [P] Customer-support queue shows no spike in payment tickets
- [ ] T153 Status page entry closed
- [ ] T154 Retro scheduled within five working days

## Emergency Contacts

| Role | Name | Phone | Slack |
|------|------|-------|-------|
| Incident Commander | Dana Whitfield | +1 555 0100 | @dana.w |
| Deploy Lead | Marco Ilves | +1 555 0101 | @marco |
| Payments SRE | Sun-hee Park | +1 555 0102 | @shpark |
| Database On-Call | Tomás Ferreira | +1 555 0103 | @tferreira |
| Comms | Alex Okafor | +1 555 0104 | #checkout-comms |

## Sign-Off

- [ ] **Engineering Lead:** sign-off before T-0
- [ ] **SRE Lead:** sign-off before T-0
- [ ] **Product Owner:** sign-off after the 100% step
- [ ] **Incident Commander:** closes the war room

---

**Status:** Scheduled for Tuesday 06:00 UTC, low-traffic window.

"""#
}
