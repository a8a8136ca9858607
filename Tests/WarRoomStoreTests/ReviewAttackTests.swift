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
}

final class LockedResult: @unchecked Sendable {
    private let lock = NSLock()
    private var value = ""
    func set(_ v: String) { lock.lock(); value = v; lock.unlock() }
    func get() -> String { lock.lock(); defer { lock.unlock() }; return value }
}
