import Foundation
import Testing
import WarRoomCore
import WarRoomStore

/// A private tmux server (its own socket) running one console, driven like a person would:
/// send keys, then poll the screen until the expected text appears — never a blind sleep.
final class TmuxConsole {
    let socket: String
    let session = "wr"
    let dir: String

    init(width: Int = 120, height: Int = 40, command: String, env: [String: String] = [:]) throws {
        socket = "warroom-e2e-\(getpid())-\(UUID().uuidString.prefix(6))"
        dir = tempDir("tmux")
        let conf = dir + "/tmux.conf"
        try """
        set -g remain-on-exit on
        set -g status off
        set -g default-terminal tmux-256color
        """.write(toFile: conf, atomically: true, encoding: .utf8)
        var vars = ["WARROOM_NOW": "", "USER": "dana", "SUDO_USER": "dana", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"]
        for (k, v) in env { vars[k] = v }
        let envArgs = vars.flatMap { ["-e", "\($0.key)=\($0.value)"] }
        // tmux 3.3a often never records a dead pane's exit status (seen with sh and htop too), so the wrapper
        // writes it to a file.
        let script = dir + "/console.sh"
        // ^C reaches the whole foreground group; a no-op handler (not an ignore, which the console would inherit)
        // keeps the wrapper alive to record the status.
        try "trap : INT QUIT\n\(command)\necho $? > \(shellQuote(dir + "/exit-status"))\n".write(toFile: script, atomically: true, encoding: .utf8)
        let r = try tmux(["-f", conf, "new-session", "-d", "-x", "\(width)", "-y", "\(height)", "-s", session] + envArgs + ["sh " + shellQuote(script)])
        guard r.status == 0 else { throw Failure("tmux new-session failed: \(r.err)") }
    }

    deinit { _ = try? tmux(["kill-server"]) }

    @discardableResult
    func tmux(_ args: [String]) throws -> Result {
        // posix_spawn + waitpid, output to files: the tmux server daemonizes holding the client's descriptors
        // (a pipe would never end), and Foundation's Process did not reap the client here.
        let outPath = dir + "/tmux.out", errPath = dir + "/tmux.err"
        let argv = ["tmux", "-L", socket] + args
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var cargs = argv.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        // Test-runner threads block most signals and a spawned child inherits that mask: tmux needs SIGCHLD
        // (to see the console exit) and the console SIGWINCH and SIGHUP. Start tmux with a clean mask.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, "tmux", &actions, &attr, &cargs, environ)
        guard rc == 0 else { throw Failure("cannot start tmux: \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let o = FileManager.default.contents(atPath: outPath) ?? Data()
        let e = FileManager.default.contents(atPath: errPath) ?? Data()
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: code, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    func screen() -> String { (try? tmux(["capture-pane", "-p", "-t", session]).out) ?? "" }

    /// The screen with its scrollback (after exit, tmux's "Pane is dead" line scrolls the first line away).
    func screenWithHistory() -> String { (try? tmux(["capture-pane", "-p", "-S", "-", "-t", session]).out) ?? "" }

    func send(_ keys: String...) throws { try tmux(["send-keys", "-t", session] + keys) }

    /// Types text literally (no key-name interpretation).
    func type(_ text: String) throws { try tmux(["send-keys", "-t", session, "-l", text]) }

    /// Polls the screen until `predicate` holds; fails the test with the last screen otherwise.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 15, _ predicate: (String) -> Bool) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = screen()
            if predicate(last) { return last }
            // The console is gone: no point waiting out the timeout.
            if exitStatus() != nil {
                last = screen()
                if predicate(last) { return last }
                let text = "the console exited (status \(exitStatus() ?? -1)) while waiting for \(what); screen was:\n\(screenWithHistory())"
                Issue.record(Comment(rawValue: text))
                Self.keepFailure(text)
                return last
            }
            usleep(30_000)
        }
        Issue.record("timed out waiting for \(what); screen was:\n\(last)")
        Self.keepFailure("timed out waiting for \(what); screen was:\n\(last)")
        return last
    }

    /// Swift Testing does not always print a long comment whole (a CI log once kept only a screen's last rows): the
    /// failure goes to stderr as one short line, then whole to a file of its own in `WARROOM_E2E_FAILURES`, which
    /// `scripts/test` prints at the end of a failed run.
    static func keepFailure(_ text: String) {
        let first = text.prefix { $0 != "\n" }
        FileHandle.standardError.write(Data("e2e: \(first)\n".utf8))
        guard let dir = ProcessInfo.processInfo.environment["WARROOM_E2E_FAILURES"], !dir.isEmpty else { return }
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/\(getpid())-\(UInt32.random(in: 0...UInt32.max)).txt"
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @discardableResult
    func waitFor(text: String, timeout: Double = 15) -> String { waitFor("“\(text)”", timeout: timeout) { $0.contains(text) } }

    /// The console's exit status, once it has exited.
    func exitStatus() -> Int? {
        guard let text = try? String(contentsOfFile: dir + "/exit-status", encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func waitForExit(timeout: Double = 15) -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let s = exitStatus() { return s }
            usleep(30_000)
        }
        Issue.record("console did not exit; screen:\n\(screen())")
        Self.keepFailure("console did not exit; screen:\n\(screen())")
        return -1
    }

    /// `/ID Enter`, as a person finds an item; waits until the console reports the match.
    func search(_ id: String) throws {
        try send("/")
        try type(id)
        try send("Enter")
        waitFor(text: "“\(id)”: match 1 of")
    }

    /// Finds an item and toggles it done; waits until the journal has saved it.
    func checkItem(_ id: String) throws {
        try search(id)
        try send("Space")
        waitFor(text: "saved: \(id) done")
    }

    func resize(_ w: Int, _ h: Int) throws { try tmux(["resize-window", "-t", session, "-x", "\(w)", "-y", "\(h)"]) }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func shellQuote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

let tmuxAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")

@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct ConsoleEndToEnd {
    func consoleCommand(state: String, extra: String = "") -> String {
        "\(shellQuote(warroomBinary)) run --checklist \(shellQuote(canary)) --state \(shellQuote(state)) \(extra)"
    }

    @Test func checkAnItemQuitRestartStillChecked() throws {
        let state = tempDir("e2e") + "/state"
        var t: TmuxConsole? = try TmuxConsole(command: consoleCommand(state: state))
        t!.waitFor(text: "CHECKLIST")
        t!.waitFor(text: "DRIVING")
        try t!.checkItem("T102")
        t!.waitFor(text: "done by dana")
        // While it runs the crew may append: a `check` goes into the journal, and the console shows it.
        let crew = try warroom(["check", "T103", "--checklist", canary, "--state", state, "--actor", "lee"])
        #expect(crew.status == 0, "\(crew.err)")
        t!.waitFor(text: "lee: saved: T103 done")
        try t!.send("q")
        t!.waitFor(text: "Quit warroom?")
        try t!.send("y")
        #expect(t!.waitForExit() == 0)
        let after = t!.screenWithHistory()
        #expect(after.contains("warroom: state directory \(state)"), "state directory printed on exit")
        #expect(!after.contains("CHECKLIST"), "the console's screen is gone: terminal restored")
        t = nil

        let status = try warroom(["status", "--checklist", canary, "--state", state, "--json"])
        #expect(status.out.contains("\"id\" : \"T102\""))
        let json = try JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any]
        let items = json?["items"] as? [[String: Any]] ?? []
        #expect(items.first { $0["id"] as? String == "T102" }?["status"] as? String == "done")

        let again = try TmuxConsole(command: consoleCommand(state: state))
        again.waitFor(text: "CHECKLIST")
        try again.search("T102")
        again.waitFor(text: "done by dana", timeout: 10)
        again.waitFor(text: "4/46 ")
    }

    @Test func resizeThroughEverySize() throws {
        let state = tempDir("e2e") + "/state"
        let t = try TmuxConsole(width: 120, height: 40, command: consoleCommand(state: state))
        t.waitFor(text: "CONTACTS")
        t.waitFor(text: "Dana Whitfield")
        // The selected first row holds an emoji: it must reach the screen whole, not as "?".
        t.waitFor(text: "▾ 📋 Pre-Deployment (T-24h)")
        try t.resize(80, 24)
        t.waitFor("80×24 layout") { s in !s.contains("CONTACTS") && s.contains("CHECKLIST") && s.contains("RAMP") && s.contains("SLO") && s.contains("ROLLBACK") }
        try t.resize(50, 12)
        t.waitFor(text: "terminal too small — need 60×15")
        try t.resize(120, 40)
        let s = t.waitFor("full layout again") { $0.contains("CONTACTS") && $0.contains("DECISIONS") && !$0.contains("too small") }
        let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count >= 40)
    }

    @Test func killedPaneLeavesAnIntactJournal() throws {
        let state = tempDir("e2e") + "/state"
        let t = try TmuxConsole(command: consoleCommand(state: state))
        t.waitFor(text: "CHECKLIST")
        for id in ["T102", "T104"] {
            try t.checkItem(id)
        }
        try t.tmux(["kill-pane", "-t", t.session]) // tmux sends SIGHUP
        // The lock is released once the process is gone; then the journal must verify and hold both changes.
        let deadline = Date().addingTimeInterval(10)
        var check = try warroom(["check", "T110", "--checklist", canary, "--state", state])
        while check.status != 0, Date() < deadline {
            usleep(50_000)
            check = try warroom(["check", "T110", "--checklist", canary, "--state", state])
        }
        #expect(check.status == 0, "\(check.err)")
        let verify = try warroom(["verify", "--state", state])
        #expect(verify.status == 0, "\(verify.err)")
        #expect(verify.out.contains("5 entries"), "run.started, run.config and three checks")
        let log = (try? String(contentsOfFile: state + "/warroom.log", encoding: .utf8)) ?? ""
        #expect(log.contains("console stopped: signal 1"), "\(log)")
    }

    @Test func diskFullSaysNotSavedAndChangesNothing() throws {
        let state = tempDir("e2e") + "/state"
        // A 3 KiB file-size limit (`ulimit -f` counts 512-byte blocks in sh): after the run.config line (about 1.8 KiB)
        // and a few more the journal's writes fail (EFBIG), as on a full disk.
        // The run starts without the limit (its config line and checklist copy are written), then the console
        // reopens under it.
        let first = try TmuxConsole(command: consoleCommand(state: state))
        first.waitFor(text: "CHECKLIST")
        try first.send("q")
        try first.send("y")
        #expect(first.waitForExit() == 0)
        let t = try TmuxConsole(command: "ulimit -f 6; " + consoleCommand(state: state))
        t.waitFor(text: "CHECKLIST")
        var failed: String?
        for id in ["T102", "T103", "T104", "T105", "T106", "T107", "T108", "T110", "T111", "T112", "T113", "T114", "T120",
                   "T121", "T125", "T126", "T130", "T131", "T132", "T133"] {
            try t.search(id)
            try t.send("Space")
            let s = t.waitFor("saved or NOT SAVED for \(id)") { $0.contains("saved: \(id) done") || $0.contains("NOT SAVED") }
            if s.contains("NOT SAVED") {
                failed = id
                #expect(s.contains("\(id) · line") && s.contains(" · open"), "the item is still shown open")
                break
            }
        }
        let id = try #require(failed, "no write failed under a 3 KiB file-size limit")
        try t.send("q")
        try t.send("y")
        #expect(t.waitForExit() == 0)
        let verify = try warroom(["verify", "--state", state])
        #expect(verify.status == 0, "a failed write leaves the journal consistent: \(verify.err)")
        let status = try warroom(["status", "--checklist", canary, "--state", state, "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any]
        let items = json?["items"] as? [[String: Any]] ?? []
        #expect(items.first { $0["id"] as? String == id }?["status"] as? String == "open")
    }

    /// ^C typed at the keyboard, SIGTERM from a supervisor, and a crash: each restores the terminal and keeps the journal.
    @Test(arguments: [("C-c", 130), ("C-\\", 131), ("TERM", 143), ("USR1", 138), ("SEGV", 139)])
    func everyExitPathRestoresTheTerminal(_ how: String, _ expected: Int) throws {
        let state = tempDir("e2e") + "/state"
        let t = try TmuxConsole(command: consoleCommand(state: state))
        t.waitFor(text: "CHECKLIST")
        try t.checkItem("T102")
        if how.hasPrefix("C-") {
            try t.send(how)
        } else {
            let log = try String(contentsOfFile: state + "/warroom.log", encoding: .utf8)
            let pid = try #require(log.firstMatch(of: #/pid (\d+)/#).flatMap { Int32($0.1) })
            let signals: [String: Int32] = ["TERM": SIGTERM, "USR1": SIGUSR1, "SEGV": SIGSEGV]
            kill(pid, try #require(signals[how]))
        }
        #expect(t.waitForExit() == expected)
        let after = t.screenWithHistory()
        #expect(!after.contains("CHECKLIST"), "the console's alternate screen was left: terminal restored")
        let verify = try warroom(["verify", "--state", state])
        #expect(verify.status == 0, "\(verify.err)")
        #expect(verify.out.contains("3 entries"), "run.started, run.config and the check")
    }

    @Test func controlSDoesNotFreezeTheScreen() throws {
        let state = tempDir("e2e") + "/state"
        let t = try TmuxConsole(command: consoleCommand(state: state))
        t.waitFor(text: "CHECKLIST")
        try t.send("C-s")
        try t.send("/")
        try t.type("T104")
        try t.send("Enter")
        t.waitFor(text: "“T104”: match 1 of 1", timeout: 5)
        try t.send("C-q", "q", "y")
        #expect(t.waitForExit() == 0)
    }

    @Test(arguments: ["tmux-256color", "screen-256color"])
    func worksUnderCommonTerminals(_ term: String) throws {
        let state = tempDir("e2e") + "/state"
        let t = try TmuxConsole(command: "TERM=\(term) " + consoleCommand(state: state))
        t.waitFor(text: "CHECKLIST")
        try t.send("?")
        t.waitFor(text: "KEYS")
        try t.send("Escape")
        t.waitFor("help closed") { !$0.contains("KEYS") }
        try t.send("q")
        try t.send("y")
        #expect(t.waitForExit() == 0)
    }
}
