import Foundation
import Testing
import WarRoomCore
import WarRoomStore
#if canImport(Glibc)
import Glibc
#endif

private struct SampleView: Codable, Equatable {
    var publishedAt: Millis
    var driver: String
    var filler: [String]
}

@Suite struct ViewFiles {
    @Test func aNonFiniteReadingNeverStopsTheView() throws {
        struct Gauges: Codable, Equatable { var history: [Double] }
        let dir = TempDir(); defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.state, withIntermediateDirectories: true)
        try ViewFile.publish(Gauges(history: [1.2, .infinity, -.infinity]), stateDir: dir.state)
        let back = try #require(ViewFile.read(Gauges.self, stateDir: dir.state))
        #expect(back.history.count == 3 && back.history[1] == .infinity && back.history[2] == -.infinity)
    }

    @Test func roundTripAsCodableAndAsBytes() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.state, withIntermediateDirectories: true)
        #expect(ViewFile.read(stateDir: dir.state) == nil)
        #expect(ViewFile.read(SampleView.self, stateDir: dir.state) == nil)
        let v = SampleView(publishedAt: t0, driver: "dana", filler: ["a", "b"])
        try ViewFile.publish(v, stateDir: dir.state)
        #expect(ViewFile.read(SampleView.self, stateDir: dir.state) == v)
        #expect(ViewFile.path(in: dir.state) == dir.state + "/view.json")
        #expect(dir.mode(ViewFile.path(in: dir.state)) == 0o600)
        try ViewFile.publish(Data("{\"x\":1}".utf8), stateDir: dir.state)
        #expect(ViewFile.read(stateDir: dir.state) == Data("{\"x\":1}".utf8))
        #expect(ViewFile.read(SampleView.self, stateDir: dir.state) == nil, "not a SampleView")
        #expect(dir.files() == ["view.json"], "no temporary file left behind")
    }

    @Test func publishingIntoAMissingDirectoryFailsNamingThePath() {
        let dir = TempDir(); defer { dir.cleanup() }
        let e = #expect(throws: JournalError.self) { try ViewFile.publish(Data("{}".utf8), stateDir: dir.state) }
        #expect(e?.path.hasPrefix(dir.state + "/view.json") == true, "\(String(describing: e))")
    }

    @Test func aFailedReplaceLeavesNoTemporaryFile() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        // A non-empty directory where view.json should be: the rename fails after the temporary file was written.
        try FileManager.default.createDirectory(atPath: ViewFile.path(in: dir.state) + "/x", withIntermediateDirectories: true)
        let e = #expect(throws: JournalError.self) { try ViewFile.publish(Data("{}".utf8), stateDir: dir.state) }
        #expect(e?.message.contains("rename failed") == true, "\(String(describing: e))")
        #expect(dir.files() == ["view.json"], "the temporary file was removed")
    }

    /// A reader racing the publisher sees one whole view or the other, never a mix or a short file.
    @Test func readersNeverSeeAPartialView() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.state, withIntermediateDirectories: true)
        let a = SampleView(publishedAt: 1, driver: "a", filler: Array(repeating: String(repeating: "a", count: 1000), count: 300))
        let b = SampleView(publishedAt: 2, driver: "b", filler: Array(repeating: String(repeating: "b", count: 700), count: 200))
        try ViewFile.publish(a, stateDir: dir.state)
        let state = dir.state
        let done = ManagedAtomicFlag()
        let writer = Thread {
            for k in 0..<150 { try? ViewFile.publish(k % 2 == 0 ? b : a, stateDir: state) }
            done.set()
        }
        writer.start()
        var reads = 0
        var stamps = Set<Int64>()
        while !done.isSet || reads < 50 {
            let v = ViewFile.read(SampleView.self, stateDir: state)
            #expect(v == a || v == b, "read \(reads) saw a partial view")
            if let s = FileStamp(ViewFile.path(in: state)) { stamps.insert(Int64(bitPattern: s.inode)) }
            reads += 1
        }
        #expect(stamps.count > 1, "each publish is a new file (the stamp tells)")
        #expect(dir.files() == ["view.json"])
    }

    @Test func fileStampTellsAReplacementOfTheSameSize() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.state, withIntermediateDirectories: true)
        #expect(FileStamp(ViewFile.path(in: dir.state)) == nil)
        try ViewFile.publish(Data("{\"v\":1}".utf8), stateDir: dir.state)
        let s1 = FileStamp(ViewFile.path(in: dir.state))
        #expect(s1 == FileStamp(ViewFile.path(in: dir.state)))
        try ViewFile.publish(Data("{\"v\":2}".utf8), stateDir: dir.state)
        let s2 = FileStamp(ViewFile.path(in: dir.state))
        #expect(s1 != nil && s2 != nil && s1 != s2)
        #expect(s1?.size == s2?.size)
    }
}

/// A flag one thread sets and another reads.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

@Suite struct ChecklistCopiesTests {
    static let text = Array("# Go-live\n\n- [ ] T1 **Freeze:** announce\n- [ ] T2 Deploy ✓\n".utf8)

    @Test func keepAndReadBackByHash() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let hash = try ChecklistCopies.keep(Self.text, stateDir: dir.state)
        #expect(hash == ChecklistCopies.sha256Hex(Self.text))
        #expect(hash.count == 64)
        let p = ChecklistCopies.path(sha256: hash, in: dir.state)
        #expect(p == dir.state + "/checklists/\(hash).md")
        #expect(dir.read(p) == Self.text, "the exact bytes")
        #expect(dir.mode(p) == 0o600)
        #expect(dir.mode(ChecklistCopies.directory(in: dir.state)) == 0o700)
        #expect(dir.mode(dir.state) == 0o700)
        #expect(try ChecklistCopies.read(sha256: hash, stateDir: dir.state) == Self.text)
        // Idempotent: the same bytes again leave the copy alone (same file).
        let ino = inode(p)
        #expect(try ChecklistCopies.keep(Data(Self.text), stateDir: dir.state) == hash)
        #expect(inode(p) == ino)
        // Another checklist beside it; no temporary files.
        let other = try ChecklistCopies.keep(Array("# Other\n".utf8), stateDir: dir.state)
        #expect(other != hash)
        #expect(try FileManager.default.contentsOfDirectory(atPath: ChecklistCopies.directory(in: dir.state)).sorted()
                == [hash + ".md", other + ".md"].sorted())
    }

    @Test func knownSHA256() {
        #expect(ChecklistCopies.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func missingCopyIsNil() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        #expect(try ChecklistCopies.read(sha256: ChecklistCopies.sha256Hex(Self.text), stateDir: dir.state) == nil)
    }

    @Test func tamperedCopyIsRejectedAndKeepingAgainRepairsIt() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let hash = try ChecklistCopies.keep(Self.text, stateDir: dir.state)
        let p = ChecklistCopies.path(sha256: hash, in: dir.state)
        var edited = Self.text
        edited[4] = UInt8(ascii: "X")
        overwriteInPlace(p, edited)
        let e = #expect(throws: JournalError.self) { try ChecklistCopies.read(sha256: hash, stateDir: dir.state) }
        #expect(e?.path == p)
        #expect(e?.message.contains("does not match its name") == true)
        #expect(try ChecklistCopies.keep(Self.text, stateDir: dir.state) == hash)
        #expect(try ChecklistCopies.read(sha256: hash, stateDir: dir.state) == Self.text)
    }

    @Test func aNameThatIsNotAHashIsRefused() {
        let dir = TempDir(); defer { dir.cleanup() }
        for bad in ["../../etc/passwd", "", String(repeating: "A", count: 64), String(repeating: "a", count: 63)] {
            #expect(throws: JournalError.self) { try ChecklistCopies.read(sha256: bad, stateDir: dir.state) }
        }
    }
}

@Suite struct VerifiedPrefix {
    @Test func intactJournalIsTheWholeReplay() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let p = try Journal.readVerifiedPrefix(stateDir: dir.state)
        let r = try Journal.replay(stateDir: dir.state)
        #expect(p.damage == nil)
        #expect(p.replay.events == r.events && p.replay.lastHash == r.lastHash && p.replay.lineCount == 6)
    }

    @Test func damagedLineKeepsTheLinesBeforeIt() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        var lines = dir.journalLines()
        lines[3] = lines[3].replacingOccurrences(of: "n/a here", with: "n/a there")
        dir.writeJournal(lines: lines)
        let before = dir.readJournal()
        let p = try Journal.readVerifiedPrefix(stateDir: dir.state)
        #expect(p.damage?.line == 4 && p.damage?.message.contains("hash mismatch") == true)
        let full = #expect(throws: JournalError.self) { try Journal.replay(stateDir: dir.state) }
        #expect(p.damage == full)
        #expect(p.replay.lineCount == 3)
        #expect(p.replay.events.map(\.seq) == [1, 2, 3])
        #expect(p.replay.state.lastSeq == 3 && p.replay.state.record("T2")?.status == .blocked)
        #expect(p.replay.lastHash == hashField(lines[2]))
        #expect(p.replay.warnings.isEmpty && p.replay.tornTail == nil)
        #expect(dir.readJournal() == before, "read-only")
    }

    @Test func headDisowningALineDropsItAndTheRest() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let lines = dir.journalLines()
        overwriteInPlace(dir.head, Array(#"{"seq":5,"hash":"\#(String(repeating: "c", count: 64))"}"#.utf8))
        let p = try Journal.readVerifiedPrefix(stateDir: dir.state)
        #expect(p.damage?.line == 5 && p.damage?.message.contains("differs from the acknowledged head") == true)
        #expect(p.replay.lineCount == 4 && p.replay.lastHash == hashField(lines[3]))
    }

    @Test func missingTrailingLinesKeepEverythingThere() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        dir.writeJournal(lines: Array(dir.journalLines().prefix(4)))
        let p = try Journal.readVerifiedPrefix(stateDir: dir.state)
        #expect(p.damage?.line == 5 && p.damage?.message.contains("lines 5–6 deleted") == true)
        #expect(p.replay.lineCount == 4)
    }

    @Test func unreadableHeadKeepsEveryLine() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        overwriteInPlace(dir.head, Array("garbage".utf8))
        let p = try Journal.readVerifiedPrefix(stateDir: dir.state)
        #expect(p.damage?.path == dir.head && p.damage?.message == "unreadable head record")
        #expect(p.replay.lineCount == 6 && p.replay.warnings.isEmpty)
    }

    @Test func noJournalThrows() {
        let dir = TempDir(); defer { dir.cleanup() }
        #expect(throws: JournalError.self) { try Journal.readVerifiedPrefix(stateDir: dir.state) }
    }
}

@Suite struct LogFiles {
    @Test func openAppendsAndIsPrivate() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.state, withIntermediateDirectories: true)
        #expect(LogFile.path(in: dir.state) == dir.state + "/warroom.log")
        for text in ["one", "two"] {
            let fd = try LogFile.open(stateDir: dir.state)
            let line = Array((LogFile.line(text, at: t0) + "\n").utf8)
            #expect(line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == line.count)
            close(fd)
        }
        #expect(asText(dir.read(LogFile.path(in: dir.state))) == "2026-11-22T02:11:01.123Z one\n2026-11-22T02:11:01.123Z two\n")
        #expect(dir.mode(LogFile.path(in: dir.state)) == 0o600)
    }

    @Test func missingDirectoryFails() {
        let dir = TempDir(); defer { dir.cleanup() }
        #expect(throws: JournalError.self) { try LogFile.open(stateDir: dir.state) }
    }
}
