import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Text from a checklist or a note reaches the terminal of whoever runs `check`, `status`, `report` or `sign`, and
/// `cat`s a report: an escape sequence in it must arrive as visible pictures, never as an escape.
@Suite struct HostileText {
    static let retitle = "\u{1B}]0;pwned\u{07}"
    static let clear = "\u{1B}[2J"

    @Test func controlCharactersNeverReachTheTerminal() throws {
        let dir = tempDir("hostile")
        let checklist = dir + "/list.md"
        try """
        # Go-live \(Self.clear)
        ## Before
        - [ ] T1 Drain the queue\(Self.retitle) then \u{9B}31m continue
        - [ ] T2 Announce
        - [ ] **Engineering Lead\u{1B}[5m:** [Name/Date] ____
        """.write(toFile: checklist, atomically: true, encoding: .utf8)
        let state = dir + "/state"
        var outputs: [(String, Result)] = []
        outputs.append(("check", try warroom(["check", "T1", "--checklist", checklist, "--state", state, "--note", "ok \(Self.retitle)\(Self.clear)"])))
        outputs.append(("check --skip", try warroom(["check", "T2", "--checklist", checklist, "--state", state, "--skip", "no \u{07}bell"])))
        outputs.append(("status", try warroom(["status", "--checklist", checklist, "--state", state])))
        outputs.append(("report", try warroom(["report", "--checklist", checklist, "--state", state])))
        outputs.append(("check unknown", try warroom(["check", "T9\u{1B}[2J", "--checklist", checklist, "--state", state])))
        let report = dir + "/report.md"
        outputs.append(("report --output", try warroom(["report", "--checklist", checklist, "--state", state, "--output", report])))
        for (name, r) in outputs {
            for (stream, text) in [("stdout", r.out), ("stderr", r.err)] {
                #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B },
                        "\(name) \(stream) carries a control character: \(text.debugDescription)")
            }
        }
        #expect(outputs[0].1.status == 0 && outputs[2].1.status == 0 && outputs[3].1.status == 0, "\(outputs.map { $0.1.err })")
        #expect(outputs[2].1.out.contains("␛]0;pwned␇"), "shown as pictures: \(outputs[2].1.out)")
        #expect(outputs[4].1.status != 0 && outputs[4].1.err.contains("T9␛[2J"), "\(outputs[4].1.err)")
        let written = try String(contentsOfFile: report, encoding: .utf8)
        #expect(!written.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "the report file")
        #expect(written.contains("␛]0;pwned␇"))
        // The journal keeps what was typed, byte for byte: the evidence is not rewritten.
        let journal = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        #expect(journal.contains("\\u001b]0;pwned\\u0007"))
    }
}

/// A state directory that cannot be read as a run is never shown as "no run yet, 0 % done": each command exits 1
/// naming the path and the cause.
@Suite struct HonestStateErrors {
    @Test func aFileForTheStateDirectoryIsNamed() throws {
        let dir = tempDir("statefile")
        let file = dir + "/state"
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        for args in [["status", "--checklist", canary, "--state", file], ["check", "T100", "--checklist", canary, "--state", file],
                     ["verify", "--state", file], ["report", "--checklist", canary, "--state", file]] {
            let r = try warroom(args)
            #expect(r.status == 1 && r.err.contains(file) && r.err.contains("is a regular file, not a state directory"),
                    "\(args[0]): \(r.status) \(r.err)")
        }
    }

    @Test func aDeletedJournalIsNotANewRun() throws {
        let state = tempDir("deleted") + "/state"
        #expect(try warroom(["check", "T100", "--checklist", canary, "--state", state]).status == 0)
        try FileManager.default.removeItem(atPath: state + "/journal.jsonl")
        for args in [["status", "--checklist", canary, "--state", state], ["verify", "--state", state],
                     ["report", "--checklist", canary, "--state", state]] {
            let r = try warroom(args)
            #expect(r.status == 1 && r.err.contains("journal.jsonl: missing, but") && r.err.contains("acknowledged: the journal was deleted or moved"),
                    "\(args[0]): \(r.status) \(r.err)")
            #expect(!r.out.contains("no run yet"))
        }
        // A directory that never had a run is still just that.
        let fresh = tempDir("fresh")
        let r = try warroom(["status", "--checklist", canary, "--state", fresh])
        #expect(r.status == 0 && r.out.contains("no run yet"), "\(r.err)")
    }
}

/// Configs that are not what they should be get an error naming the file, the line and what is wrong — from `lint`
/// and from the commands that load them alike; never a blank `warroom: `, never "not found" for a file that is there.
@Suite struct BadConfigInput {
    func write(_ dir: String, _ name: String, _ bytes: [UInt8]) throws -> String {
        let p = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    @Test func eachMistakeIsNamedByLintAndByStatus() throws {
        let dir = tempDir("badcfg")
        try FileManager.default.copyItem(atPath: canary, toPath: dir + "/list.md")
        #expect(mkfifo(dir + "/fifo.md", 0o600) == 0)
        let cases: [(String, [UInt8], String)] = [
            ("utf8.yaml", Array("service: a".utf8) + [0xFF, 0xFE] + Array("\nchecklist: list.md\n".utf8), ":1: error: not UTF-8 text (byte 11 of line 1)"),
            ("empty.yaml", [], ":1: error: the config is empty"),
            ("scalar.yaml", Array("hello\n".utf8), ":1: error: a config must be a mapping with service, checklist and ramp (found a scalar)"),
            ("list.yaml", Array("- a\n- b\n".utf8), ":1: error: a config must be a mapping with service, checklist and ramp (found a list)"),
            ("devnull.yaml", Array("service: x\nchecklist: /dev/null\n".utf8), ":2: error: checklist /dev/null is a character device, not a regular file"),
            ("dir.yaml", Array("service: x\nchecklist: \(dir)\n".utf8), ":2: error: checklist \(dir) is a directory, not a file"),
            ("fifo.yaml", Array("service: x\nchecklist: fifo.md\n".utf8), ":2: error: checklist fifo.md is a FIFO, not a regular file"),
        ]
        for (name, bytes, expected) in cases {
            let path = try write(dir, name, bytes)
            let lint = try warroom(["lint", path])
            #expect(lint.status == 1 && lint.out.contains(path + expected) && !lint.out.contains("theme"), "lint \(name): \(lint.out)")
            let status = try warroom(["status", "--config", path, "--state", dir + "/state"])
            #expect(status.status == 1 && status.err.contains(path + expected), "status \(name): \(status.err)")
        }
        #expect(try warroom(["lint", repoRoot.appendingPathComponent("themes/light.yaml").path]).status == 0, "a theme is still a theme")
    }

    @Test func aSymlinkedStateDirectoryIsRefusedAndAnOpenOneTightened() throws {
        let dir = tempDir("symlink")
        let real = dir + "/real"
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: real)
        let viaLink = try warroom(["check", "T102", "--checklist", canary, "--state", dir + "/link"])
        #expect(viaLink.status == 1 && viaLink.err.contains("is a symbolic link (to \(real))"), "\(viaLink.err)")
        #expect(!FileManager.default.fileExists(atPath: real + "/journal.jsonl"), "nothing written through the link")
        #expect(try warroom(["check", "T102", "--checklist", canary, "--state", real]).status == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: real)[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }
}

/// The chain is unkeyed: whoever can write the files can rewrite it consistently, and `verify` alone then passes. A
/// witness taken before (`warroom witness`, pasted into the ticket) catches both a rewritten and a shortened history.
@Suite struct Witnessing {
    func firstLineOnly(_ from: String, into: String) throws {
        let lines = try String(contentsOfFile: from + "/journal.jsonl", encoding: .utf8).split(separator: "\n")
        try FileManager.default.createDirectory(atPath: into, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try (lines[0] + "\n").write(toFile: into + "/journal.jsonl", atomically: true, encoding: .utf8)
        let hash = String(lines[0].suffix(66).prefix(64))
        let head = "{\"seq\":1,\"hash\":\"\(hash)\"}"
        try (head + String(repeating: " ", count: 127 - head.utf8.count) + "\n").write(toFile: into + "/head", atomically: true, encoding: .utf8)
    }

    @Test func aConsistentRewriteOrCutIsCaughtByAnEarlierWitness() throws {
        let dir = tempDir("witness")
        let state = dir + "/state"
        #expect(try warroom(["check", "T102", "--checklist", canary, "--state", state, "--note", "the real one"]).status == 0)
        let w = try warroom(["witness", "--state", state])
        #expect(w.status == 0 && w.out.hasPrefix("warroom-witness run="), "\(w.err)")
        try w.out.write(toFile: dir + "/ticket.txt", atomically: true, encoding: .utf8)
        #expect(try warroom(["check", "T104", "--checklist", canary, "--state", state]).status == 0)
        let ok = try warroom(["verify", "--state", state, "--witness", dir + "/ticket.txt"])
        #expect(ok.status == 0 && ok.out.contains("the journal extends it"), "\(ok.err)")

        // Rewritten: the same first line (same run), another second line, the chain recomputed by a real writer.
        let forged = dir + "/forged"
        try firstLineOnly(state, into: forged)
        #expect(try warroom(["check", "T102", "--checklist", canary, "--state", forged, "--note", "a forged one"]).status == 0)
        #expect(try warroom(["verify", "--state", forged]).status == 0, "the chain alone cannot tell")
        let rewritten = try warroom(["verify", "--state", forged, "--witness", dir + "/ticket.txt"])
        #expect(rewritten.status == 1 && rewritten.err.contains("line 2 does not have the witnessed hash"), "\(rewritten.err)")

        // Cut back to the first line, head made to agree.
        let cut = dir + "/cut"
        try firstLineOnly(state, into: cut)
        #expect(try warroom(["verify", "--state", cut]).status == 0)
        let short = try warroom(["verify", "--state", cut, "--witness", w.out])
        #expect(short.status == 1 && short.err.contains("ends at seq 1 but the witness saw seq 2"), "\(short.err)")

        // A ticket holds other SHA-256s (the checklist's): in a file only witness lines count, not every bare hash.
        let sha = String(repeating: "ab", count: 32)
        try "checklist sha256 \n\(sha)\n\(w.out)".write(toFile: dir + "/ticket2.txt", atomically: true, encoding: .utf8)
        let withStray = try warroom(["verify", "--state", state, "--witness", dir + "/ticket2.txt"])
        #expect(withStray.status == 0, "\(withStray.err)")

        let nothing = try warroom(["verify", "--state", state, "--witness", "not a witness"])
        #expect(nothing.status == 1 && nothing.err.contains("no witness in it"))
    }
}

/// Evidence cannot be erased by deleting the last lines and the head: every writer refuses such a journal until
/// someone accepts it with a reason, and that acceptance is itself journaled and reported.
@Suite struct DamagedHead {
    @Test func writersRefuseAMissingHeadUntilAcceptedAndTheReportSaysSo() throws {
        let state = tempDir("dhead") + "/state"
        for id in ["T102", "T104", "T105"] { #expect(try warroom(["check", id, "--checklist", canary, "--state", state]).status == 0) }
        // The last line and the head removed: the chain alone still verifies (with a warning).
        var lines = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8).split(separator: "\n")
        lines.removeLast()
        try (lines.joined(separator: "\n") + "\n").write(toFile: state + "/journal.jsonl", atomically: false, encoding: .utf8)
        try FileManager.default.removeItem(atPath: state + "/head")
        for args in [["check", "T106", "--checklist", canary, "--state", state], ["sign", "SRE Lead", "--checklist", canary, "--state", state]] {
            let r = try warroom(args)
            #expect(r.status == 1 && r.err.contains("head was missing") && r.err.contains("--accept-damaged-head REASON"), "\(args[0]): \(r.err)")
        }
        #expect(!FileManager.default.fileExists(atPath: state + "/head"), "a refused writer leaves the evidence as found")
        let ok = try warroom(["check", "T106", "--checklist", canary, "--state", state, "--accept-damaged-head", "restored from the 09:00 backup"])
        #expect(ok.status == 0, "\(ok.err)")
        #expect(try warroom(["verify", "--state", state]).status == 0)
        let report = try warroom(["report", "--checklist", canary, "--state", state])
        #expect(report.out.contains("## Journal integrity") && report.out.contains("restored from the 09:00 backup")
                && report.out.contains("head was missing"), "\(report.out)")
    }
}

/// The bad-input corpus (`Tests/Fixtures/bad-input/`): every file comes with `NAME.expected`, the error (or warning)
/// and the line it must be reported with — checklists, configs and themes through `warroom lint`, damaged journals
/// through `warroom verify`. Add a file and its expectation to grow it; a message that changes is a diff to read.
@Suite struct BadInputCorpus {
    static let root = repoRoot.appendingPathComponent("Tests/Fixtures/bad-input").path

    static func cases(_ kind: String) -> [String] {
        let dir = root + "/" + kind
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { !$0.hasSuffix(".expected") }.sorted().map { dir + "/" + $0 }
    }

    func expected(_ file: String) throws -> String {
        try String(contentsOfFile: file + ".expected", encoding: .utf8).trimmingCharacters(in: .newlines)
    }

    @Test(arguments: cases("checklists") + cases("configs") + cases("themes"))
    func lintNamesFileLineAndProblem(_ file: String) throws {
        let r = try warroom(["lint", file])
        let want = file + (try expected(file))
        #expect((r.out + r.err).contains(want), "expected \(want)\ngot \(r.out)\(r.err)")
        if want.contains(": error: ") { #expect(r.status == 1) }
    }

    @Test(arguments: cases("journals"))
    func verifyNamesTheDamagedLine(_ file: String) throws {
        let state = tempDir("bad-journal") + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.copyItem(atPath: file, toPath: state + "/journal.jsonl")
        let r = try warroom(["verify", "--state", state])
        let want = state + "/journal.jsonl" + (try expected(file))
        #expect(r.status == 1 && r.err.contains(want), "expected \(want)\ngot \(r.err)")
    }

    @Test func theCorpusIsThere() {
        #expect(Self.cases("checklists").count >= 4 && Self.cases("configs").count >= 10 && Self.cases("themes").count >= 3
                && Self.cases("journals").count >= 6)
    }
}

/// A name is printed in every command's output and on every screen: one with a newline or an escape would forge lines.
@Suite struct HostileNames {
    @Test func anActorWithControlCharactersIsRefused() throws {
        let state = tempDir("names") + "/state"
        for bad in ["lee\nwarroom: FORGED line", "lee\u{1B}[2J", "   "] {
            let r = try warroom(["check", "T102", "--checklist", canary, "--state", state, "--actor", bad])
            #expect(r.status == 2 && r.err.contains("--actor: a name cannot"), "\(bad.debugDescription): \(r.err)")
            #expect(!r.err.contains("\nwarroom: FORGED"))
        }
        #expect(!FileManager.default.fileExists(atPath: state + "/journal.jsonl"), "nothing written")
    }
}
