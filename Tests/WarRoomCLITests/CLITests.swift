import Foundation
import Testing
import WarRoomCore
import WarRoomStore

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let canary = repoRoot.appendingPathComponent("checklists/canary-go-live.md").path

/// The `warroom` binary built beside this test bundle (or $WARROOM_BIN).
let warroomBinary: String = {
    if let b = ProcessInfo.processInfo.environment["WARROOM_BIN"] { return b }
    let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for dir in [here, here.deletingLastPathComponent()] {
        let p = dir.appendingPathComponent("warroom").path
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return repoRoot.appendingPathComponent(".build/debug/warroom").path
}()

struct Result {
    var status: Int32
    var out: String
    var err: String
}

@discardableResult
func warroom(_ args: [String], env: [String: String] = [:], cwd: String? = nil) throws -> Result {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: warroomBinary)
    p.arguments = args
    var environment = ProcessInfo.processInfo.environment
    environment["WARROOM_NOW"] = "2026-11-23T09:00:00Z"
    environment["USER"] = "dana"
    environment["SUDO_USER"] = "dana" // the actor default takes SUDO_USER first
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Result(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
}

func tempDir(_ name: String = "t") -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("warroom-cli-\(name)-\(UUID().uuidString.prefix(8))").path
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// A run's files in `dir` for the end-to-end tests: the canary checklist as `checklist.md`, and `warroom.yaml` for
/// service checkout-api on it, followed by `rest` (the ramp, criteria, notify: …). Returns the config's path.
func writeRun(in dir: String, _ rest: String) throws -> String {
    try FileManager.default.copyItem(atPath: canary, toPath: dir + "/checklist.md")
    let config = dir + "/warroom.yaml"
    try ("service: checkout-api\nchecklist: checklist.md\n" + rest).write(toFile: config, atomically: true, encoding: .utf8)
    return config
}

/// Golden CLI output, with the parts that vary by machine (temp paths, run IDs) replaced.
func checkGolden(_ name: String, _ text: String, replacing: [String: String] = [:]) throws {
    var t = text
    for (k, v) in replacing { t = t.replacingOccurrences(of: k, with: v) }
    t = t.replacingOccurrences(of: repoRoot.path + "/", with: "")
    t = t.replacing(#/run [0-9a-f]{8}/#, with: "run RUNID").replacing(#/"id" : "[0-9a-f]{8}"/#, with: #""id" : "RUNID""#)
    let url = repoRoot.appendingPathComponent("Tests/Fixtures/cli/\(name)")
    if ProcessInfo.processInfo.environment["WARROOM_RECORD"] == "1" {
        try t.write(to: url, atomically: true, encoding: .utf8)
        return
    }
    let expected = try #require(try? String(contentsOf: url, encoding: .utf8), "missing golden \(name) — record with WARROOM_RECORD=1")
    #expect(t == expected, "\(name) differs from its golden file")
}

@Suite(.serialized) struct LintCommand {
    @Test func projectChecklistsAreClean() throws {
        let files = ["canary-go-live.md", "blue-green-go-live.md", "database-migration.md"].map { repoRoot.appendingPathComponent("checklists/\($0)").path }
        let r = try warroom(["lint"] + files)
        #expect(r.status == 0, "\(r.out)\(r.err)")
        try checkGolden("lint-checklists.txt", r.out)
    }

    @Test func jsonShape() throws {
        let bad = tempDir("lint") + "/bad.md"
        try Data([0xEF, 0xBB, 0xBF] + Array("# x\n- [ ] ok\n- [ ] bad ".utf8) + [0xFF] + Array("\n- [ ] T1 a\n- [ ] T1 b\n".utf8)).write(to: URL(fileURLWithPath: bad))
        let r = try warroom(["lint", "--json", canary, bad])
        #expect(r.status == 1)
        try checkGolden("lint.json", r.out, replacing: [bad: "bad.md"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let files = try #require(json["files"] as? [[String: Any]])
        #expect(files.map { $0["items"] as? Int } == [46, 4])
        #expect(Set(files[0].keys) == ["path", "kind", "sections", "items", "done", "errors", "warnings"])
    }

    @Test func badInputNamesFileAndLine() throws {
        let d = tempDir("lint")
        FileManager.default.createFile(atPath: d + "/empty.md", contents: Data())
        FileManager.default.createFile(atPath: d + "/prose.md", contents: Data("# Notes\n\nnothing to do\n".utf8))
        let r = try warroom(["lint", d + "/empty.md", d + "/prose.md", d + "/missing.md"])
        #expect(r.status == 1)
        #expect(r.out.contains("\(d)/empty.md:1: error: file is empty"))
        #expect(r.out.contains("\(d)/prose.md:1: error: no checklist items"))
        #expect(r.out.contains("\(d)/missing.md:1: error: no such file"))
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: repoRoot.appendingPathComponent("Tests/Fixtures/seeds").path)))
    func seedsLint() throws {
        let dir = repoRoot.appendingPathComponent("Tests/Fixtures/seeds").path
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted().map { dir + "/" + $0 }
        let r = try warroom(["lint", "--json"] + files)
        #expect(r.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let counts = (json["files"] as? [[String: Any]] ?? []).map { [$0["items"] as? Int ?? -1, $0["done"] as? Int ?? -1] }
        #expect(counts == [[204, 0], [282, 0], [101, 0], [121, 0], [168, 9]])
    }
}

@Suite(.serialized) struct UsageAndHelp {
    @Test(arguments: ["run", "init", "follow", "lint", "check", "status", "verify", "report", "replay", "demo"])
    func helpOnEveryCommand(_ command: String) throws {
        let r = try warroom([command, "--help"])
        #expect(r.status == 0)
        #expect(r.out.contains("USAGE: warroom \(command)"))
    }

    @Test func usageErrorsExit2() throws {
        #expect(try warroom(["frobnicate"]).status == 2)
        #expect(try warroom(["check", "T100", "--checklist", canary]).status == 2, "missing --state")
        #expect(try warroom(["check", "T100", "--checklist", canary, "--state", "x", "--skip", "a", "--block", "b"]).status == 2)
        #expect(try warroom(["check", "T100", "--checklist", canary, "--state", "x", "--skip", " "]).status == 2)
        #expect(try warroom(["run"]).status == 2)
    }
}

@Suite(.serialized) struct CheckStatusVerify {
    /// Undo is your own: another person's change needs --force and a reason, which is journaled with the undo.
    @Test func undoingSomeoneElsesChangeIsRefusedUnlessForced() throws {
        let state = tempDir("undo") + "/state"
        var r = try warroom(["check", "T102", "--checklist", canary, "--state", state, "--actor", "lee"])
        #expect(r.status == 0, "\(r.err)")
        r = try warroom(["check", "T102", "--checklist", canary, "--state", state, "--undo", "--actor", "dana"])
        #expect(r.status == 1)
        #expect(r.err.contains("T102: refused — its last change (done, journal seq 2, 2026-11-23T09:00:00.000Z) was made by lee, not dana"),
                "\(r.err)")
        #expect(r.err.contains("--force REASON"))
        let journal = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        #expect(journal.split(separator: "\n").count == 2, "nothing written")

        r = try warroom(["check", "T102", "--checklist", canary, "--state", state, "--undo", "--force", "lee is off shift; soak not done",
                         "--actor", "dana"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.hasPrefix("T102 open — undid lee's done"))
        #expect(r.out.contains("reason: lee is off shift; soak not done"))
        let last = try #require(try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8).split(separator: "\n").last)
        #expect(last.contains("\"type\":\"item.undo\"") && last.contains("\"actor\":\"dana\"")
                && last.contains("\"reason\":\"lee is off shift; soak not done\""), "\(last)")
        #expect(try warroom(["verify", "--state", state]).status == 0)

        // Your own change needs no --force; --force without --undo is a usage error.
        r = try warroom(["check", "T102", "--checklist", canary, "--state", state, "--actor", "lee"])
        r = try warroom(["check", "T102", "--checklist", canary, "--state", state, "--undo", "--actor", "lee"])
        #expect(r.status == 0, "\(r.err)")
        r = try warroom(["check", "T102", "--checklist", canary, "--state", state, "--force", "x"])
        #expect(r.status != 0 && r.err.contains("--force goes with --undo"))
    }

    @Test func aRunFromFirstCheckToStatus() throws {
        let state = tempDir("run") + "/state"
        var r = try warroom(["check", "T102", "--checklist", canary, "--state", state, "--note", "soak 14h, clean"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.hasPrefix("T102 done — Staging soak completed"))
        r = try warroom(["check", "T102", "--checklist", canary, "--state", state])
        #expect(r.status == 0)
        #expect(r.out.contains("already done (by dana at 2026-11-23T09:00:00.000Z); nothing changed"))
        r = try warroom(["check", "T103a", "--checklist", canary, "--state", state, "--block", "replay cluster down", "--actor", "lee"])
        #expect(r.status == 0)
        r = try warroom(["check", "T107", "--checklist", canary, "--state", state, "--skip", "token rotated last week"], env: ["WARROOM_NOW": "2026-11-23T09:05:30Z"])
        #expect(r.status == 0)
        r = try warroom(["check", "T103", "--checklist", canary, "--state", state])
        #expect(r.out.contains("1 sub-item is still open"), "T103a is blocked, T103b open")
        r = try warroom(["check", "T103", "--checklist", canary, "--state", state, "--undo"])
        #expect(r.status == 0)
        #expect(r.out.hasPrefix("T103 open — undid dana's done"))
        r = try warroom(["check", "T103", "--checklist", canary, "--state", state, "--undo"])
        #expect(r.status == 1)
        #expect(r.err.contains("T103 has no change to undo"))

        let status = try warroom(["status", "--checklist", canary, "--state", state])
        #expect(status.status == 0)
        try checkGolden("status.txt", status.out, replacing: [state: "STATE"])
        let json = try warroom(["status", "--checklist", canary, "--state", state, "--json"])
        try checkGolden("status.json", json.out, replacing: [state: "STATE"])

        let verify = try warroom(["verify", "--state", state])
        #expect(verify.status == 0, "\(verify.err)")
        #expect(verify.out.contains("chain intact, 6 entries"))

        // Permissions: directories 0700 (the state directory and its kept checklists), files 0600.
        let attrs = try FileManager.default.attributesOfItem(atPath: state)
        #expect((attrs[.posixPermissions] as? Int) == 0o700)
        let files = try #require(FileManager.default.subpaths(atPath: state))
        #expect(files.contains { $0.hasPrefix("checklists/") }, "the run keeps its checklist")
        for f in files {
            let a = try FileManager.default.attributesOfItem(atPath: state + "/" + f)
            let dir = (a[.type] as? FileAttributeType) == .typeDirectory
            #expect((a[.posixPermissions] as? Int) == (dir ? 0o700 : 0o600), "\(f)")
        }
    }

    @Test func unknownItemSuggests() throws {
        let state = tempDir("run") + "/state"
        let r = try warroom(["check", "T13", "--checklist", canary, "--state", state])
        #expect(r.status == 1)
        #expect(r.err.contains("no item with ID T13; did you mean:"))
        #expect(r.err.contains("T130  Route 10% of traffic to canary"))
        #expect(!FileManager.default.fileExists(atPath: state + "/journal.jsonl"), "a failed check writes nothing")
    }

    @Test func checkAppendsWhileAConsoleDrivesAndASecondDriverIsRefused() throws {
        let state = tempDir("lease") + "/state"
        let driver = try JournalWriter.open(stateDir: state, actor: "marco", now: 0)
        defer { driver.close() }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try driver.acquireLease(now: now)
        defer { try? driver.releaseLease(now: now) }
        let r = try warroom(["check", "T102", "--checklist", canary, "--state", state])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("journal seq 1") == false && r.out.contains("T102 done"), "\(r.out)")
        // The driver sees it at its next look.
        #expect(try driver.catchUp(now: now).map(\.body.type) == ["run.started", "item.set"])
        // Only one driver: a second console is refused, naming the holder, before it touches the terminal.
        let second = try warroom(["run", "--checklist", canary, "--state", state])
        #expect(second.status == 1)
        #expect(second.err.contains("cannot drive") && second.err.contains("held by marco (pid \(ProcessInfo.processInfo.processIdentifier)"),
                "\(second.err)")
        #expect(try warroom(["status", "--checklist", canary, "--state", state]).status == 0)
        #expect(try warroom(["verify", "--state", state]).status == 0)
    }

    @Test func verifyNamesTheFirstBadLine() throws {
        let state = tempDir("tamper") + "/state"
        for id in ["T102", "T104", "T110"] { try warroom(["check", id, "--checklist", canary, "--state", state]) }
        let path = state + "/journal.jsonl"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"T104\"", with: "\"T105\"")
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        let r = try warroom(["verify", "--state", state])
        #expect(r.status == 1)
        #expect(r.err.contains("journal.jsonl:3:"), "\(r.err)")
        #expect(try warroom(["status", "--checklist", canary, "--state", state]).status == 1, "status refuses a damaged journal too")
    }

    @Test func editedChecklistReportsOrphanedState() throws {
        let dir = tempDir("edit")
        let list = dir + "/c.md"
        try "## A\n- [ ] keep me\n- [ ] remove me\n".write(toFile: list, atomically: true, encoding: .utf8)
        let before = try warroom(["lint", "--json", list])
        #expect(before.status == 0)
        let c = ChecklistParser.parse("## A\n- [ ] keep me\n- [ ] remove me\n", path: list)
        try warroom(["check", c.items[1].id, "--checklist", list, "--state", dir + "/s"])
        try "## A\n- [ ] keep me\n- [ ] added\n".write(toFile: list, atomically: true, encoding: .utf8)
        let r = try warroom(["status", "--checklist", list, "--state", dir + "/s"])
        #expect(r.status == 0)
        #expect(r.out.contains("the checklist changed since this run started"))
        #expect(r.out.contains("State for items no longer in the checklist:\n  \(c.items[1].id): done by dana"))
    }
}

@Suite(.serialized) struct LintThemes {
    @Test func shippedThemesAreClean() throws {
        let files = ["default", "light", "high-contrast", "monochrome"].map { repoRoot.appendingPathComponent("themes/\($0).yaml").path }
        let r = try warroom(["lint", "--json"] + files)
        #expect(r.status == 0, "\(r.out)")
        let json = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        #expect((json?["files"] as? [[String: Any]])?.map { $0["kind"] as? String } == ["theme", "theme", "theme", "theme"])
    }

    @Test func badThemeNamesFileAndLine() throws {
        let path = tempDir("theme") + "/mine.yaml"
        try "name: mine\nroles:\n  ok: green\n  sucess: red\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try warroom(["lint", path])
        #expect(r.status == 1)
        #expect(r.out.contains("\(path):4: error: unknown role"), "\(r.out)")
    }

    @Test func configIsRecognisedAndNotMistakenForATheme() throws {
        let path = tempDir("cfg") + "/warroom.yaml"
        try "# run config\nservice: checkout-api\nramp:\n  steps: [10, 25]\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try warroom(["lint", "--json", path])
        #expect(r.status == 1)
        #expect(r.out.contains("\"kind\" : \"config\""))
        #expect(r.out.contains("missing checklist:"), "\(r.out)")
        // With its checklist beside it the same config is clean; a typo names its line.
        try FileManager.default.copyItem(atPath: canary, toPath: (path as NSString).deletingLastPathComponent + "/canary.md")
        try "service: checkout-api\nchecklist: canary.md\nramp:\n  steps: [10, 25]\n  hold: 5m\n".write(toFile: path, atomically: true, encoding: .utf8)
        let ok = try warroom(["lint", path])
        #expect(ok.status == 0, "\(ok.out)\(ok.err)")
        #expect(ok.out.contains("config, 2 ramp steps"), "\(ok.out)")
        try "service: checkout-api\nchecklist: canary.md\nramp:\n  steps: [10, 25]\n  hold: five minutes\n".write(toFile: path, atomically: true, encoding: .utf8)
        let bad = try warroom(["lint", path])
        #expect(bad.status == 1)
        #expect(bad.out.contains("\(path):5: error: ramp.hold: \"five minutes\" is not a duration"), "\(bad.out)")
    }
}

@Suite(.serialized) struct HeadFileWarnings {
    @Test(arguments: ["delete", "empty"])
    func aMissingOrEmptyHeadIsReportedNotSilent(_ how: String) throws {
        let state = tempDir("head") + "/state"
        for id in ["T102", "T104"] { try warroom(["check", id, "--checklist", canary, "--state", state]) }
        let head = state + "/head"
        if how == "delete" { try FileManager.default.removeItem(atPath: head) } else { try Data().write(to: URL(fileURLWithPath: head)) }
        let r = try warroom(["verify", "--state", state])
        #expect(r.status == 0)
        #expect(r.err.contains("deleted trailing lines cannot be detected"), "\(r.err)")
    }
}

/// A monotonic clock in ns, for measuring waits in the end-to-end tests.
func monoNS() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Wall-clock now in ms since the epoch (leases and journal times).
func wallMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
