#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import WarRoomCore

/// An incremental reader of a journal that another process is writing: `warroom follow`, a replay of a growing
/// journal. Opens the journal read-only (never the lock, never a write) and remembers how far it has verified —
/// byte offset, seq, last hash and run state — so each `poll()` reads only the bytes appended since and verifies
/// each new complete line exactly as `Journal.replay` does (the same `ChainVerifier`), then re-checks `head`.
///
/// A torn (unterminated) last line is left alone until it is completed. Anything that changes what was already
/// read — the file shorter than the bytes verified, another file put in its place, the last verified line
/// changed, a new line whose prev is not the last hash, the head record disagreeing — is damage: `poll()` throws a
/// `JournalError` naming the line, and keeps throwing it (open a new reader to start over). Not thread-safe.
public final class JournalTail {
    public let stateDir: String
    /// `DIR/journal.jsonl`
    public let path: String
    private var fd: Int32
    private let device: UInt64
    private let inode: UInt64
    private var chain: ChainVerifier
    /// Bytes verified so far: the file offset just past the last complete line.
    public private(set) var offset = 0
    /// An unterminated last line seen by the latest poll (it is read again, from its start, by the next one).
    public private(set) var tornTail: TornTail?
    /// Non-damage findings of the latest poll (a missing or empty head record).
    public private(set) var warnings: [String] = []
    /// The damage found, once found: every later poll throws it.
    public private(set) var damage: JournalError?

    /// State after every verified line.
    public var state: RunState { chain.state }
    /// Number of verified lines (the seq of the last one).
    public var lineCount: Int { chain.lineCount }
    /// Hash of the last verified line; nil while none.
    public var lastHash: String? { chain.lastHashString }

    /// Opens the journal of `stateDir` read-only; nothing is read until the first `poll()` (which returns every
    /// event). Throws if there is no journal.
    public init(stateDir: String) throws(JournalError) {
        self.stateDir = stateDir
        path = Journal.path(in: stateDir)
        let fd: Int32
        do throws(SysError) { fd = try FileIO.openFD(path, O_RDONLY) } catch {
            if error.code == ENOENT {
                throw JournalError(path: path, message: "no journal here (no run has started in \(stateDir))")
            }
            throw error.journalError()
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            FileIO.closeFD(fd)
            throw SysError(op: "fstat", path: path, code: e).journalError()
        }
        self.fd = fd
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        chain = ChainVerifier(path: path)
        chain.recordLineEnds = true
    }

    deinit { close() }

    /// Closes the file. Later polls throw.
    public func close() {
        if fd >= 0 { FileIO.closeFD(fd); fd = -1 }
    }

    /// Opens a reader and reads the whole journal: the reader and what `Journal.replay` would have returned.
    public static func open(stateDir: String) throws(JournalError) -> (tail: JournalTail, replay: Replay) {
        let tail = try JournalTail(stateDir: stateDir)
        let events = try tail.poll()
        let replay = Replay(state: tail.state, events: events, lastHash: tail.lastHash, tornTail: tail.tornTail,
                            lineCount: tail.lineCount, warnings: tail.warnings)
        return (tail, replay)
    }

    /// Verifies the complete lines appended since the last poll and returns their events (empty when nothing
    /// new). Throws a `JournalError` for damage, and the same one on every later call.
    public func poll() throws(JournalError) -> [JournalEvent] {
        if let damage { throw damage }
        guard fd >= 0 else { throw JournalError(path: path, message: "journal reader is closed") }
        do {
            return try look()
        } catch {
            damage = error
            throw error
        }
    }

    private func look() throws(JournalError) -> [JournalEvent] {
        // Head before journal, as `Journal.replay` reads them: the journal can then only be longer than head says.
        let head = try Journal.readHead(stateDir: stateDir, retries: 3)

        var st = stat()
        if stat(path, &st) != 0 {
            let e = errno
            if e == ENOENT {
                throw JournalError(path: path, line: lineCount > 0 ? 1 : nil,
                                   message: "the journal was removed or renamed while being read (lines 1–\(lineCount) were read)")
            }
            throw SysError(op: "stat", path: path, code: e).journalError()
        }
        if UInt64(st.st_dev) != device || UInt64(st.st_ino) != inode { throw replaced() }

        guard fstat(fd, &st) == 0 else { throw SysError(op: "fstat", path: path, code: errno).journalError() }
        let size = Int(st.st_size)
        if size < offset { throw truncated(to: size) }
        try checkLastLineUnchanged()

        if case .at(let h) = head, h.seq > chain.lineCount { chain.watchSeq = h.seq }
        var events: [JournalEvent] = []
        if size > offset {
            let bytes: [UInt8]
            do throws(SysError) { bytes = try FileIO.readFrom(fd, offset: offset, path: path) } catch { throw error.journalError() }
            let start = offset
            let consumed = bytes.withUnsafeBufferPointer { buf in
                Result { () throws(JournalError) -> Int in try chain.consume(buf, fileOffset: start, events: &events) }
            }
            let n = try consumed.get()
            offset += n
            tornTail = n < bytes.count ? TornTail(line: chain.lineCount + 1, bytes: bytes.count - n) : nil
        } else {
            tornTail = nil
        }
        warnings = try chain.checkHead(head)
        return events
    }

    /// The last verified line must still carry the hash it was verified with: catches a journal rewritten in
    /// place to at least its old length, before any new line arrives to disagree with it.
    private func checkLastLineUnchanged() throws(JournalError) {
        guard let at = chain.lastHashOffset, let want = chain.lastHash else { return }
        var got = [UInt8](repeating: 0, count: 64)
        let n = got.withUnsafeMutableBytes { raw in FileIO.retrying { Int32(pread(fd, raw.baseAddress, 64, off_t(at))) } }
        if n < 0 { throw SysError(op: "read", path: path, code: errno).journalError() }
        if n != 64 || got != want {
            throw JournalError(path: path, line: chain.lineCount,
                               message: "line \(chain.lineCount) changed after it was verified (journal rewritten in place?)")
        }
    }

    /// The 1-based line that byte `position` of the verified part falls in.
    private func line(at position: Int) -> Int {
        let ends = chain.lineEnds
        var lo = 0
        var hi = ends.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ends[mid] > position { hi = mid } else { lo = mid + 1 }
        }
        return lo + 1
    }

    private func truncated(to size: Int) -> JournalError {
        let first = line(at: size)
        let cut = first == chain.lineCount ? "line \(first) is" : "lines \(first)–\(chain.lineCount) are"
        return JournalError(path: path, line: first,
                            message: "the journal is \(size) bytes, shorter than the \(offset) already verified: \(cut) gone (truncated or rewritten?)")
    }

    /// Another file now has the journal's name. The one this reader opened is still readable through its
    /// descriptor: the first byte where the two differ names the line.
    private func replaced() -> JournalError {
        let old = (try? FileIO.readFrom(fd, offset: 0, path: path)).map { Array($0.prefix(offset)) } ?? []
        let new = (try? FileIO.readFile(path)) ?? []
        var i = 0
        let n = min(old.count, new.count)
        while i < n, old[i] == new[i] { i += 1 }
        if i == old.count, old.count == offset {
            return JournalError(path: path, line: chain.lineCount + 1,
                                message: "the journal was replaced by another file (its first \(chain.lineCount) lines are the same; a writer may still be appending to the old one)")
        }
        let first = line(at: i)
        return JournalError(path: path, line: first,
                            message: "the journal was replaced by another file that differs from line \(first) on (journal rewritten?)")
    }
}
