import Foundation
import Testing
import WarRoomCore
import WarRoomStore
#if canImport(Glibc)
import Glibc
#endif

/// Defects found attacking the hand-over / head-repair / witness changes (review branch).
@Suite struct ReviewAttacks {
    /// A FIFO planted where `head` (or the journal) should be: the writer opened it O_RDWR and its first read failed
    /// with a bare "read failed: Illegal seek". It is refused naming what it is (and must never hang the writer).
    @Test(arguments: ["head", "journal.jsonl"])
    func aWriterRefusesAFIFOForItsFiles(name: String) throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let path = dir.state + "/" + name
        unlink(path)
        #expect(mkfifo(path, 0o600) == 0)
        let done = DispatchSemaphore(value: 0)
        let result = LockedResult()
        Thread.detachNewThread {
            do { let w = try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0, lockWaitMs: 200); w.close(); result.set("opened") }
            catch { result.set("\(error)") }
            done.signal()
        }
        // The hang this guards against never ends: give up waiting (and fail) rather than hang the suite.
        let finished = done.wait(timeout: .now() + 10) == .success
        #expect(finished, "the writer hung on a FIFO \(name)")
        guard finished else { return }
        let text = result.get()
        #expect(text.contains("FIFO") && text.contains(name), "\(text)")
    }

    /// A writer killed (here: its write failing) after taking on a damaged head but before `journal.repair` is on disk
    /// used to leave a head rewritten to agree with the journal and no record: the next writer saw nothing wrong and
    /// the lines added (or deleted) by hand went unnoticed. The head must stay as found until the record is written.
    @Test func aRepairThatIsNotJournaledLeavesTheHeadAsFound() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        try w.append(.runStarted(started), actor: "dana", time: t0)
        try w.append(.itemSet(ItemSet(id: "T1", status: .done)), actor: "dana", time: t0 + 1)
        let oldHead = dir.read(dir.head)
        try w.append(.itemSet(ItemSet(id: "T2", status: .done)), actor: "dana", time: t0 + 2)
        try w.append(.itemSet(ItemSet(id: "T3", status: .done)), actor: "dana", time: t0 + 3)
        w.close()
        _ = FileManager.default.createFile(atPath: dir.head, contents: Data(oldHead)) // head 2 behind: refused
        #expect(throws: JournalError.self) { try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0 + 10) }

        let faults = FaultPlan()
        faults.writeError = EIO // the journal.repair line never reaches the journal
        #expect(throws: JournalError.self) {
            try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0 + 10, acceptDamagedHead: "looked", faults: faults)
        }
        #expect(dir.read(dir.head) == oldHead, "the head was rewritten although the repair was not journaled")
        #expect(throws: JournalError.self, "a later writer must still find the damage") {
            try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0 + 20)
        }

        let ok = try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0 + 30, acceptDamagedHead: "looked")
        #expect(ok.state.headRepairs.map { $0.repair } == [HeadRepair(head: 2, lines: 4, reason: "looked")])
        ok.close()
        let again = try JournalWriter.open(stateDir: dir.state, actor: "kim", now: t0 + 40)
        #expect(again.state.headRepairs.count == 1)
        again.close()
    }
    /// `--state link/`: lstat on a path ending in "/" follows the link, so the symlinked state directory refused as
    /// `link` was taken as `link/` and the journal written through it.
    @Test(arguments: ["link", "link/", "link//"])
    func aSymlinkedStateDirectoryIsRefusedWithATrailingSlashToo(name: String) throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let real = dir.root + "/real"
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.root + "/link", withDestinationPath: real)
        let e = #expect(throws: JournalError.self) {
            try JournalWriter.open(stateDir: dir.root + "/" + name, actor: "dana", now: t0)
        }
        #expect(e?.message.contains("symbolic link") == true, "\(String(describing: e))")
        #expect(!FileManager.default.fileExists(atPath: real + "/journal.jsonl"), "nothing written through the link")
    }
    /// A ticket holding two witnesses, the second wrapped by a chat client (its hash cut in two): `verify --witness`
    /// checked the first and passed, silently skipping the damaged one. The damaged line must be told apart.
    @Test func aDamagedWitnessLineIsNotSkippedSilently() {
        let h = String(repeating: "ab", count: 32)
        let ticket = """
            Start of run: warroom-witness run=r1 seq=2 hash=\(h) at=2026-11-22T02:11:01.123Z
            End of run: warroom-witness run=r1 seq=9 hash=\(h.prefix(40))
            \(h.suffix(24))
            warroom-witness run=r1 seq=x9 hash=\(h)
            Unrelated words.
            """
        #expect(Witness.parseAll(ticket).count == 1)
        #expect(Witness.malformed(ticket) == ["End of run: warroom-witness run=r1 seq=9 hash=\(h.prefix(40))",
                                              "warroom-witness run=r1 seq=x9 hash=\(h)"])
        #expect(Witness.malformed("warroom-witness run=r1 seq=2 hash=\(h) note=extra\n\(h)\n2:\(h)").isEmpty,
                "extra fields, a bare hash and SEQ:HASH are witnesses")
    }
}

final class LockedResult: @unchecked Sendable {
    private let lock = NSLock()
    private var value = ""
    func set(_ v: String) { lock.lock(); value = v; lock.unlock() }
    func get() -> String { lock.lock(); defer { lock.unlock() }; return value }
}
