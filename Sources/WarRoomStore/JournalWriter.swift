#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import WarRoomCore

/// The one writer of a state directory. `open` creates the directory if needed, takes the exclusive lock
/// (`flock` on `DIR/lock`, dropped by the kernel if the process dies), cuts off a torn last line (saving it),
/// and replays the journal. `append` validates an event against the state, writes its line, fsyncs, updates
/// `DIR/head`, and only then changes `state`. Not thread-safe: use from one task/thread.
public final class JournalWriter {
    public let stateDir: String
    /// The actor recorded as the lock holder.
    public let actor: String
    /// State after every acknowledged line.
    public private(set) var state: RunState
    /// The torn last line this writer cut off when it opened, if any (with `savedTo` set).
    public private(set) var recovered: TornTail?
    /// Hash of the last line; nil while the journal is empty.
    public private(set) var lastHash: String?
    /// Non-damage findings from opening (see `Replay.warnings`).
    public private(set) var warnings: [String]

    /// Test seam: makes the next write/fsync/head update fail. See `FaultPlan`.
    package let faults = FaultPlan()

    private var lockFD: Int32
    private var journalFD: Int32 = -1
    private var headFD: Int32 = -1
    /// Journal length in bytes through the last acknowledged line.
    private var length = 0
    private var headBytes: [UInt8]
    /// Set when a failed append could not be rolled back: the writer refuses further appends.
    private var broken: String?
    private let encoder: JSONEncoder
    private let journalPath: String
    private let headPath: String

    private init(stateDir: String, actor: String, lockFD: Int32) {
        self.stateDir = stateDir
        self.actor = actor
        self.lockFD = lockFD
        self.state = RunState()
        self.warnings = []
        self.headBytes = Journal.encodeHead(Journal.Head(seq: 0, hash: ""))
        self.journalPath = Journal.path(in: stateDir)
        self.headPath = Journal.join(stateDir, Journal.headName)
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.encoder = e
    }

    deinit { close() }

    /// Opens `stateDir` for writing (creating it, 0700, and its parents if missing) as `actor`; `now` is
    /// recorded as the lock's `since` and names a saved torn tail.
    /// Throws `LockHeld` if another writer has it, `JournalError` for damage or a failed system call.
    public static func open(stateDir: String, actor: String, now: Millis) throws -> JournalWriter {
        let created: Bool
        do throws(SysError) { created = try FileIO.makeStateDirectory(stateDir) } catch { throw error.journalError() }
        guard FileIO.isDirectory(stateDir) else {
            throw JournalError(path: stateDir, message: "not a directory")
        }

        let lockPath = Journal.join(stateDir, Journal.lockName)
        let lockFD: Int32
        do throws(SysError) { lockFD = try FileIO.openOrCreate(lockPath).fd } catch { throw error.journalError() }
        // A holder that is just going away (a console quitting; a child between fork and exec still sharing
        // the lock's open file for a moment) lets go within a few milliseconds: look again for up to a second.
        var patience = 50
        while flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            if e == EINTR { continue }
            if e == EWOULDBLOCK || e == EAGAIN, patience > 0 {
                patience -= 1
                usleep(20_000)
                continue
            }
            if e == EWOULDBLOCK || e == EAGAIN {
                let held = readHolder(lockFD, dir: stateDir)
                FileIO.closeFD(lockFD)
                throw held
            }
            FileIO.closeFD(lockFD)
            throw SysError(op: "flock", path: lockPath, code: e).journalError()
        }

        let w = JournalWriter(stateDir: stateDir, actor: actor, lockFD: lockFD)
        do {
            try w.start(actor: actor, now: now, lockPath: lockPath, dirCreated: created)
        } catch {
            w.close()
            throw error
        }
        return w
    }

    private static func readHolder(_ fd: Int32, dir: String) -> LockHeld {
        // The holder may be between taking the lock and writing its details: look a few times.
        for attempt in 0..<5 {
            if let bytes = try? FileIO.readAll(fd, path: dir), let v = parseJSON(bytes), case .object = v {
                return LockHeld(dir: dir, pid: v["pid"]?.int.flatMap { Int32(exactly: $0) }, actor: v["actor"]?.string,
                                host: v["host"]?.string, since: v["since"]?.string)
            }
            if attempt < 4 { usleep(10_000) }
        }
        return LockHeld(dir: dir, pid: nil, actor: nil, host: nil, since: nil)
    }

    private func start(actor: String, now: Millis, lockPath: String, dirCreated: Bool) throws {
        do {
            // Holder details, for the error a second writer gets.
            var info = Array(#"{"pid":\#(getpid()),"actor":"#.utf8)
            appendJSONString(actor, to: &info)
            info.append(contentsOf: #","host":"#.utf8)
            appendJSONString(FileIO.hostName(), to: &info)
            info.append(contentsOf: #","since":"\#(Timestamp.iso8601(now))"}"#.utf8)
            info.append(0x0A)
            try FileIO.truncateFile(lockFD, to: 0, path: lockPath)
            try FileIO.pwriteAll(lockFD, info, at: 0, path: lockPath)
            try FileIO.syncFile(lockFD, path: lockPath)

            let j = try FileIO.openOrCreate(journalPath, extraFlags: O_APPEND)
            journalFD = j.fd
            let h = try FileIO.openOrCreate(headPath)
            headFD = h.fd
            if dirCreated || j.created || h.created { try FileIO.fsyncDirectory(stateDir) }

            let headRaw = try FileIO.readAll(headFD, path: headPath)
            let head: Journal.HeadState
            if h.created {
                head = .missing // it did not exist before this open
            } else if let parsed = Journal.parseHead(headRaw) {
                head = parsed
            } else {
                throw JournalError(path: headPath, line: 1, message: "unreadable head record")
            }

            let bytes = try FileIO.readAll(journalFD, path: journalPath)
            let verified = try Journal.verify(bytes, head: head, path: journalPath)
            var replay = verified.replay

            if var torn = replay.tornTail {
                // Never acknowledged: keep a copy, then cut it off so the next line starts clean.
                torn.savedTo = try saveTorn(bytes[verified.validLength...], seq: torn.line, now: now)
                try FileIO.truncateFile(journalFD, to: verified.validLength, path: journalPath)
                try FileIO.syncFile(journalFD, path: journalPath)
                replay.tornTail = torn
                recovered = torn
            }
            length = verified.validLength
            state = replay.state
            lastHash = replay.lastHash
            warnings = replay.warnings

            // Bring head up to date (it is one behind after a crash between the journal and head syncs).
            if let last = lastHash {
                let want = Journal.encodeHead(Journal.Head(seq: replay.lineCount, hash: last))
                if want != headRaw { try writeHead(want) }
                headBytes = want
            }
        } catch let e as SysError {
            throw e.journalError()
        }
    }

    private func saveTorn(_ bytes: ArraySlice<UInt8>, seq: Int, now: Millis) throws(SysError) -> String {
        var attempt = 0
        while true {
            let name = "torn-\(seq)-\(now)" + (attempt == 0 ? "" : "-\(attempt)") + ".jsonl"
            let path = Journal.join(stateDir, name)
            guard let fd = try FileIO.createExclusive(path) else {
                guard attempt < 100 else { throw SysError(op: "open", path: path, code: EEXIST) }
                attempt += 1
                continue
            }
            defer { FileIO.closeFD(fd) }
            let (_, err) = Array(bytes).withUnsafeBytes { FileIO.writeAll(fd, $0, path: path) }
            if let err { throw err }
            try FileIO.syncFile(fd, path: path)
            try FileIO.fsyncDirectory(stateDir)
            return path
        }
    }

    private func writeHead(_ bytes: [UInt8]) throws(SysError) {
        if let code = faults.take(\.headError) { throw SysError(op: "write", path: headPath, code: code) }
        try FileIO.pwriteAll(headFD, bytes, at: 0, path: headPath)
        try FileIO.syncData(headFD, path: headPath)
    }

    /// Appends one event as `actor` at `time` and returns it once its line is written and fsync'd and
    /// `head` is updated. Throws `ReduceError` if the state rejects the event (nothing is written), or
    /// `JournalError` if writing fails: then the journal is cut back to its previous length (best effort)
    /// and `state` is unchanged.
    @discardableResult
    public func append(_ body: EventBody, actor: String, time: Millis) throws -> JournalEvent {
        guard journalFD >= 0 else { throw JournalError(path: journalPath, message: "journal writer is closed") }
        if let broken { throw JournalError(path: journalPath, message: broken) }

        let event = JournalEvent(seq: state.lastSeq + 1, time: time, actor: actor, body: body)
        let (line, hash) = try LineCodec.encode(event, prev: lastHash, encoder: encoder)
        try checkRoundTrip(line, event)

        // Validate by applying the event before writing. `RunState.apply` throws before it changes
        // anything, so the state is moved out of `self` (leaving its storage uniquely referenced) and
        // updated in place: copying it would cost O(events) per append (≈3 ms at 100k events).
        var next = RunState()
        swap(&next, &state)
        do {
            try next.apply(event)
        } catch {
            swap(&next, &state)
            throw error
        }
        if event.seq == 1 { next.runID = String(hash.prefix(8)) }

        let failure: JournalError? = {
            let (written, writeError) = line.withUnsafeBytes { FileIO.writeAll(journalFD, $0, path: journalPath, faults: faults) }
            if let writeError { return rollBack(writeError, journalTouched: written > 0) }
            do throws(SysError) {
                if let code = faults.take(\.fsyncError) { throw SysError(op: "fsync", path: journalPath, code: code) }
                try FileIO.syncFile(journalFD, path: journalPath)
            } catch {
                return rollBack(error, journalTouched: true)
            }
            let newHead = Journal.encodeHead(Journal.Head(seq: event.seq, hash: hash))
            do throws(SysError) {
                try writeHead(newHead)
            } catch {
                // Put the old head back before cutting the line, so head never points past the journal.
                do throws(SysError) {
                    try FileIO.pwriteAll(headFD, headBytes, at: 0, path: headPath)
                    try FileIO.syncData(headFD, path: headPath)
                } catch {
                    broken = "journal writer stopped: \(error.message) while restoring \(headPath); reopen the state directory"
                    return JournalError(path: headPath, message: error.message
                                        + "; the change may still be in the journal: reopen the state directory")
                }
                return rollBack(error, journalTouched: true)
            }
            headBytes = newHead
            return nil
        }()
        if let failure {
            // The state was already advanced in place: rebuild it from the acknowledged lines.
            restoreState()
            throw failure
        }
        length += line.count
        lastHash = hash
        state = next
        return event
    }

    /// After a failed append: rebuilds `state` from the journal's acknowledged bytes (rare path).
    private func restoreState() {
        do {
            let bytes = try FileIO.readAll(journalFD, path: journalPath)
            let head = Journal.parseHead(headBytes) ?? .empty
            let verified = try Journal.verify(Array(bytes.prefix(length)), head: head, path: journalPath)
            state = verified.replay.state
        } catch {
            state = RunState()
            broken = "journal writer stopped: could not reload the state after a failed write (\(error)); reopen the state directory"
        }
    }

    /// Cuts the journal back to the last acknowledged line after a failed write; returns the error to throw.
    private func rollBack(_ cause: SysError, journalTouched: Bool) -> JournalError {
        guard journalTouched else { return JournalError(path: cause.path, message: cause.message + "; the change was not recorded (nothing was written)") }
        do throws(SysError) {
            if let code = faults.take(\.truncateError) { throw SysError(op: "ftruncate", path: journalPath, code: code) }
            try FileIO.truncateFile(journalFD, to: length, path: journalPath)
            try? FileIO.syncFile(journalFD, path: journalPath)
            return JournalError(path: cause.path, message: cause.message + "; the change was not recorded")
        } catch {
            broken = "journal writer stopped after an earlier failure (\(cause.message); then \(error.message)); reopen the state directory"
            // The line may be whole on disk and replay on reopen: say so rather than "not recorded".
            return JournalError(path: cause.path, message: cause.message + "; the change may or may not be recorded: the journal "
                                + "could not be cut back (\(error.message)); reopen the state directory to see which")
        }
    }

    /// The line must read back as exactly this event, or it is not written at all.
    private func checkRoundTrip(_ line: [UInt8], _ event: JournalEvent) throws {
        let ok: Bool = line.withUnsafeBufferPointer { buf in
            guard let env = try? LineCodec.parseEnvelope(buf, 0, buf.count - 1),
                  let body = try? LineCodec.decodeBody(buf, env) else { return false }
            return env.seq == event.seq && env.actor == event.actor && body == event.body
                && Timestamp.parse(env.time) == event.time
        }
        guard ok else {
            throw JournalError(path: journalPath, message: "seq \(event.seq) would not read back as written (time out of range?); nothing was written")
        }
    }

    /// Releases the lock and closes the files. Safe to call more than once; also done on deinit.
    public func close() {
        if journalFD >= 0 { FileIO.closeFD(journalFD); journalFD = -1 }
        if headFD >= 0 { FileIO.closeFD(headFD); headFD = -1 }
        if lockFD >= 0 { FileIO.closeFD(lockFD); lockFD = -1 }
    }
}
