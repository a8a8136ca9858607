#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import WarRoomCore

/// The result of reading a journal: the rebuilt state and everything it was built from.
public struct Replay: Sendable {
    /// State after every verified line (with `runID` set once there is a line 1).
    public var state: RunState
    /// Every verified event, in order.
    public var events: [JournalEvent]
    /// Hash of the last verified line; nil for an empty journal.
    public var lastHash: String?
    /// A torn last line (no terminating newline) that was ignored. Readers only report it; the writer cuts it.
    public var tornTail: TornTail?
    /// Number of complete, verified lines.
    public var lineCount: Int
    /// Things worth telling that are not damage (e.g. a missing `head` file, so deleted trailing lines
    /// cannot be detected).
    public var warnings: [String]
}

/// Reading the journal of a state directory. Layout of a state directory (0700):
///
/// - `journal.jsonl` (0600): the hash-chained JSON Lines journal, one event per line (see `LineCodec`).
/// - `head` (0600): `{"seq":N,"hash":"…"}` padded to 128 bytes, the last acknowledged line. A journal that
///   ends before it has lost acknowledged lines; one line past it is a crash between the two syncs (fine).
/// - `append.lock` (0600): `flock(LOCK_EX)` held by one writer for one append (see `JournalWriter`), naming it
///   (`{"pid","actor","host","since"}`, padded).
/// - `lease` (0600): the driver lease (see `DriverLease`).
/// - `torn-<seq>-<unixms>.jsonl` (0600): torn last lines the writer cut off, kept for inspection.
public enum Journal {
    public static let fileName = "journal.jsonl"
    public static let headName = "head"
    public static let appendLockName = AppendLock.fileName

    /// `DIR/journal.jsonl`
    public static func path(in dir: String) -> String { join(dir, fileName) }

    /// Whether the state directory has a journal file (it may still be empty). A journal we may not look at (a
    /// state directory shared with a group we are not in) counts as there, so reading it fails naming it
    /// ("Permission denied") rather than passing for "no run yet".
    public static func exists(in dir: String) -> Bool {
        var st = stat()
        return stat(path(in: dir), &st) == 0 || errno == EACCES
    }

    /// Whether `dir` holds a run (a journal, perhaps empty), false when it does not exist or has no journal and nothing
    /// was ever acknowledged there. Never mistakes a problem for "no run yet": a state path that is a file, a directory
    /// it cannot look into, or a journal that is gone while `head` says entries were acknowledged (deleted or moved)
    /// throws, naming the path and the cause. A journal we may not read counts as there (reading it names EACCES).
    public static func hasRun(in dir: String) throws(JournalError) -> Bool {
        var st = stat()
        if stat(dir, &st) != 0 {
            let e = errno
            if e == ENOENT { return false }
            throw JournalError(path: dir, message: "cannot look at the state directory: \(String(cString: strerror(e))) (errno \(e))")
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw JournalError(path: dir, message: "is \(FileIO.kindText(st.st_mode)), not a state directory")
        }
        if stat(path(in: dir), &st) == 0 { return true }
        let e = errno
        if e == EACCES { return true }
        guard e == ENOENT else {
            throw JournalError(path: path(in: dir), message: "cannot look at the journal: \(String(cString: strerror(e))) (errno \(e))")
        }
        if case .at(let h) = try readHead(stateDir: dir, retries: 3) {
            throw JournalError(path: path(in: dir), message: "missing, but \(join(dir, headName)) says \(h.seq) entr\(h.seq == 1 ? "y was" : "ies were") "
                + "acknowledged: the journal was deleted or moved — restore it; nothing is shown as if no run had started")
        }
        return false
    }

    /// Reads and verifies the whole journal without taking any lock or changing any file: every line's
    /// format, hash, seq and prev link, every payload and every reducer step, and the `head` record.
    /// Any damage throws a `JournalError` naming the line; a torn last line is returned in `tornTail`.
    public static func replay(stateDir: String) throws(JournalError) -> Replay {
        let jpath = path(in: stateDir)
        // Head before journal: the writer syncs the journal line before it updates head, so a journal read
        // after the head can only be longer, never shorter, than the head says.
        let head = try readHead(stateDir: stateDir, retries: 3)
        let file: [UInt8]?
        do throws(SysError) { file = try FileIO.readFile(jpath) } catch { throw error.journalError() }
        guard let bytes = file else {
            throw JournalError(path: jpath, message: "no journal here (no run has started in \(stateDir))")
        }
        return try verify(bytes, head: head, path: jpath).replay
    }

    /// Reads the journal as far as it verifies, without the lock and without changing any file — for a report
    /// on a damaged journal. `damage` is what `replay` would have thrown (nil for an intact journal: then the
    /// result is exactly `replay`'s); `replay` holds the lines before the damaged one (every line when the damage
    /// is in the head record or lines are missing at the end), with no torn tail and no warnings.
    /// Throws only when nothing can be read: no journal, or a failed system call.
    public static func readVerifiedPrefix(stateDir: String) throws(JournalError) -> (replay: Replay, damage: JournalError?) {
        let jpath = path(in: stateDir)
        var headDamage: JournalError? = nil
        let head: HeadState
        do throws(JournalError) {
            head = try readHead(stateDir: stateDir, retries: 3)
        } catch {
            guard error.line != nil else { throw error }
            // An unreadable head record: every journal line can still be checked, against no head.
            headDamage = error
            head = .missing
        }
        let file: [UInt8]?
        do throws(SysError) { file = try FileIO.readFile(jpath) } catch { throw error.journalError() }
        guard let bytes = file else {
            throw JournalError(path: jpath, message: "no journal here (no run has started in \(stateDir))")
        }
        var (verified, damage) = verifyPrefix(bytes, head: head, path: jpath)
        if damage == nil, let headDamage {
            damage = headDamage
            verified.replay.tornTail = nil
            verified.replay.warnings = []
        }
        if let d = damage, d.path == jpath, let line = d.line, line <= verified.replay.lineCount {
            // The head record disowns a line that verified on its own (replaced, or the journal rewritten):
            // that line and the ones after it are not to be trusted either.
            var end = 0
            var count = 0
            while count < line - 1, let nl = bytes[end...].firstIndex(of: 0x0A) {
                end = nl + 1
                count += 1
            }
            verified = verifyPrefix(Array(bytes[0..<end]), head: .missing, path: jpath).0
            verified.replay.warnings = []
        }
        return (verified.replay, damage)
    }

    static func join(_ dir: String, _ name: String) -> String {
        dir.hasSuffix("/") ? dir + name : dir + "/" + name
    }

    // MARK: head

    struct Head: Equatable {
        var seq: Int
        var hash: String
    }

    static let headSize = 128

    static func encodeHead(_ h: Head) -> [UInt8] {
        var out = Array(#"{"seq":\#(h.seq),"hash":"\#(h.hash)"}"#.utf8)
        if out.count < headSize - 1 { out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: headSize - 1 - out.count)) }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// `.missing`: no head file. `.empty`: empty file or seq 0 (nothing acknowledged yet).
    enum HeadState {
        case missing
        case empty
        case at(Head)
    }

    static func parseHead(_ bytes: [UInt8]) -> HeadState? {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0 }) { return .empty }
        guard let v = parseJSON(bytes), case .int(let seq)? = v["seq"], seq >= 0, let hash = v["hash"]?.string else { return nil }
        if seq == 0 { return .empty }
        guard hash.utf8.count == 64, hash.utf8.allSatisfy({ isDigit($0) || (97...102).contains($0) }) else { return nil }
        return .at(Head(seq: Int(seq), hash: hash))
    }

    static func readHead(stateDir: String, retries: Int) throws(JournalError) -> HeadState {
        let hpath = join(stateDir, headName)
        var attempt = 0
        while true {
            let bytes: [UInt8]?
            do throws(SysError) { bytes = try FileIO.readFile(hpath) } catch { throw error.journalError() }
            guard let bytes else { return .missing }
            if let h = parseHead(bytes) { return h }
            // A reader can race the writer's in-place rewrite; look again before calling it damage.
            attempt += 1
            if attempt > retries { throw JournalError(path: hpath, line: 1, message: "unreadable head record") }
            usleep(2000)
        }
    }

    // MARK: verification

    struct Verified {
        var replay: Replay
        /// Length of the journal up to and including the last newline (where a torn tail starts).
        var validLength: Int
    }

    /// Verifies `bytes` (a whole journal file) line by line and replays it.
    static func verify(_ bytes: [UInt8], head: HeadState, path: String) throws(JournalError) -> Verified {
        let (verified, damage) = verifyPrefix(bytes, head: head, path: path)
        if let damage { throw damage }
        return verified
    }

    /// Verifies `bytes` (a whole journal file) line by line and replays it as far as it verifies: every line
    /// and no damage, or the lines before the first damaged one and the damage. Damage to the head record (or
    /// lines missing at the end) leaves every line verified. Without damage the result has the torn tail and the
    /// warnings; with damage neither (only the damage is worth telling).
    static func verifyPrefix(_ bytes: [UInt8], head: HeadState, path: String) -> (Verified, JournalError?) {
        var chain = ChainVerifier(path: path)
        if case .at(let h) = head { chain.watchSeq = h.seq }
        var events: [JournalEvent] = []
        let consumed = bytes.withUnsafeBufferPointer { buf in
            Result { () throws(JournalError) -> Int in try chain.consume(buf, fileOffset: 0, events: &events) }
        }
        var damage: JournalError? = nil
        var validLength = 0
        var torn: TornTail? = nil
        var warnings: [String] = []
        switch consumed {
        case .failure(let e):
            damage = e
        case .success(let n):
            validLength = n
            do throws(JournalError) { warnings = try chain.checkHead(head) } catch { damage = error }
            if damage == nil, case .at(let h) = head, h.seq < chain.lineCount {
                let lines = h.seq + 1 == chain.lineCount ? "line \(chain.lineCount) is" : "lines \(h.seq + 1)–\(chain.lineCount) are"
                warnings.append("\(lines) beyond the acknowledged head (seq \(h.seq)): being written right now, or never acknowledged "
                                + "(a writer killed between its syncs), or added by hand — the next writer journals what it takes on")
            }
        }
        if damage == nil, validLength < bytes.count {
            torn = TornTail(line: chain.lineCount + 1, bytes: bytes.count - validLength, savedTo: nil)
        }
        if damage != nil { warnings = [] }
        let replay = Replay(state: chain.state, events: events, lastHash: chain.lastHashString, tornTail: torn,
                            lineCount: chain.lineCount, warnings: warnings)
        return (Verified(replay: replay, validLength: validLength), damage)
    }

    static let closingBrace: [UInt8] = [UInt8(ascii: "}")]

    @inline(__always)
    static func nextNewline(_ buf: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard from < buf.count, let base = buf.baseAddress else { return nil }
        guard let p = memchr(base + from, 0x0A, buf.count - from) else { return nil }
        return UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self) - base
    }

    @inline(__always)
    static func equal(_ buf: UnsafeBufferPointer<UInt8>, _ at: Int, _ hex: [UInt8]) -> Bool {
        for k in 0..<64 where buf[at + k] != hex[k] { return false }
        return true
    }

    @inline(__always)
    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ i: Int, _ b: UnsafeBufferPointer<UInt8>, _ j: Int) -> Bool {
        for k in 0..<64 where a[i + k] != b[j + k] { return false }
        return true
    }
}
