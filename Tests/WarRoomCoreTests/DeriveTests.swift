import Foundation
import Testing
@testable import WarRoomCore

private let deriveRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let deriveSeeds = deriveRoot.appendingPathComponent("Tests/Fixtures/seeds") // copies of ../shared/seeds

private func derive(_ s: String) -> Derivation { ChecklistParser.parse(s, path: "t.md").derive() }

// MARK: - The seeds and our checklists, against what a person reads in them

/// One file of Tests/Fixtures/derive-expected.json (written by hand from reading the file).
struct DeriveCase: Sendable, CustomTestStringConvertible {
    var key: String
    var path: String
    var json: [String: any Sendable]
    var testDescription: String { key }
}

private func deriveCases() -> [DeriveCase] {
    let url = deriveRoot.appendingPathComponent("Tests/Fixtures/derive-expected.json")
    guard let data = try? Data(contentsOf: url),
          let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
    return obj.keys.sorted().compactMap { key -> DeriveCase? in
        guard !key.hasPrefix("_"), let body = obj[key] as? [String: Any] else { return nil }
        let path: URL
        if key.hasPrefix("seeds/") {
            path = deriveSeeds.appendingPathComponent(String(key.dropFirst("seeds/".count)))
        } else {
            path = deriveRoot.appendingPathComponent(key)
        }
        return DeriveCase(key: key, path: path.path, json: sendable(body) as? [String: any Sendable] ?? [:])
    }
}

/// JSONSerialization's values as plain Swift values (NSNull → nil-marker string).
private func sendable(_ v: Any) -> any Sendable {
    switch v {
    case is NSNull: return "<null>"
    case let d as [String: Any]: return d.mapValues { sendable($0) }
    case let a as [Any]: return a.map { sendable($0) }
    case let n as NSNumber: return n.doubleValue
    case let s as String: return s
    default: return "\(v)"
    }
}

private func int(_ v: (any Sendable)?) -> Int? { (v as? Double).map { Int($0) } }
private func int64(_ v: (any Sendable)?) -> Int64? { (v as? Double).map { Int64($0) } }
private func string(_ v: (any Sendable)?) -> String? { v as? String == "<null>" ? nil : v as? String }

private func describe(_ t: DerivedThreshold?) -> String {
    guard let t else { return "manual" }
    return "\(t.subject) \(t.op) \(t.value) \(t.unit ?? "-") for \(t.forMs.map(String.init) ?? "-")"
}

private func describe(_ j: (any Sendable)?) -> String {
    guard let t = j as? [String: any Sendable] else { return "manual" }
    return "\(string(t["subject"]) ?? "?") \(string(t["op"]) ?? "?") \((t["value"] as? Double) ?? .nan) \(string(t["unit"]) ?? "-") for \(int64(t["forMs"]).map(String.init) ?? "-")"
}

@Suite struct DeriveFromFiles {
    static let cases = deriveCases()
    static let seedsPresent = FileManager.default.fileExists(atPath: deriveSeeds.path)

    @Test func fixtureIsPresent() {
        #expect(Self.cases.count == 8, "five seeds and our three checklists")
    }

    @Test(arguments: cases)
    func derivesWhatTheTextSays(_ c: DeriveCase) throws {
        if c.key.hasPrefix("seeds/"), !Self.seedsPresent {
            print("Derive: skipped \(c.key) — \(deriveSeeds.path) is absent")
            return
        }
        let data = try #require(FileManager.default.contents(atPath: c.path), "missing \(c.path)")
        let d = ChecklistParser.parse([UInt8](data), path: c.key).derive()

        let steps = (c.json["steps"] as? [any Sendable] ?? []).compactMap { $0 as? [String: any Sendable] }
        let wantSteps = steps.map { "\(int($0["percent"]) ?? -1)% hold \(int64($0["holdMs"]).map(String.init) ?? "nil") @\(int($0["line"]) ?? -1)" }
        let gotSteps = d.steps.map { "\($0.percent)% hold \($0.holdMs.map(String.init) ?? "nil") @\($0.line)" }
        #expect(gotSteps == wantSteps, "steps")

        let criteria = (c.json["criteria"] as? [any Sendable] ?? []).compactMap { $0 as? [String: any Sendable] }
        let wantCriteria = criteria.map { "\(string($0["name"]) ?? "?") @\(int($0["line"]) ?? -1): \(describe($0["threshold"]))" }
        let gotCriteria = d.criteria.map { "\($0.name) @\($0.line): \(describe($0.threshold))" }
        #expect(gotCriteria == wantCriteria, "criteria")

        let slos = (c.json["slos"] as? [any Sendable] ?? []).compactMap { $0 as? [String: any Sendable] }
        let wantSLOs = slos.map { "\(string($0["name"]) ?? "?") \(string($0["op"]) ?? "?") \(($0["value"] as? Double) ?? .nan) \(string($0["unit"]) ?? "-") @\(int($0["line"]) ?? -1)" }
        let gotSLOs = d.slos.map { "\($0.name) \($0.op) \($0.value) \($0.unit ?? "-") @\($0.line)" }
        #expect(gotSLOs == wantSLOs, "SLOs")

        let t = c.json["targets"] as? [String: any Sendable] ?? [:]
        #expect(d.targets == DerivedTargets(decideMs: int64(t["decideMs"]), executeMs: int64(t["executeMs"]), verifyMs: int64(t["verifyMs"])), "rollback time targets")

        #expect(d.contacts.count == int(c.json["contacts"]), "contacts")

        for phrase in (c.json["notes"] as? [any Sendable] ?? []).compactMap({ $0 as? String }) {
            #expect(d.notes.contains { $0.contains(phrase) }, "a note saying \"\(phrase)\" in \(d.notes)")
        }
        // Whatever the file, the ramp is strictly increasing within 1–100.
        #expect(zip(d.steps, d.steps.dropFirst()).allSatisfy { $0.percent < $1.percent })
        #expect(d.steps.allSatisfy { (1...100).contains($0.percent) && !$0.text.isEmpty })
    }
}

// MARK: - Ramp steps

@Suite struct DeriveRamp {
    @Test func stepFollowedByMonitorLine() {
        let d = derive("""
        ## Traffic
        - [ ] Route 25% traffic to Blue environment
        - [ ] Monitor Blue environment for 30 minutes
        - [ ] Verify no errors
        - [ ] Route 100% traffic to Blue environment
        """)
        #expect(d.steps.map(\.percent) == [25, 100])
        #expect(d.steps.map(\.holdMs) == [1_800_000, nil])
        #expect(d.steps.map(\.line) == [2, 5])
        #expect(d.steps[0].text == "Route 25% traffic to Blue environment")
        #expect(d.notes.contains { $0.contains("no observation window stated for 100% (line 5)") })
    }

    @Test func inlineObservationAndMojibakeArrow() {
        let d = derive("""
        - [ ] Shift traffic
          - [ ] 10% of traffic → green (5 min observation)
          - [ ] 50% of traffic \u{E2}\u{2020}\u{2019} green (2 hours observation)
          - [ ] 100% of traffic -> green
        """)
        #expect(d.steps.map(\.percent) == [10, 50, 100])
        #expect(d.steps.map(\.holdMs) == [300_000, 7_200_000, nil])
    }

    @Test(arguments: [
        "Ramp: 10% → 25% → 50% → 100%",
        "Ramp 10 -> 25 -> 50 -> 100 %",
        "Traffic ramp: 10%, 25%, 50%, 100%",
        "Canary ramp 10%/25%/50%/100%",
    ])
    func sequencesOnOneLine(_ text: String) {
        let d = derive("- [ ] x\n\n\(text)\n")
        #expect(d.steps.map(\.percent) == [10, 25, 50, 100], "\(text)")
        #expect(d.steps.allSatisfy { $0.line == 3 })
    }

    @Test func sequenceWithHoldsPerStep() {
        let d = derive("- [ ] Ramp traffic 5% (10 min) → 20% (15 min) → 100%\n")
        #expect(d.steps.map(\.percent) == [5, 20, 100])
        #expect(d.steps.map(\.holdMs) == [600_000, 900_000, nil])
    }

    @Test(arguments: [
        "Route traffic only while error rate < 0.1%",
        "Canary CPU > 80% means stop",
        "Canary keeps 99.9% availability",
        "Canary: 100% of tests pass",
        "Route requests only if success rate ≥ 99%",
        "Canary error budget still above 90%",
        "Traffic: load test at peak + 50%",
        "Traffic coverage 70%+ before we start",
        "Canary latency improvement by 15%",
        "Turn the flag ON for 5% of customers",
        "Audit logging capturing 100% of decisions",
        "Green sized to 100% of blue capacity",
    ])
    func percentagesThatAreNotSteps(_ text: String) {
        let d = derive("## Go\n- [ ] \(text)\n")
        #expect(d.steps.isEmpty, "\(text) → \(d.steps.map(\.percent))")
        #expect(d.notes.contains { $0.contains("no ramp steps found") })
    }

    @Test func rollbackTrafficIsNotARampStep() {
        let d = derive("""
        ## Ramp
        - [ ] Route 10% of traffic to canary
        - [ ] Route 100% of traffic to canary
        ## Rollback Procedure
        1. Shift 100% of traffic back to blue
        - [ ] Set the canary weight to 0%
        """)
        #expect(d.steps.map(\.percent) == [10, 100])
    }

    @Test func nonMonotonicRampKeepsTheFirstIncreasingRunWithANote() {
        let d = derive("""
        - [ ] Route 10% of traffic to canary
        - [ ] Route 50% of traffic to canary
        - [ ] Route 25% of traffic to canary
        - [ ] Route 100% of traffic to canary
        """)
        #expect(d.steps.map(\.percent) == [10, 50])
        #expect(d.notes.contains { $0.contains("from 50% back to 25% at line 3") })
    }

    @Test func repeatedMentionOfTheSameStepIsOneStep() {
        let d = derive("""
        - [ ] **10% Traffic Ramp** (1:00-2:00 PM)
          - [ ] Route 10% of queries to new orchestration
        - [ ] **25% Traffic Ramp** (2:00-3:00 PM)
          - [ ] Increase traffic to 25% if 10% ramp successful
        - [ ] **100% Traffic Cutover** (10:00 AM-5:00 PM)
        """)
        #expect(d.steps.map(\.percent) == [10, 25, 100])
        #expect(d.steps.map(\.line) == [1, 3, 5])
        #expect(d.steps.map(\.holdMs) == [3_600_000, 3_600_000, 25_200_000], "clock windows: 1 h, 1 h, 7 h")
    }

    @Test func hoursAndWordNumbers() {
        let d = derive("""
        - [ ] Route 10% of traffic to canary
        - [ ] Observe for 2 hours
        - [ ] Route 50% of traffic to canary and hold for one hour
        - [ ] Route 100% of traffic to canary
        - [ ] Soak 90s
        """)
        #expect(d.steps.map(\.holdMs) == [7_200_000, 3_600_000, 90_000])
    }

    @Test func missionClockOffsetIsNotAHold() {
        let d = derive("- [ ] Route 10% of traffic to canary (T+10 min)\n")
        #expect(d.steps.map(\.percent) == [10])
        #expect(d.steps[0].holdMs == nil)
    }

    @Test func holdWindowEndsWithTheSection() {
        let d = derive("""
        ## Ramp
        - [ ] Route 100% of traffic to Blue
        ## Post-Cutover Monitoring
        - [ ] 24-hour stabilization monitoring
        """)
        #expect(d.steps.map(\.holdMs) == [nil])
    }

    @Test func rampTable() {
        let d = derive("""
        ## Ramp
        | Step | Traffic | Hold |
        |------|---------|------|
        | 1 | 10% | 15 min |
        | 2 | 50% | 30 minutes |
        | 3 | 100% | — |
        """)
        #expect(d.steps.map(\.percent) == [10, 50, 100])
        #expect(d.steps.map(\.holdMs) == [900_000, 1_800_000, nil])
        #expect(d.steps.map(\.line) == [4, 5, 6])
    }

    @Test func nonRampTableIsNotARamp() {
        let d = derive("""
        | Service | CPU % |
        |---------|-------|
        | api | 80 |
        """)
        #expect(d.steps.isEmpty)
    }
}

// MARK: - Rollback criteria

@Suite struct DeriveCriteria {
    @Test func triggersNotProcedures() {
        let d = derive("""
        ## Rollback Plan
        ### Trigger Conditions
        - [ ] Data corruption detected
        - [ ] Performance severely degraded (> 50%)
        ### Rollback Procedure
        1. Revert to last stable version
        - [ ] Canary request rate below 1 rps
        ## Rollback Steps
        - [ ] Route 100% traffic to Green
        """)
        #expect(d.criteria.map(\.name) == ["Data corruption detected", "Performance severely degraded (> 50%)"])
        #expect(d.criteria[0].threshold == nil)
        #expect(d.criteria[1].threshold == DerivedThreshold(subject: "Performance severely degraded", op: ">", value: 50, unit: "%"))
    }

    @Test(arguments: ["Rollback Triggers", "Rollback Criteria", "When to roll back", "Abort conditions", "Rollback Decision Criteria"])
    func triggerHeadings(_ heading: String) {
        let d = derive("## \(heading)\n- Security incident\n- [ ] Data corruption detected\n")
        #expect(d.criteria.map(\.name) == ["Security incident", "Data corruption detected"], "\(heading)")
    }

    @Test(arguments: ["Rollback Procedure", "Rollback Steps", "Rollback Plan", "Success Criteria", "Go/No-Go Criteria"])
    func notTriggerHeadings(_ heading: String) {
        let d = derive("## \(heading)\n- Security incident\n- [ ] Data corruption detected\n")
        #expect(d.criteria.isEmpty, "\(heading)")
    }

    @Test func subsectionsOfTriggersAreTriggers() {
        let d = derive("## Rollback Triggers\n### Immediate Rollback\n- Complete service outage\n### Planned Rollback\n- Stakeholder decision\n")
        #expect(d.criteria.map(\.line) == [3, 5])
    }

    @Test func leadInLineOpensAList() {
        let d = derive("## Go-live\n- [ ] x\n\nRoll back immediately if any of these happen:\n\n- Security incident\n")
        #expect(d.criteria.map(\.name) == ["Security incident"])
    }

    @Test(arguments: [
        (">5% error rate sustained for >10 minutes", DerivedThreshold(subject: "error rate", op: ">", value: 5, unit: "%", forMs: 600_000)),
        ("P95 latency > 2s for 5 minutes", DerivedThreshold(subject: "P95 latency", op: ">", value: 2, unit: "s", forMs: 300_000)),
        ("P95 latency > 2 s for 5+ minutes", DerivedThreshold(subject: "P95 latency", op: ">", value: 2, unit: "s", forMs: 300_000)),
        ("P99 latency >= 2 seconds", DerivedThreshold(subject: "P99 latency", op: ">=", value: 2, unit: "s")),
        ("P50 latency ≥ 200ms for more than 3 minutes", DerivedThreshold(subject: "P50 latency", op: ">=", value: 200, unit: "ms", forMs: 180_000)),
        ("Payment authorisation success below 97% for 3 minutes", DerivedThreshold(subject: "Payment authorisation success", op: "<", value: 97, unit: "%", forMs: 180_000)),
        ("Availability <= 99.5% over 1 hour", DerivedThreshold(subject: "Availability", op: "<=", value: 99.5, unit: "%", forMs: 3_600_000)),
        ("Consumer lag above 60 seconds for 5 minutes", DerivedThreshold(subject: "Consumer lag", op: ">", value: 60, unit: "s", forMs: 300_000)),
        ("Error rate exceeds 1% in any hour", DerivedThreshold(subject: "Error rate", op: ">", value: 1, unit: "%")),
        ("Throughput less than 200 rps", DerivedThreshold(subject: "Throughput", op: "<", value: 200, unit: "rps")),
    ])
    func metricTriggers(_ text: String, _ want: DerivedThreshold) {
        let d = derive("## Rollback Triggers\n- \(text)\n")
        #expect(d.criteria.count == 1)
        #expect(d.criteria.first?.threshold == want, "\(text)")
        #expect(d.criteria.first?.name == text)
    }

    @Test func boldLeadNamesTheLight() {
        let d = derive("""
        ## Rollback Criteria
        - [ ] **Error Rate:** >5% sustained for >10 minutes
        - [ ] **Performance Degradation:** p95 latency > 15 seconds for 5+ minutes
        - [ ] **Security Incident:** Any unauthorized access or data exposure
        """)
        #expect(d.criteria.map(\.name) == ["Error Rate: >5% sustained for >10 minutes", "Performance Degradation", "Security Incident"])
        #expect(d.criteria[0].threshold == DerivedThreshold(subject: "Error Rate", op: ">", value: 5, unit: "%", forMs: 600_000))
        #expect(d.criteria[1].threshold == DerivedThreshold(subject: "p95 latency", op: ">", value: 15, unit: "s", forMs: 300_000))
        #expect(d.criteria[2].threshold == nil)
    }

    @Test func longNamesAreShortened() {
        let long = "Any sign at all that the ledger reconciliation job is double-counting refunds across regions"
        let d = derive("## Rollback Triggers\n- \(long)\n- Queue depth above 10000 messages for 15 minutes in the eu-west region cluster\n")
        #expect(d.criteria[0].name.count <= 56)
        #expect(d.criteria[0].name.hasSuffix("…"))
        #expect(d.criteria[1].threshold == DerivedThreshold(subject: "Queue depth", op: ">", value: 10000, unit: nil, forMs: 900_000))
        #expect(d.criteria[1].name == "Queue depth > 10000 for 15 min")
    }

    @Test func triggerTable() {
        let d = derive("""
        ## Rollback Triggers
        | Trigger | Threshold | Action |
        |---|---|---|
        | Error rate | > 5% for 10 min | roll back |
        | Security incident | any | roll back |
        """)
        #expect(d.criteria.map(\.name) == ["Error rate", "Security incident"])
        #expect(d.criteria.map(\.line) == [4, 5])
        #expect(d.criteria[0].threshold == DerivedThreshold(subject: "Error rate", op: ">", value: 5, unit: "%", forMs: 600_000))
    }
}

// MARK: - SLOs

@Suite struct DeriveSLOs {
    @Test(arguments: [
        ("P95 latency < 2s", "P95 latency", "<", 2.0, "s"),
        ("P95 latency < 2 s", "P95 latency", "<", 2.0, "s"),
        ("P95 latency < 2 seconds", "P95 latency", "<", 2.0, "s"),
        ("P50 latency: <200ms", "P50 latency", "<", 200.0, "ms"),
        ("Error rate < 0.1%", "Error rate", "<", 0.1, "%"),
        ("Error rate remains <0.1%", "Error rate", "<", 0.1, "%"),
        ("Availability ≥ 99.9%", "Availability", ">=", 99.9, "%"),
        ("Availability >= 99.9%", "Availability", ">=", 99.9, "%"),
        ("p99 latency <= 1.5 s", "P99 latency", "<=", 1.5, "s"),
        ("Latency stable (P95 <2s)", "P95 latency", "<", 2.0, "s"),
        ("Monitor error rates (target: <1%)", "Error rate", "<", 1.0, "%"),
        ("Validate event latency targets (\u{E2}\u{2030}\u{A4}500ms)", "Event latency", "<=", 500.0, "ms"),
        ("Validate throughput targets (≥200 RPS)", "Throughput", ">=", 200.0, "rps"),
        ("✅ >99% success rate", "Success rate", ">", 99.0, "%"),
    ])
    func phrasings(_ text: String, _ name: String, _ op: String, _ value: Double, _ unit: String) {
        let d = derive("- [ ] \(text)\n")
        #expect(d.slos.count == 1, "\(text)")
        guard let s = d.slos.first else { return }
        #expect(s.name == name)
        #expect(s.op == op)
        #expect(s.value == value)
        #expect(s.unit == unit)
        #expect(s.line == 1)
    }

    @Test func severalOnOneLine() {
        let d = derive("- ✅ All SLOs met (≥99.9% availability, P95 ≤2.0s latency)\n")
        #expect(d.slos.map(\.name) == ["Availability", "P95 latency"])
        #expect(d.slos.map(\.value) == [99.9, 2.0])
    }

    @Test func duplicatesOnce() {
        let d = derive("- [ ] Error rate < 0.1%\n- [ ] Error rate: <0.1%\n- [ ] error rate < 0.1 %\n- [ ] Error rate < 1%\n")
        #expect(d.slos.map(\.line) == [1, 4])
    }

    @Test(arguments: [
        "User satisfaction rating ≥ 4.0/5.0",
        "≥25% improvement in response quality scores",
        "Incident response time reduced ≥ 25%",
        "≥80% of prompts produce answers with ≥3 citations",
        "Feature adoption >80%",
        "Checkout p95 stayed under 800 ms",
        "Route 10% of traffic -> green",
    ])
    func notSLOs(_ text: String) {
        #expect(derive("- [ ] \(text)\n").slos.isEmpty, "\(text)")
    }

    @Test func rollbackThresholdsAreNotSLOs() {
        let d = derive("""
        ## Rollback Triggers
        - P95 latency > 2s for 5 minutes
        ## Watch
        - [ ] Roll back if error rate > 5%
        """)
        #expect(d.slos.isEmpty)
        #expect(d.criteria.count == 1)
    }

    @Test func anyMetricUnderAnSLOHeading() {
        let d = derive("## SLOs\n- Payment authorisation success ≥ 98.5%\n- Consumer lag < 5s at P99\n")
        #expect(d.slos.map(\.name) == ["Payment authorisation success", "Consumer lag"])
    }

    @Test func sloTable() {
        let d = derive("""
        ## Targets
        | Metric | Target | Source |
        |---|---|---|
        | P95 latency | < 2s | Grafana |
        | Error rate | ≤ 0.5% | Prometheus |
        | Owner | Dana | |
        """)
        #expect(d.slos.map(\.name) == ["P95 latency", "Error rate"])
        #expect(d.slos.map(\.op) == ["<", "<="])
        #expect(d.slos.map(\.line) == [4, 5])
    }

    @Test func loadTestAndNiceToHaveAreNotObjectives() {
        let d = derive("""
        - [ ] Load test scenario
          - [ ] >99% success rate
        ### Nice to Have
        - P99 latency < 1s
        """)
        #expect(d.slos.isEmpty)
    }
}

// MARK: - Rollback time targets

@Suite struct DeriveTargets {
    @Test func timeTargetList() {
        let d = derive("""
        ## Rollback Plan
        ### Time Target
        - **Decision to rollback:** < 5 minutes
        - **Rollback execution:** < 10 minutes
        - **Verification:** < 5 minutes
        - **Total:** < 20 minutes
        """)
        #expect(d.targets == DerivedTargets(decideMs: 300_000, executeMs: 600_000, verifyMs: 300_000))
    }

    @Test func proseTargets() {
        let d = derive("""
        - [ ] x

        Rollback decision within 5 minutes. Rollback completes in < 10 minutes; we verify within 5 min.
        """)
        #expect(d.targets == DerivedTargets(decideMs: 300_000, executeMs: 600_000, verifyMs: 300_000))
        let d2 = derive("""
        ## Rollback
        - Decision within 2 minutes
        - Rollback completes in < 10 minutes
        - verify within 5 min
        """)
        #expect(d2.targets == DerivedTargets(decideMs: 120_000, executeMs: 600_000, verifyMs: 300_000))
    }

    @Test func procedureStepDurations() {
        let d = derive("""
        ## Rollback Procedure
        1. **Announce rollback decision** (5 minutes)
        2. **Route 100% traffic to Green** (10 minutes)
        3. **Verify Green environment stable** (15 minutes)
        """)
        #expect(d.targets == DerivedTargets(decideMs: 300_000, executeMs: 600_000, verifyMs: 900_000))
    }

    @Test func notStated() {
        let d = derive("""
        ## Rollback Procedures
        1. **Immediate Actions (0-5 minutes)**
           - [ ] Reduce traffic to 0% on new orchestration
        ### Rollback Execution (T+5 min)
        - [ ] Restore previous version
        """)
        #expect(d.targets == DerivedTargets())
        #expect(d.notes.contains { $0.contains("no rollback time targets stated") })
    }

    @Test func hoursTarget() {
        let d = derive("## Rollback\n- Execution: < 1 hour\n")
        #expect(d.targets == DerivedTargets(executeMs: 3_600_000))
        #expect(d.notes.contains { $0.contains("no rollback time target stated for decide or verify") })
    }
}

// MARK: - Hostile input

@Suite struct DeriveHostile {
    @Test func emptyAndOdd() {
        #expect(derive("").steps.isEmpty)
        let odd = [
            "- [ ] 100000000000000000000000% of traffic", "- [ ] Route 99999999999% of traffic -> 5%",
            "## Rollback Triggers\n- >", "## Rollback Triggers\n- < 5", "- [ ] 1:99-2:00 PM traffic 10%",
            "- [ ] P95 < 2s < 3s < 4s", "- [ ] ->->->10%->", "## SLOs\n- (((((< 5", "- [ ] Route 10% → (",
            "- [ ] 10% 20% 30% traffic", "## Rollback\n- Decision: 99999999999999999999 hours",
            "- [ ] Route 50%\u{0}of traffic", "- [ ] ≤≥≤≥ 5 %%% traffic", "- [ ] T+5 min 10% traffic",
        ]
        for s in odd { _ = derive(s) }
    }

    @Test func largeSyntheticChecklistCompletes() {
        var s = "# Big go-live\n\n## Ramp\n"
        for i in 0..<10_000 {
            switch i % 10 {
            case 0: s += "- [ ] T\(i) Route \(i % 100 + 1)% of traffic to canary → green (5 min observation)\n"
            case 1: s += "- [ ] T\(i) Monitor canary for 15 minutes; error rate < 0.1%, P95 latency < 2s\n"
            case 2: s += "  - [ ] T\(i) Availability ≥ 99.9% (\(i) %) -> \(i) -> \(i)%\n"
            case 3: s += "- Error rate > \(i)% for \(i) minutes\n"
            case 4: s += "## Rollback Triggers \(i)\n"
            case 5: s += "| Step | Traffic | Hold |\n|---|---|---|\n| 1 | \(i % 100)% | \(i) min |\n\n"
            default: s += "- [ ] T\(i) **Lead \(i):** something with 10:00 AM-5:00 PM and > \(i) ms\n"
            }
        }
        // One very long line too: many comparisons and percentages.
        s += "- [ ] " + String(repeating: "traffic 10% -> < 5 ms, ", count: 5_000) + "\n"
        let d = ChecklistParser.parse(s, path: "big.md").derive()
        #expect(!d.steps.isEmpty)
        #expect(zip(d.steps, d.steps.dropFirst()).allSatisfy { $0.percent < $1.percent })
        #expect(d.criteria.count > 100)
    }
}

