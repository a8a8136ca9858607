import Foundation
import Testing

/// `ramp.traffic: argo-rollouts` end to end in tmux against a stand-in kubectl (records its argv, answers with the
/// recorded Rollout, and a promote moves it to the next recorded state): the console hands the adapter the ramp's
/// steps, so a Rollout whose steps differ blocks with both lists named; once they agree, GO promotes once.
@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed"))
struct ArgoRolloutsEndToEnd {
    static func rollout(steps: [Int?], index: Int) -> String {
        let s = steps.map { $0.map { "{\"setWeight\":\($0)}" } ?? "{\"pause\":{}}" }.joined(separator: ",")
        return """
        {"apiVersion":"argoproj.io/v1alpha1","kind":"Rollout","metadata":{"name":"checkout","namespace":"shop"},
         "spec":{"strategy":{"canary":{"steps":[\(s)]}}},
         "status":{"currentPodHash":"7f9d6c","stableRS":"5b8c44","currentStepIndex":\(index),"phase":"Paused","abort":false}}
        """
    }

    @Test func theRampsStepsReachTheAdapterAndGoPromotes() throws {
        let dir = tempDir("argo-e2e")
        try """
        #!/bin/sh
        d="$(dirname "$0")"
        for a in "$@"; do printf '[%s]' "$a"; done >> "$d/calls"; echo >> "$d/calls"
        case "$1" in
          get) cat "$d/rollout.json" ;;
          argo) cp "$d/after-promote.json" "$d/rollout.json"; echo "rollout 'checkout' promoted" ;;
        esac
        """.write(toFile: dir + "/kubectl", atomically: true, encoding: .utf8)
        chmod(dir + "/kubectl", 0o755)
        try Self.rollout(steps: [nil, 20, nil], index: 0).write(toFile: dir + "/rollout.json", atomically: true, encoding: .utf8)
        let config = try writeRun(in: dir, """
        ramp:
          steps: [{percent: 10, hold: 1h}, {percent: 100, hold: 1h}]
          traffic:
            adapter: argo-rollouts
            rollout: checkout
            namespace: shop
            kubectl: \(dir)/kubectl
            check_every: 1s
        rollback:
          - {name: Security incident, manual: true}
        """)
        let state = dir + "/state"
        let t = try TmuxConsole(command: "\(shellQuote(warroomBinary)) run \(shellQuote(config)) --state \(shellQuote(state))")
        t.waitFor(text: "setWeight steps 20/100, ramp.steps are 10/100", timeout: 60)
        // The Rollout fixed to the ramp's steps (a pause first: 0 % until the first promote).
        try Self.rollout(steps: [nil, 10, nil], index: 2).write(toFile: dir + "/after-promote.json", atomically: true, encoding: .utf8)
        try Self.rollout(steps: [nil, 10, nil], index: 0).write(toFile: dir + "/rollout.json", atomically: true, encoding: .utf8)
        // The RAMP pane wraps the adapter's name onto a line of its own at 120 columns; the message line's copy fades.
        func traffic(_ p: Int) -> (String) -> Bool {
            { $0.contains("intended \(p) % · observed \(p) %") && $0.contains("(argo-rollouts)") && !$0.contains("READ-BACK FAILED") }
        }
        t.waitFor("the traffic at 0 %", timeout: 30, traffic(0))
        t.waitFor(text: "READY")
        try t.send("g")
        t.waitFor(text: "reason for GO")
        try t.send("Escape")
        t.waitFor("the traffic at 10 %", timeout: 30, traffic(10))
        let calls = try String(contentsOfFile: dir + "/calls", encoding: .utf8).split(separator: "\n")
        #expect(calls.filter { $0 == "[argo][rollouts][promote][checkout][-n][shop]" }.count == 1, "\(calls)")
        #expect(calls.allSatisfy { $0 == "[get][rollout][checkout][-n][shop][-o][json]" || $0.hasPrefix("[argo]") }, "\(calls)")
        try t.send("q")
        try t.send("y")
        #expect(t.waitForExit() == 0)
    }
}
