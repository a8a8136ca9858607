import Foundation
import Testing

/// Issue 16, defect 1: a secret warroom knows (a `token_env` value, an `environment.secret` value) never reaches the
/// screen, the journal, `warroom.log` or `view.json` through a hook's or a command source's output, and children do
/// not get warroom's environment.
@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct SecretsEndToEnd {
    let token = "prom-t0ken-\(UUID().uuidString.prefix(8))"
    let fooSecret = "foo-s3cret-\(UUID().uuidString.prefix(8))"

    /// The ramp run of RampEndToEnd with a token-protected (dead) Prometheus source, a secret variable, a passed
    /// KUBECONFIG, `extra` config (`{dir}` in it: the run's directory), and the token also in a file a hook can read.
    func makeRun(hook: String, extra: String = "") throws -> (dir: String, config: String) {
        let (dir, config) = try RampEndToEnd().makeRun(hold: "1s")
        try hook.write(toFile: dir + "/set-weight", atomically: true, encoding: .utf8)
        chmod(dir + "/set-weight", 0o755)
        try token.write(toFile: dir + "/tokenfile", atomically: true, encoding: .utf8)
        var yaml = try String(contentsOfFile: config, encoding: .utf8)
        yaml += """

        sources:
          prom: {prometheus: "http://127.0.0.1:9", token_env: PROM_TOKEN, interval: 1s, timeout: 500ms}
        \(extra.replacingOccurrences(of: "{dir}", with: dir))
        environment:
          pass: [KUBECONFIG]
          secret: [FOO_SECRET]

        """
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        return (dir, config)
    }

    func console(_ config: String, state: String) throws -> TmuxConsole {
        try TmuxConsole(command: "\(shellQuote(warroomBinary)) run \(shellQuote(config)) --state \(shellQuote(state))",
                        env: ["PROM_TOKEN": token, "FOO_SECRET": fooSecret, "KUBECONFIG": "/etc/kube/prod-eu"])
    }

    func expectNoSecret(in state: String, screen: String) throws {
        for file in ["journal.jsonl", "warroom.log", "view.json"] {
            let text = (try? String(contentsOfFile: state + "/" + file, encoding: .utf8)) ?? ""
            #expect(!text.isEmpty || file == "view.json", "\(file) is empty")
            #expect(!text.contains(token), "\(file) holds the token")
            #expect(!text.contains(fooSecret), "\(file) holds FOO_SECRET")
        }
        #expect(!screen.contains(token) && !screen.contains(fooSecret), "\(screen)")
    }

    @Test func aFailingHookPrintingTheTokenShowsTheMarkerOnly() throws {
        let (_, config) = try makeRun(hook: """
        #!/bin/sh
        exec 1>&2  # one stream: the lines arrive in order, the last one is on the message line
        echo "env: PROM_TOKEN=[$PROM_TOKEN] FOO_SECRET=[$FOO_SECRET] KUBECONFIG=[$KUBECONFIG] pct=[$WARROOM_PERCENT]"
        echo "foo: $(env | grep -c s3cret) vars"
        echo "leaked=$(cat tokenfile)"
        exit 1
        """)
        let state = (config as NSString).deletingLastPathComponent + "/state"
        let t = try console(config, state: state)
        t.waitFor(text: "READY")
        try t.send("g")
        t.waitFor(text: "reason for GO")
        try t.send("Escape")
        t.waitFor(text: "hook failed: exit 1")
        var s = t.waitFor(text: "leaked=[redacted]")
        try t.send("q")
        try t.send("y")
        #expect(t.waitForExit() == 0)
        s += t.screenWithHistory()
        try expectNoSecret(in: state, screen: s)
        let journal = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        // The hook saw its own variables and KUBECONFIG (passed), neither the token nor FOO_SECRET (not passed).
        #expect(journal.contains("env: PROM_TOKEN=[] FOO_SECRET=[] KUBECONFIG=[/etc/kube/prod-eu] pct=[10]"), "\(journal)")
        #expect(journal.contains("foo: 0 vars"))
        #expect(journal.contains("leaked=[redacted]"))
    }

    @Test func aCommandSourcePrintingTheTokenIsRedactedInTheView() throws {
        let (_, config) = try makeRun(hook: "#!/bin/sh\nexit 0\n", extra: """
          queue: {command: ["sh", "-c", "cat {dir}/tokenfile; echo \\"$FOO_SECRET\\" >&2"], interval: 1s}
          fail: {command: ["sh", "-c", "echo \\"$(cat {dir}/tokenfile) refused\\" >&2; exit 3"], interval: 1s}
        slos:
          - {name: Queue depth, source: queue, objective: "< 100"}
          - {name: Backlog, source: fail, objective: "< 100"}
        """)
        let state = (config as NSString).deletingLastPathComponent + "/state"
        let t = try console(config, state: state)
        t.waitFor(text: "Queue depth")  // UNKNOWN SLOs: not READY
        let deadline = Date().addingTimeInterval(20)
        var view = ""
        while Date() < deadline {
            view = (try? String(contentsOfFile: state + "/view.json", encoding: .utf8)) ?? ""
            if view.contains("output is not a number"), view.contains("exit 3") { break }
            usleep(200_000)
        }
        #expect(view.contains("output is not a number: \\\"[redacted]\\\""), "\(view)")
        #expect(view.contains("exit 3: [redacted] refused"), "\(view)")
        let s = t.screenWithHistory()
        try t.send("q")
        try t.send("y")
        #expect(t.waitForExit() == 0)
        try expectNoSecret(in: state, screen: s)
    }
}
