import Foundation
import Testing
import WarRoomCore
import WarRoomStore
#if canImport(Glibc)
import Glibc
#endif

/// Appends `bytes` to `path` in place (same inode), as the writer does.
func appendInPlace(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o600)
    precondition(fd >= 0, "open \(path)")
    defer { close(fd) }
    let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    precondition(n == bytes.count)
}

/// Replaces the content of `path` in place (same inode).
func overwriteInPlace(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_TRUNC)
    precondition(fd >= 0, "open \(path)")
    defer { close(fd) }
    let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    precondition(n == bytes.count)
}

func inode(_ path: String) -> UInt64 {
    var st = stat()
    return stat(path, &st) == 0 ? UInt64(st.st_ino) : 0
}

/// Expects `tail.poll()` to throw damage on `line` whose message contains `text`, and to throw it again after.
func expectTailDamage(_ tail: JournalTail, line: Int?, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let e = #expect(throws: JournalError.self, sourceLocation: sourceLocation) { try tail.poll() }
    #expect(e?.line == line, "\(String(describing: e))", sourceLocation: sourceLocation)
    #expect(e?.message.contains(text) == true, "\(String(describing: e))", sourceLocation: sourceLocation)
    let again = #expect(throws: JournalError.self, sourceLocation: sourceLocation) { try tail.poll() }
    #expect(again == e, "damage is sticky", sourceLocation: sourceLocation)
    #expect(tail.damage == e, sourceLocation: sourceLocation)
}

@Suite struct Tail {
    @Test func seesAppendsOneByOneAndAgreesWithReplay() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        defer { w.close() }
        let tail = try JournalTail(stateDir: dir.state)
        #expect(try tail.poll().isEmpty, "an empty journal")
        #expect(tail.lineCount == 0 && tail.lastHash == nil)

        try w.append(.runStarted(started), actor: "dana", time: t0)
        let first = try tail.poll()
        #expect(first.map(\.seq) == [1])
        #expect(tail.state.runID == w.state.runID && tail.state.runID != nil)
        let bodies: [EventBody] = [
            .itemSet(ItemSet(id: "T1", status: .done)),
            .itemSet(ItemSet(id: "T2", status: .blocked, reason: "waiting on DBA")),
            .itemUndo(ItemUndo(id: "T2")),
            .itemSet(ItemSet(id: "T3", status: .skipped, note: "n/a")),
        ]
        for (k, body) in bodies.enumerated() {
            let sizeBefore = tail.offset
            let e = try w.append(body, actor: "lee", time: t0 + 1000 * Int64(k + 1))
            let new = try tail.poll()
            #expect(new == [e], "exactly the appended event")
            #expect(tail.offset == dir.readJournal().count && tail.offset > sizeBefore)
            #expect(tail.lineCount == e.seq)
            #expect(tail.lastHash == w.lastHash)
            #expect(tail.state.changes == w.state.changes)
            #expect(try tail.poll().isEmpty, "nothing new")
        }
        let r = try Journal.replay(stateDir: dir.state)
        #expect(tail.state.changes == r.state.changes)
        #expect(tail.state.record("T2") == r.state.record("T2"))
        #expect(tail.state.runID == r.state.runID)
        #expect(tail.warnings.isEmpty && tail.tornTail == nil)
    }

    @Test func openReadsTheWholeJournalLikeReplay() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let filesBefore = dir.files()
        let journalBefore = dir.readJournal()
        let (tail, r) = try JournalTail.open(stateDir: dir.state)
        let full = try Journal.replay(stateDir: dir.state)
        #expect(r.events == full.events)
        #expect(r.lastHash == full.lastHash && r.lineCount == 6 && r.state.runID == full.state.runID)
        #expect(tail.offset == journalBefore.count)
        // A reader changes nothing and takes no lock: a writer opens (and appends) while it reads.
        #expect(dir.files() == filesBefore)
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        defer { w.close() }
        try w.append(.itemSet(ItemSet(id: "T1", status: .open)), actor: "dana", time: t0 + 9000)
        #expect(try tail.poll().map(\.seq) == [7])
    }

    @Test func noJournalIsAnError() {
        let dir = TempDir(); defer { dir.cleanup() }
        let e = #expect(throws: JournalError.self) { try JournalTail(stateDir: dir.state) }
        #expect(e?.message.contains("no journal here") == true)
        #expect(!FileManager.default.fileExists(atPath: dir.state), "a reader creates nothing")
    }

    @Test func tornLineIsIgnoredUntilItIsCompleted() throws {
        let src = TempDir(); defer { src.cleanup() }
        try makeJournal(src)
        let lines = src.journalLines().map { Array(($0 + "\n").utf8) }
        let dir = TempDir(); defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.state, withIntermediateDirectories: true)
        appendInPlace(dir.journal, lines[0] + lines[1])
        let tail = try JournalTail(stateDir: dir.state)
        #expect(try tail.poll().map(\.seq) == [1, 2])
        #expect(tail.warnings.count == 1, "no head file: said, not damage")
        // Line 3 arrives in three pieces: nothing until its newline.
        let third = lines[2]
        appendInPlace(dir.journal, Array(third[0..<40]))
        #expect(try tail.poll().isEmpty)
        #expect(tail.tornTail == TornTail(line: 3, bytes: 40))
        appendInPlace(dir.journal, Array(third[40..<(third.count - 1)]))
        #expect(try tail.poll().isEmpty)
        #expect(tail.tornTail == TornTail(line: 3, bytes: third.count - 1))
        #expect(tail.offset == lines[0].count + lines[1].count)
        appendInPlace(dir.journal, [0x0A] + lines[3] + Array(lines[4].prefix(10)))
        #expect(try tail.poll().map(\.seq) == [3, 4])
        #expect(tail.tornTail == TornTail(line: 5, bytes: 10))
        appendInPlace(dir.journal, Array(lines[4].dropFirst(10)) + lines[5])
        #expect(try tail.poll().map(\.seq) == [5, 6])
        #expect(tail.tornTail == nil)
        #expect(tail.lastHash == hashField(src.journalLines()[5]))
        #expect(tail.state.record("T2") == (try Journal.replay(stateDir: src.state)).state.record("T2"))
    }

    @Test func tornTailCutByTheWriterIsNotDamage() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        appendInPlace(dir.journal, Array(#"{"seq":7,"time":"2026-11-2"#.utf8))
        let tail = try JournalTail(stateDir: dir.state)
        #expect(try tail.poll().count == 6)
        #expect(tail.tornTail?.line == 7)
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0) // cuts the torn line
        defer { w.close() }
        #expect(try tail.poll().isEmpty)
        #expect(tail.tornTail == nil)
        try w.append(.itemSet(ItemSet(id: "T1", status: .open)), actor: "dana", time: t0 + 9000)
        #expect(try tail.poll().map(\.seq) == [7])
    }

    @Test func truncationIsDamageNamingTheFirstLineGone() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let lines = dir.journalLines()
        let tail = try JournalTail(stateDir: dir.state)
        #expect(try tail.poll().count == 6)
        let keep = lines.prefix(4).map { $0.utf8.count + 1 }.reduce(0, +)
        #expect(truncate(dir.journal, off_t(keep + 5)) == 0) // into line 5
        expectTailDamage(tail, line: 5, "lines 5–6 are gone")
        #expect(tail.lineCount == 6, "what was verified stays")
    }

    @Test func truncationToNothing() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let tail = try JournalTail(stateDir: dir.state)
        _ = try tail.poll()
        #expect(truncate(dir.journal, 0) == 0)
        expectTailDamage(tail, line: 1, "shorter than the")
    }

    @Test func replacedFileIsDamageNamingTheFirstDifferentLine() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let tail = try JournalTail(stateDir: dir.state)
        _ = try tail.poll()
        var lines = dir.journalLines()
        lines[2] = lines[2].replacingOccurrences(of: "waiting on DBA", with: "waiting on DBB")
        let ino = inode(dir.journal)
        dir.writeJournal(lines: lines) // a new file renamed into place
        #expect(inode(dir.journal) != ino)
        expectTailDamage(tail, line: 3, "replaced by another file that differs from line 3")
    }

    @Test func replacedByAnIdenticalCopyIsStillDamage() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let tail = try JournalTail(stateDir: dir.state)
        _ = try tail.poll()
        dir.writeJournal(dir.readJournal())
        expectTailDamage(tail, line: 7, "its first 6 lines are the same")
    }

    @Test func rewriteInPlaceOfTheLastLineIsDamage() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let tail = try JournalTail(stateDir: dir.state)
        _ = try tail.poll()
        var lines = dir.journalLines()
        // Re-sealed line 6: a valid line, same length, different content; head not touched.
        let forged = JournalTestSupport.sealedLine(seq: 6, time: "2026-11-22T02:11:06.123Z", actor: "lee",
                                                   type: "item.undo", payload: #"{"id":"T3"}"#, prev: hashField(lines[4]))
        lines[5] = String(forged.line.dropLast())
        #expect(lines.map { $0.utf8.count + 1 }.reduce(0, +) == dir.readJournal().count)
        overwriteInPlace(dir.journal, Array(lines.map { $0 + "\n" }.joined().utf8))
        expectTailDamage(tail, line: 6, "line 6 changed after it was verified")
    }

    @Test func rewriteOfEarlierLinesShowsAsAPrevMismatch() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let tail = try JournalTail(stateDir: dir.state)
        _ = try tail.poll()
        // A line chained to something other than the line 6 this reader verified.
        let lines = dir.journalLines()
        let stray = JournalTestSupport.sealedLine(seq: 7, time: "2026-11-22T02:11:07.123Z", actor: "lee", type: "item.set",
                                                  payload: #"{"id":"T1","status":"open"}"#, prev: hashField(lines[4]))
        appendInPlace(dir.journal, Array(stray.line.utf8))
        expectTailDamage(tail, line: 7, "prev does not match the hash of line 6")
    }

    @Test func damagedNewLineReadsAsReplayReadsIt() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let tail = try JournalTail(stateDir: dir.state)
        _ = try tail.poll()
        let lines = dir.journalLines()
        let rejected = JournalTestSupport.sealedLine(seq: 7, time: "2026-11-22T02:11:07.123Z", actor: "lee", type: "item.undo",
                                                     payload: #"{"id":"T9"}"#, prev: hashField(lines[5]))
        appendInPlace(dir.journal, Array(rejected.line.utf8))
        let full = #expect(throws: JournalError.self) { try Journal.replay(stateDir: dir.state) }
        #expect(full?.line == 7 && full?.message.contains("rejected by the reducer") == true)
        expectTailDamage(tail, line: 7, full?.message ?? "?")
    }

    @Test func headOneBehindIsFineAndHeadAheadIsDamage() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let lines = dir.journalLines()
        // The writer between its journal fsync and its head update: head one behind.
        overwriteInPlace(dir.head, Array(#"{"seq":5,"hash":"\#(hashField(lines[4]))"}"#.utf8))
        let tail = try JournalTail(stateDir: dir.state)
        #expect(try tail.poll().count == 6)
        #expect(tail.warnings.isEmpty)
        overwriteInPlace(dir.head, Array(#"{"seq":6,"hash":"\#(hashField(lines[5]))"}"#.utf8))
        #expect(try tail.poll().isEmpty)
        // Head names seq 8: acknowledged lines are missing.
        overwriteInPlace(dir.head, Array(#"{"seq":8,"hash":"\#(hashField(lines[5]))"}"#.utf8))
        expectTailDamage(tail, line: 7, "journal ends at seq 6 but seq 8 was acknowledged: lines 7–8 deleted")
    }

    @Test func headDisagreeingWithAVerifiedLineIsDamage() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let tail = try JournalTail(stateDir: dir.state)
        _ = try tail.poll()
        overwriteInPlace(dir.head, Array(#"{"seq":6,"hash":"\#(String(repeating: "a", count: 64))"}"#.utf8))
        expectTailDamage(tail, line: 6, "hash differs from the acknowledged head record for seq 6")
    }

    @Test func removedJournalIsDamage() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let tail = try JournalTail(stateDir: dir.state)
        _ = try tail.poll()
        try FileManager.default.removeItem(atPath: dir.journal)
        expectTailDamage(tail, line: 1, "removed or renamed")
    }

    /// Many appends between two looks, read in one poll, and many looks with a live writer: the tail always
    /// ends where a full replay does.
    @Test func burstsBetweenPolls() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        defer { w.close() }
        try w.append(.runStarted(started), actor: "dana", time: t0)
        let tail = try JournalTail(stateDir: dir.state)
        var seen = try tail.poll().count
        for burst in 1...5 {
            for k in 0..<(burst * 30) {
                try w.append(.itemSet(ItemSet(id: "T\(k % 3 + 1)", status: k % 2 == 0 ? .done : .open)), actor: "lee",
                             time: t0 + Int64(seen + k) * 10)
            }
            seen += try tail.poll().count
            #expect(seen == w.state.lastSeq)
        }
        #expect(tail.state.changes == (try Journal.replay(stateDir: dir.state)).state.changes)
    }
}
