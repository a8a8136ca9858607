import Foundation
import Testing
import WarRoomCore
import WarRoomStore
#if canImport(Glibc)
import Glibc
#endif

@Suite struct RoundTrip {
    @Test func appendThenReplayRebuildsTheSameState() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let written = try makeJournal(dir)
        let r = try Journal.replay(stateDir: dir.state)
        #expect(r.lineCount == 6)
        #expect(r.tornTail == nil)
        #expect(r.warnings.isEmpty)
        #expect(r.events.map(\.seq) == [1, 2, 3, 4, 5, 6])
        #expect(r.events.map(\.body.type) == ["run.started", "item.set", "item.set", "item.set", "item.set", "item.undo"])
        #expect(r.events[2] == JournalEvent(seq: 3, time: t0 + 2000, actor: "lee",
                                            body: .itemSet(ItemSet(id: "T2", status: .blocked, reason: "waiting on DBA"))))
        #expect(r.state.lastSeq == written.lastSeq)
        #expect(r.state.changes == written.changes)
        #expect(r.state.record("T2") == written.record("T2"))
        #expect(r.state.record("T2")?.status == .blocked) // the undo took back the second change
        #expect(r.state.started == started)
        #expect(r.state.startedBy == "dana")
        #expect(r.state.lastTime == t0 + 5000)
        #expect(r.lastHash == hashField(dir.journalLines()[5]))

        // Reopening continues the chain.
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0 + 9000)
        defer { w.close() }
        #expect(w.state.changes == written.changes)
        #expect(w.lastHash == r.lastHash)
        let e = try w.append(.itemSet(ItemSet(id: "T1", status: .open)), actor: "dana", time: t0 + 9000)
        #expect(e.seq == 7)
        #expect(try Journal.replay(stateDir: dir.state).state.record("T1")?.status == .open)
    }

    /// Exact bytes, with hashes computed independently (Python hashlib) of the lines without their hash member.
    @Test func exactLineFormatAndHashes() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        try w.append(.runStarted(started), actor: "dana", time: t0)
        try w.append(.itemSet(ItemSet(id: "T1", status: .done, note: #"a/b "q""#)), actor: "lee", time: t0 + 1000)
        w.close()
        let h1 = "4ff73384623b974d5088f00ad551310e57b385736a9ff15cd4b66a1b33569f05"
        let h2 = "77630b94a2ff4276b7e3a21e496b75939bf9de7f440fcdbd5fcc1f30c779c58f"
        let expected = #"{"seq":1,"time":"2026-11-22T02:11:01.123Z","actor":"dana","type":"run.started","payload":{"checklist":"checklists/go-live.md","checklistSHA256":"abababababababababababababababababababababababababababababababab","host":"host1","items":3,"pid":4242},"prev":"0000000000000000000000000000000000000000000000000000000000000000","hash":""#
            + h1 + "\"}\n"
            + #"{"seq":2,"time":"2026-11-22T02:11:02.123Z","actor":"lee","type":"item.set","payload":{"id":"T1","note":"a/b \"q\"","status":"done"},"prev":""#
            + h1 + #"","hash":""# + h2 + "\"}\n"
        #expect(String(decoding: dir.readJournal(), as: UTF8.self) == expected)
        let head = String(decoding: dir.read(dir.head), as: UTF8.self)
        #expect(head.count == 128)
        #expect(head.hasPrefix(#"{"seq":2,"hash":"\#(h2)"}"#))
    }

    @Test func runIDIsTheFirstEightHexOfLineOnesHash() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        #expect(w.state.runID == nil)
        try w.append(.runStarted(started), actor: "dana", time: t0)
        #expect(w.state.runID == "4ff73384")
        try w.append(.itemSet(ItemSet(id: "T1", status: .done)), actor: "dana", time: t0 + 1)
        #expect(w.state.runID == "4ff73384")
        w.close()
        #expect(try Journal.replay(stateDir: dir.state).state.runID == "4ff73384")
        let again = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        defer { again.close() }
        #expect(again.state.runID == "4ff73384")
    }

    @Test func awkwardStringsRoundTrip() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let actor = "zoë \"z\" \\ o'neil\u{1}"
        let note = "line one\nline two\t✓ 🚀 a/b </script>"
        let w = try JournalWriter.open(stateDir: dir.state, actor: actor, now: t0)
        try w.append(.runStarted(started), actor: actor, time: t0)
        try w.append(.itemSet(ItemSet(id: "T/1", status: .blocked, reason: "", note: note)), actor: actor, time: t0 + 1)
        w.close()
        #expect(dir.journalLines().count == 2) // the newline in the note is escaped
        #expect(dir.journalLines()[1].contains(#""id":"T/1""#)) // slashes are not escaped
        let r = try Journal.replay(stateDir: dir.state)
        #expect(r.events[1] == JournalEvent(seq: 2, time: t0 + 1, actor: actor,
                                            body: .itemSet(ItemSet(id: "T/1", status: .blocked, reason: "", note: note))))
    }

    @Test func lineIsOnDiskWhenAppendReturns() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        defer { w.close() }
        try w.append(.runStarted(started), actor: "dana", time: t0)
        for i in 2...5 {
            let e = try w.append(.itemSet(ItemSet(id: "T\(i)", status: .done)), actor: "dana", time: t0 + Millis(i))
            // Read through a separate descriptor, as another process would.
            let lines = dir.journalLines()
            #expect(lines.count == i)
            #expect(dir.readJournal().last == 0x0A)
            #expect(lines.last?.hasPrefix(#"{"seq":\#(e.seq),"#) == true)
            #expect(String(decoding: dir.read(dir.head), as: UTF8.self).hasPrefix(#"{"seq":\#(i),"hash":"\#(hashField(lines[i - 1]))"}"#))
            #expect(try Journal.replay(stateDir: dir.state).state.record("T\(i)")?.status == .done)
        }
    }

    @Test func readerChangesNothingAndNeedsAJournal() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        #expect(!Journal.exists(in: dir.state))
        #expect(throws: JournalError.self) { try Journal.replay(stateDir: dir.state) }
        #expect(!FileManager.default.fileExists(atPath: dir.root)) // a reader creates nothing
        try makeJournal(dir)
        #expect(Journal.exists(in: dir.state))
        #expect(Journal.path(in: dir.state) == dir.state + "/journal.jsonl")
    }

    @Test func rejectedEventWritesNothingAndLeavesStateAlone() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        defer { w.close() }
        let before = dir.readJournal()
        let changes = w.state.changes
        #expect(throws: ReduceError.self) { try w.append(.itemUndo(ItemUndo(id: "T9")), actor: "dana", time: t0 + 9) }
        #expect(throws: ReduceError.self) { try w.append(.runStarted(started), actor: "dana", time: t0 + 9) }
        #expect(asText(dir.readJournal()) == asText(before))
        #expect(w.state.changes == changes)
        #expect(w.state.lastSeq == 6)
        #expect(try w.append(.itemUndo(ItemUndo(id: "T1")), actor: "dana", time: t0 + 9).seq == 7)
        #expect(w.state.record("T1") == nil)
    }
}

@Suite struct Permissions {
    @Test func stateDirIs0700AndFilesAre0600() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        #expect(dir.mode(dir.state) == 0o700)
        #expect(dir.files() == ["append.lock", "head", "journal.jsonl"])
        for f in dir.files() { #expect(dir.mode(dir.state + "/" + f) == 0o600, "\(f)") }
    }

    /// A private state directory someone made with mkdir (0750) is used, and tightened to 0700 like one warroom made.
    @Test func existingDirectoryIsUsedAndTightened() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.state, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o750])
        try makeJournal(dir)
        #expect(dir.mode(dir.state) == 0o700)
        #expect(dir.mode(dir.journal) == 0o600)
    }
}

@Suite struct TornTails {
    static let torn = Array(#"{"seq":7,"time":"2026-11-22T02:11:08.123Z","actor":"da"#.utf8)

    @Test func readerReportsAndIgnoresWithoutTouchingAnything() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let intact = dir.readJournal()
        dir.writeJournal(intact + Self.torn)
        let r = try Journal.replay(stateDir: dir.state)
        #expect(r.tornTail == TornTail(line: 7, bytes: Self.torn.count, savedTo: nil))
        #expect(r.lineCount == 6)
        #expect(r.state.lastSeq == 6)
        #expect(asText(dir.readJournal()) == asText(intact + Self.torn))
        #expect(dir.files() == ["append.lock", "head", "journal.jsonl"])
    }

    @Test func writerCutsItAndSavesACopy() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let intact = dir.readJournal()
        dir.writeJournal(intact + Self.torn)
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0 + 60_000)
        defer { w.close() }
        let saved = dir.state + "/torn-7-\(t0 + 60_000).jsonl"
        #expect(w.recovered == TornTail(line: 7, bytes: Self.torn.count, savedTo: saved))
        #expect(asText(dir.read(saved)) == asText(Self.torn))
        #expect(dir.mode(saved) == 0o600)
        #expect(asText(dir.readJournal()) == asText(intact))
        #expect(w.state.lastSeq == 6)
        // The next line starts clean and the journal verifies.
        #expect(try w.append(.itemSet(ItemSet(id: "T1", status: .open)), actor: "dana", time: t0 + 61_000).seq == 7)
        let r = try Journal.replay(stateDir: dir.state)
        #expect(r.tornTail == nil && r.lineCount == 7)
    }

    @Test func tornFirstLineLeavesAnEmptyJournal() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.state, withIntermediateDirectories: true)
        dir.writeJournal(Array(#"{"seq":1,"ti"#.utf8))
        #expect(try Journal.replay(stateDir: dir.state).tornTail == TornTail(line: 1, bytes: 12))
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        defer { w.close() }
        #expect(w.recovered?.line == 1)
        #expect(dir.readJournal().isEmpty)
        #expect(try w.append(.runStarted(started), actor: "dana", time: t0).seq == 1)
    }

    @Test func damageBeforeATornTailIsStillAnError() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        var lines = dir.journalLines()
        lines[1] = lines[1].replacingOccurrences(of: "\"T1\"", with: "\"T7\"")
        dir.writeJournal(Array(lines.map { $0 + "\n" }.joined().utf8) + Self.torn)
        expectDamage(dir, line: 2, "hash mismatch") // and the torn tail is not cut
    }
}

@Suite struct Tampering {
    @Test func editedPayloadByte() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        var lines = dir.journalLines()
        lines[2] = lines[2].replacingOccurrences(of: "waiting on DBA", with: "waiting on DBB")
        dir.writeJournal(lines: lines)
        expectDamage(dir, line: 3, "hash mismatch (line was edited?)")
    }

    @Test func editedHash() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        var lines = dir.journalLines()
        let h = hashField(lines[3])
        let flipped = (h.first == "a" ? "b" : "a") + h.dropFirst()
        lines[3] = lines[3].replacingOccurrences(of: #""hash":"\#(h)""#, with: #""hash":"\#(flipped)""#)
        dir.writeJournal(lines: lines)
        expectDamage(dir, line: 4, "hash mismatch")
    }

    @Test func deletedMiddleLine() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        var lines = dir.journalLines()
        lines.remove(at: 2)
        dir.writeJournal(lines: lines)
        expectDamage(dir, line: 3, "expected seq 3, found 4 (line deleted")
    }

    @Test func deletedLastLinesAreCaughtByHead() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let lines = dir.journalLines()
        dir.writeJournal(lines: Array(lines.prefix(5)))
        expectDamage(dir, line: 6, "journal ends at seq 5 but seq 6 was acknowledged: line 6 deleted")
        dir.writeJournal(lines: Array(lines.prefix(4)))
        expectDamage(dir, line: 5, "journal ends at seq 4 but seq 6 was acknowledged: lines 5–6 deleted")
    }

    @Test func reorderedLines() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        var lines = dir.journalLines()
        lines.swapAt(2, 3)
        dir.writeJournal(lines: lines)
        expectDamage(dir, line: 3, "expected seq 3, found 4")
    }

    @Test func duplicatedLine() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        var lines = dir.journalLines()
        lines.insert(lines[2], at: 3)
        dir.writeJournal(lines: lines)
        expectDamage(dir, line: 4, "expected seq 4, found 3 (line duplicated")
    }

    @Test func garbageAndMalformedLines() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let lines = dir.journalLines()
        func with(_ i: Int, _ text: String) -> [String] { var l = lines; l[i] = text; return l }

        dir.writeJournal(lines: with(3, "hello world"))
        expectDamage(dir, line: 4, "not valid JSON")
        dir.writeJournal(lines: with(3, #"{"seq":4,"time":"2026-11-22T02:11:04.123Z"}"#))
        expectDamage(dir, line: 4, #"missing fields "actor", "type", "payload", "prev", "hash""#)
        dir.writeJournal(lines: with(3, "[1,2]"))
        expectDamage(dir, line: 4, "not a JSON object")
        dir.writeJournal(lines: with(3, lines[3].replacingOccurrences(of: #"{"seq":4,"#, with: #"{ "seq":4,"#)))
        expectDamage(dir, line: 4, "exact line format")
        dir.writeJournal(lines: with(3, lines[3].replacingOccurrences(of: #""actor":"dana""#, with: #""actor":7"#)))
        expectDamage(dir, line: 4, "actor is not a string")
        dir.writeJournal(lines: with(3, ""))
        expectDamage(dir, line: 4, "empty line")
        var bytes = Array(lines.prefix(3).map { $0 + "\n" }.joined().utf8)
        bytes += [0xFF, 0xFE, 0x0A]
        dir.writeJournal(bytes)
        expectDamage(dir, line: 4, "not valid JSON")
    }

    @Test func unknownType() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        var lines = dir.journalLines()
        let forged = JournalTestSupport.sealedLine(seq: 4, time: "2026-11-22T02:11:04.123Z", actor: "dana",
                                                   type: "item.frob", payload: #"{"id":"T3"}"#, prev: hashField(lines[2]))
        lines[3] = String(forged.line.dropLast())
        dir.writeJournal(lines: lines)
        expectDamage(dir, line: 4, #"unknown event type "item.frob""#)
    }

    @Test func invalidPayloadAndTime() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let lines = dir.journalLines()
        func forge(type: String = "item.set", time: String = "2026-11-22T02:11:04.123Z", payload: String) -> [String] {
            var l = Array(lines.prefix(3))
            l.append(String(JournalTestSupport.sealedLine(seq: 4, time: time, actor: "dana", type: type, payload: payload,
                                                          prev: hashField(lines[2])).line.dropLast()))
            return l
        }
        dir.writeJournal(lines: forge(payload: #"{"id":"T3"}"#))
        expectDamage(dir, line: 4, #"invalid item.set payload: missing "status""#)
        dir.writeJournal(lines: forge(payload: #"{"id":"T3","status":"finished"}"#))
        expectDamage(dir, line: 4, "invalid item.set payload: invalid value")
        dir.writeJournal(lines: forge(payload: #"{"id":3,"status":"done"}"#))
        expectDamage(dir, line: 4, #"invalid item.set payload: "id" has the wrong type"#)
        dir.writeJournal(lines: forge(time: "yesterday", payload: #"{"id":"T3","status":"done"}"#))
        expectDamage(dir, line: 4, #"invalid time "yesterday""#)
        // Shapes the fast path leaves to JSONDecoder still decode: null optionals, extra keys.
        dir.writeJournal(lines: forge(payload: #"{"id":"T3","note":null,"status":"done","extra":1}"#))
        try FileManager.default.removeItem(atPath: dir.head) // it acknowledges seq 6
        #expect(try Journal.replay(stateDir: dir.state).events.last?.body == .itemSet(ItemSet(id: "T3", status: .done)))
    }

    @Test func eventTheReducerRejects() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        var lines = dir.journalLines()
        let forged = JournalTestSupport.sealedLine(seq: 4, time: "2026-11-22T02:11:04.123Z", actor: "dana",
                                                   type: "item.undo", payload: #"{"id":"NOPE"}"#, prev: hashField(lines[2]))
        lines[3] = String(forged.line.dropLast())
        dir.writeJournal(lines: lines)
        expectDamage(dir, line: 4, "rejected by the reducer: item.undo for NOPE, which has no change to undo")
    }

    @Test func rewrittenLastLineDisagreesWithHead() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        var lines = dir.journalLines()
        let forged = JournalTestSupport.sealedLine(seq: 6, time: "2026-11-22T02:11:06.123Z", actor: "lee",
                                                   type: "item.set", payload: #"{"id":"T9","status":"done"}"#,
                                                   prev: hashField(lines[4]))
        lines[5] = String(forged.line.dropLast())
        dir.writeJournal(lines: lines)
        expectDamage(dir, line: 6, "hash differs from the acknowledged head record for seq 6")
    }

    @Test func forgedFirstLine() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        var lines = dir.journalLines()
        let forged = JournalTestSupport.sealedLine(seq: 1, time: "2026-11-22T02:11:01.123Z", actor: "dana", type: "run.started",
                                                   payload: #"{"checklist":"x","checklistSHA256":"y","host":"h","items":1,"pid":1}"#,
                                                   prev: hashField(lines[0]))
        lines[0] = String(forged.line.dropLast())
        dir.writeJournal(lines: lines)
        expectDamage(dir, line: 1, "prev of the first line is not 64 zeros")
    }
}

@Suite struct Head {
    @Test func oneBehindIsACrashBetweenTheSyncsAndTheWriterRepairsIt() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let lines = dir.journalLines()
        let behind = #"{"seq":5,"hash":"\#(hashField(lines[4]))"}"#
        _ = FileManager.default.createFile(atPath: dir.head, contents: Data(behind.utf8))
        #expect(try Journal.replay(stateDir: dir.state).lineCount == 6)
        #expect(String(decoding: dir.read(dir.head), as: UTF8.self) == behind) // the reader leaves it
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        w.close()
        // Taken on, and said in the journal itself: a line added by hand cannot pass silently.
        let after = try Journal.replay(stateDir: dir.state)
        #expect(after.lineCount == 7)
        guard case .headRepair(let r)? = after.events.last?.body else { Issue.record("no journal.repair: \(after.events.last!)"); return }
        #expect(r == HeadRepair(head: 5, lines: 6, reason: nil))
        #expect(after.state.headRepairs.count == 1 && after.warnings.isEmpty)
    }

    @Test func aReaderWarnsOfLinesBeyondTheHead() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let lines = dir.journalLines()
        _ = FileManager.default.createFile(atPath: dir.head, contents: Data(#"{"seq":4,"hash":"\#(hashField(lines[3]))"}"#.utf8))
        let r = try Journal.replay(stateDir: dir.state)
        #expect(r.warnings.contains { $0.contains("lines 5–6 are beyond the acknowledged head (seq 4)") }, "\(r.warnings)")
    }

    /// More than one line beyond the head, or no head at all: lines may have been deleted or added by hand. No writer
    /// writes until someone accepts it with a reason, which is journaled; the refusal leaves the files as they were.
    @Test(arguments: ["missing", "two behind"])
    func aDamagedHeadIsRefusedUntilAcceptedWithAReason(_ how: String) throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let lines = dir.journalLines()
        if how == "missing" {
            try FileManager.default.removeItem(atPath: dir.head)
        } else {
            _ = FileManager.default.createFile(atPath: dir.head, contents: Data(#"{"seq":4,"hash":"\#(hashField(lines[3]))"}"#.utf8))
        }
        let headBefore = FileManager.default.contents(atPath: dir.head)
        let e = #expect(throws: JournalError.self) { try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0) }
        #expect(e?.message.contains("--accept-damaged-head REASON") == true, "\(String(describing: e))")
        #expect(FileManager.default.contents(atPath: dir.head) == headBefore, "the evidence is left as found")
        #expect(dir.journalLines() == lines)

        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0, acceptDamagedHead: "restored from backup")
        w.close()
        if how == "missing" { #expect(dir.mode(dir.head) == 0o600, "made as warroom makes its files") }
        let after = try Journal.replay(stateDir: dir.state)
        #expect(after.warnings.isEmpty)
        guard case .headRepair(let r)? = after.events.last?.body else { Issue.record("no journal.repair"); return }
        #expect(r == HeadRepair(head: how == "missing" ? nil : 4, lines: 6, reason: "restored from backup"))
        #expect(after.events.last?.actor == "dana")
    }

    @Test func unreadableHeadIsAnError() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        _ = FileManager.default.createFile(atPath: dir.head, contents: Data("garbage".utf8))
        let e = #expect(throws: JournalError.self) { try Journal.replay(stateDir: dir.state) }
        #expect(e?.message == "unreadable head record")
        #expect(throws: JournalError.self) { try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0) }
    }
}

@Suite struct WriteFailures {
    /// Opens a writer on a six-line journal and checks, after `body` fails an append, that nothing changed.
    func expectCleanFailure(_ arm: (FaultPlan) -> Void, message: String) throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        defer { w.close() }
        let journal = dir.readJournal(), head = dir.read(dir.head)
        let changes = w.state.changes, lastHash = w.lastHash
        arm(w.faults)
        let e = #expect(throws: JournalError.self) {
            try w.append(.itemSet(ItemSet(id: "T1", status: .blocked)), actor: "dana", time: t0 + 9)
        }
        #expect(e?.message.contains(message) == true, "\(String(describing: e))")
        #expect(e?.message.contains("the change was not recorded") == true)
        #expect(w.state.changes == changes)
        #expect(w.state.lastSeq == 6)
        #expect(w.state.record("T1")?.status == .done)
        #expect(w.state.runID != nil)
        #expect(w.lastHash == lastHash)
        #expect(asText(dir.readJournal()) == asText(journal))
        #expect(asText(dir.read(dir.head)) == asText(head))
        let r = try Journal.replay(stateDir: dir.state)
        #expect(r.lineCount == 6 && r.tornTail == nil)
        // The writer carries on.
        #expect(try w.append(.itemSet(ItemSet(id: "T1", status: .blocked)), actor: "dana", time: t0 + 10).seq == 7)
        #expect(try Journal.replay(stateDir: dir.state).state.record("T1")?.status == .blocked)
    }

    @Test func diskFullBeforeAnyByte() throws {
        try expectCleanFailure({ $0.writeError = ENOSPC }, message: "No space left on device")
    }

    @Test func partialLineIsCutBack() throws {
        try expectCleanFailure({ $0.writeError = ENOSPC; $0.writePartialBytes = 40 }, message: "No space left on device")
    }

    @Test func fsyncFailure() throws {
        try expectCleanFailure({ $0.fsyncError = EIO }, message: "fsync failed: Input/output error")
    }

    @Test func headUpdateFailure() throws {
        try expectCleanFailure({ $0.headError = EROFS }, message: "Read-only file system")
    }

    @Test func failedRollbackStopsTheWriterAndReopeningRecovers() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        w.faults.writeError = EIO
        w.faults.writePartialBytes = 30
        w.faults.truncateError = EIO
        let e1 = #expect(throws: JournalError.self) {
            try w.append(.itemSet(ItemSet(id: "T1", status: .blocked)), actor: "dana", time: t0 + 9)
        }
        #expect(e1?.message.contains("could not be cut back") == true)
        #expect(w.state.lastSeq == 6)
        let e2 = #expect(throws: JournalError.self) {
            try w.append(.itemSet(ItemSet(id: "T1", status: .open)), actor: "dana", time: t0 + 9)
        }
        #expect(e2?.message.contains("reopen the state directory") == true)
        w.close()
        #expect(try Journal.replay(stateDir: dir.state).tornTail?.bytes == 30)
        let again = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0 + 20)
        defer { again.close() }
        #expect(again.recovered?.bytes == 30)
        #expect(try again.append(.itemSet(ItemSet(id: "T1", status: .open)), actor: "dana", time: t0 + 21).seq == 7)
    }

    @Test func closedWriterRefusesAppends() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        w.close()
        w.close()
        #expect(throws: JournalError.self) { try w.append(.runStarted(started), actor: "dana", time: t0) }
    }

    @Test func stateDirectoryThatIsAFile() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.root, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir.root + "/nested", contents: Data())
        #expect(throws: JournalError.self) { try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0) }
    }
}
