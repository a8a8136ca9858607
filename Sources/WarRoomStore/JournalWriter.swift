#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import WarRoomCore

/// A writer of a state directory's journal — one of any number, in any number of processes. It does not hold the
/// directory: each append takes the append lock (`flock` on `DIR/append.lock`, waiting at most `lockWaitMs`, then
/// failing naming the holder), catches up with the lines other writers appended since its last look (verified
/// through the one `ChainVerifier` and applied to `state`; they are handed back by `appendCatchingUp`), cuts a
/// torn last line left by a writer that died mid-write (saving it), validates the new event against the real
/// tip, writes its line, fsyncs, updates `DIR/head`, and only then releases the lock and returns. A driver-only
/// event must carry the driver lease's current fencing token (checked under the same lock, see `DriverLease`).
/// If writing fails the journal is cut back, nothing acknowledged is lost and the event is not recorded.
/// Not thread-safe: use one writer from one task/thread (many writers may share a directory).
public final class JournalWriter {
    public let stateDir: String
    /// The actor named in the append lock while this writer holds it.
    public let actor: String
    /// State after every verified line, this writer's and other writers' (as of its last look).
    public var state: RunState { chain.state }
    /// The torn last line this writer most recently cut off (with `savedTo` set), if any.
    public private(set) var recovered: TornTail?
    /// Hash of the last line; nil while the journal is empty.
    public var lastHash: String? { chain.lastHashString }
    /// Non-damage findings from opening (see `Replay.warnings`).
    public private(set) var warnings: [String]
    /// How long an append waits for the append lock before it fails (`AppendLockBusy`).
    public var lockWaitMs = 5_000
    /// The driver lease this writer holds (acquired through it), if any: its driver-only events carry its token.
    public private(set) var lease: LeaseRecord?

    /// Test seam: makes the next write/fsync/head update fail. See `FaultPlan`.
    package let faults: FaultPlan

    private let appendLock: AppendLock
    private var leaseLock: AppendLock?
    private var journalFD: Int32 = -1
    private var headFD: Int32 = -1
    private var chain: ChainVerifier
    /// Journal length in bytes through the last verified line (the tip, while the lock is held).
    private var length = 0
    private var headBytes: [UInt8]
    /// Other writers' events read since the caller last took them (`takeCaughtUp`).
    private var caughtUp: [JournalEvent] = []
    /// Set when the journal is damaged or a failed append could not be rolled back: the writer refuses to append.
    private var broken: String?
    private let encoder: JSONEncoder
    private let journalPath: String
    private let headPath: String

    private init(stateDir: String, actor: String, appendLock: AppendLock, faults: FaultPlan = FaultPlan()) {
        self.faults = faults
        self.stateDir = stateDir
        self.actor = actor
        self.appendLock = appendLock
        self.warnings = []
        self.headBytes = Journal.encodeHead(Journal.Head(seq: 0, hash: ""))
        self.journalPath = Journal.path(in: stateDir)
        self.headPath = Journal.join(stateDir, Journal.headName)
        self.chain = ChainVerifier(path: Journal.path(in: stateDir))
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.encoder = e
    }

    deinit { close() }

    /// Opens `stateDir` for writing (creating it, 0700, and its parents if missing) as `actor`, reads and verifies
    /// the journal under the append lock (cutting a torn last line, named with `now`, and bringing `head` up to
    /// date), and lets the lock go. Throws `AppendLockBusy` if the lock stays held, `JournalError` for damage
    /// or a failed system call.
    ///
    /// With `sharing` (a group ID), a new state directory is shared with that group (see `StateSharing`).
    ///
    /// The head record must agree with the journal: one line beyond it (a writer killed between its journal and head
    /// syncs) is taken on and journaled (`journal.repair`); a missing head, or more than one line beyond it, is refused
    /// (`JournalError`) unless `acceptDamagedHead` gives a reason, which is journaled with what was found.
    public static func open(stateDir: String, actor: String, now: Millis, lockWaitMs: Int = 5_000,
                            sharing: gid_t? = nil, acceptDamagedHead: String? = nil) throws -> JournalWriter {
        try open(stateDir: stateDir, actor: actor, now: now, lockWaitMs: lockWaitMs, sharing: sharing,
                 acceptDamagedHead: acceptDamagedHead, faults: FaultPlan())
    }

    /// `open` with a fault plan in force from the start (tests: the `journal.repair` append failing).
    package static func open(stateDir: String, actor: String, now: Millis, lockWaitMs: Int = 5_000,
                             sharing: gid_t? = nil, acceptDamagedHead: String? = nil, faults: FaultPlan) throws -> JournalWriter {
        let created: Bool
        do throws(SysError) { created = try FileIO.makeStateDirectory(stateDir, group: sharing) } catch { throw error.journalError() }
        guard FileIO.isDirectory(stateDir) else {
            throw JournalError(path: stateDir, message: "not a directory")
        }
        let lock: AppendLock
        do throws(SysError) { lock = try AppendLock(stateDir: stateDir) } catch { throw error.journalError() }
        let w = JournalWriter(stateDir: stateDir, actor: actor, appendLock: lock, faults: faults)
        w.lockWaitMs = lockWaitMs
        do {
            let repair = try w.start(now: now, dirCreated: created, accepting: acceptDamagedHead)
            // Recorded as this writer's first entry: the journal itself says its head was taken on. The head is left
            // as found until this line is on disk (the append then moves it past the line): a writer killed before
            // leaves the damage for the next one to find, never a head that agrees with the journal and no record.
            if let repair {
                _ = try w.append(.headRepair(repair), actor: actor, time: now)
                w.holdingHead = false
            }
        } catch {
            if w.holdingHead, w.headCreatedHere { unlink(w.headPath) }
            w.close()
            throw error
        }
        return w
    }

    private func start(now: Millis, dirCreated: Bool, accepting reason: String?) throws -> HeadRepair? {
        let headCreated: Bool
        do throws(SysError) {
            let j = try FileIO.openOrCreate(journalPath, extraFlags: O_APPEND)
            journalFD = j.fd
            let h = try FileIO.openOrCreate(headPath)
            headFD = h.fd
            headCreated = h.created
            if dirCreated || j.created || h.created { try FileIO.fsyncDirectory(stateDir) }
        } catch { throw error.journalError() }

        try appendLock.acquire(actor: actor, waitMs: lockWaitMs)
        defer { appendLock.release() }
        let headRaw: [UInt8]
        do throws(SysError) { headRaw = try FileIO.readAll(headFD, path: headPath) } catch { throw error.journalError() }
        let head: Journal.HeadState
        if headCreated, headRaw.isEmpty {
            head = .missing // it did not exist before this open
        } else if let parsed = Journal.parseHead(headRaw) {
            head = parsed
        } else {
            throw JournalError(path: headPath, line: 1, message: "unreadable head record")
        }
        headBytes = headRaw
        _ = try catchUpLocked(head: head, now: now, collectWarnings: true, repairHead: false)
        caughtUp = []
        let lines = chain.lineCount
        let headSeq: Int?
        switch head {
        case .missing: headSeq = lines > 0 ? nil : 0
        case .empty: headSeq = 0
        case .at(let h): headSeq = h.seq
        }
        guard headSeq != lines else { return nil }
        let repair = HeadRepair(head: headSeq, lines: lines, reason: reason)
        if reason == nil, headSeq.map({ lines - $0 > 1 }) ?? true {
            // Leave the evidence as it was found: a head this open created goes again.
            if headCreated { unlink(headPath) }
            throw JournalError(path: headPath, message: "\(repair.summary) — nothing is written until someone looks (warroom "
                               + "verify, a witness), then --accept-damaged-head REASON takes it on and journals why")
        }
        holdingHead = true // `open` journals the repair first; its append brings the head up to date
        headCreatedHere = headCreated
        return repair
    }

    /// Set from `start` finding a head to repair until `open` journaled `journal.repair`: catching up leaves the head.
    private var holdingHead = false
    /// `start` created the (missing) head file: removed again if the repair is not journaled, so it stays missing.
    private var headCreatedHere = false

    /// Brings `head` up to the journal's last line (the append lock held).
    private func repairHeadLocked() throws {
        guard let last = chain.lastHashString else { return }
        let want = Journal.encodeHead(Journal.Head(seq: chain.lineCount, hash: last))
        if want != headBytes {
            do throws(SysError) { try writeHead(want) } catch { throw error.journalError() }
            headBytes = want
        }
    }

    /// Reads the lines appended since the last look (the append lock held): verifies and applies them, cuts a torn
    /// last line (no writer can be in the middle of one while we hold the lock), checks the head record.
    /// `head` nil: read it now. A damaged journal stops the writer.
    @discardableResult
    private func catchUpLocked(head known: Journal.HeadState? = nil, now: Millis, collectWarnings: Bool = false,
                               repairHead: Bool = true) throws -> Int {
        do {
            let head: Journal.HeadState
            if let known { head = known } else {
                let raw = try FileIO.readAll(headFD, path: headPath)
                guard let parsed = Journal.parseHead(raw) else {
                    throw JournalError(path: headPath, line: 1, message: "unreadable head record")
                }
                head = parsed
                headBytes = raw
            }
            var st = stat()
            guard fstat(journalFD, &st) == 0 else { throw SysError(op: "fstat", path: journalPath, code: errno) }
            let size = Int(st.st_size)
            if size < length {
                throw JournalError(path: journalPath, line: chain.lineCount > 0 ? chain.lineCount : nil,
                                   message: "the journal is \(size) bytes, shorter than the \(length) bytes already verified (truncated or rewritten?)")
            }
            var added = 0
            if size > length {
                if case .at(let h) = head, h.seq > chain.lineCount { chain.watchSeq = h.seq }
                let bytes = try FileIO.readFrom(journalFD, offset: length, path: journalPath)
                let start = length
                let before = caughtUp.count
                let consumed = bytes.withUnsafeBufferPointer { buf in
                    Result { () throws(JournalError) -> Int in try chain.consume(buf, fileOffset: start, events: &caughtUp) }
                }
                let n = try consumed.get()
                added = caughtUp.count - before
                length += n
                if n < bytes.count {
                    // Never acknowledged (a writer died mid-line; we hold the lock, so nobody is writing it now):
                    // keep a copy, then cut it off so the next line starts clean.
                    let seq = chain.lineCount + 1
                    let saved = try saveTorn(bytes[n...], seq: seq, now: now)
                    try FileIO.truncateFile(journalFD, to: length, path: journalPath)
                    try FileIO.syncFile(journalFD, path: journalPath)
                    recovered = TornTail(line: seq, bytes: bytes.count - n, savedTo: saved)
                }
            }
            let found = try chain.checkHead(head)
            if collectWarnings { warnings = found }
            // Bring head up to date (one behind after a crash between the journal and head syncs; missing) — on
            // opening, only once `start` has decided the head may be taken on.
            if repairHead, !holdingHead { try repairHeadLocked() }
            return added
        } catch let e as SysError {
            throw e.journalError()
        } catch let e as JournalError {
            if e.line != nil { broken = "journal writer stopped: \(e)" }
            throw e
        }
    }

    /// Other writers' events this writer read since they were last taken, in journal order, and forgets them.
    /// After a failed append the events it caught up on before failing are here.
    public func takeCaughtUp() -> [JournalEvent] {
        defer { caughtUp = [] }
        return caughtUp
    }

    /// Looks for lines other writers appended (under the append lock) and returns every foreign event not yet
    /// taken, in journal order. Cuts a torn last line like an append does.
    public func catchUp(now: Millis) throws -> [JournalEvent] {
        try ready()
        try appendLock.acquire(actor: actor, waitMs: lockWaitMs)
        defer { appendLock.release() }
        try catchUpLocked(now: now)
        return takeCaughtUp()
    }

    private func ready() throws {
        guard journalFD >= 0 else { throw JournalError(path: journalPath, message: "journal writer is closed") }
        if let broken { throw JournalError(path: journalPath, message: broken) }
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

    /// An acknowledged append: the event as journaled, and the other writers' events read before it (in journal
    /// order, all before `event`), not yet handed to the caller.
    public struct Appended: Sendable, Equatable {
        public var event: JournalEvent
        public var foreign: [JournalEvent]
    }

    /// Appends one event as `actor` at `time` and returns it once its line is written and fsync'd and `head` is
    /// updated. Other writers' events read on the way are applied to `state` and dropped (see `appendCatchingUp`).
    @discardableResult
    public func append(_ body: EventBody, actor: String, time: Millis, token: Int? = nil) throws -> JournalEvent {
        let r = try appendCatchingUp(body, actor: actor, time: time, token: token)
        return r.event
    }

    /// Appends one event as `actor` at `time` (see the type's description) and returns it with the other writers'
    /// events read since the caller last took them. A driver-only event carries `token` (default: the lease this
    /// writer holds) and is refused (`LeaseError`) unless that is the lease's current token. Throws `ReduceError` if
    /// the real tip's state rejects the event, `AppendLockBusy`, or `JournalError` if writing fails: then the
    /// journal is cut back to the tip and the event is not recorded. Nothing is written in any of these cases; the
    /// events caught up on before failing stay for `takeCaughtUp`.
    public func appendCatchingUp(_ body: EventBody, actor: String, time: Millis, token: Int? = nil) throws -> Appended {
        try ready()
        try appendLock.acquire(actor: actor, waitMs: lockWaitMs)
        defer { appendLock.release() }
        try catchUpLocked(now: time)

        var fencing: Int? = nil
        if body.isDriverOnly {
            guard let t = token ?? lease?.token else { throw LeaseError.noToken(dir: stateDir, type: body.type) }
            let current = try DriverLease.read(stateDir: stateDir)
            // The lease file must also be ahead of every token already journaled (it could have been replaced).
            guard let current, current.token == t, !current.released, t >= chain.maxToken else {
                throw LeaseError.staleToken(dir: stateDir, type: body.type, token: t, current: current, now: wallClockMs())
            }
            fencing = t
        }

        let event = JournalEvent(seq: chain.lineCount + 1, time: time, actor: actor, body: body, token: fencing)
        let (line, hash) = try LineCodec.encode(event, prev: lastHash, encoder: encoder)
        try checkRoundTrip(line, event)

        // Validate by applying the event before writing: the reducer throws before it changes anything, and
        // the state is updated in place (copying it would cost O(events) per append).
        try chain.appendOwn(event, line: line, hash: hash, fileOffset: length)

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
        return Appended(event: event, foreign: takeCaughtUp())
    }

    /// After a failed append: rebuilds the chain from the journal's verified bytes (rare path; the lock is held).
    private func restoreState() {
        do {
            let bytes = try FileIO.readAll(journalFD, path: journalPath)
            var rebuilt = ChainVerifier(path: journalPath)
            var events: [JournalEvent] = []
            let prefix = Array(bytes.prefix(length))
            let n = try prefix.withUnsafeBufferPointer { buf throws(JournalError) in
                try rebuilt.consume(buf, fileOffset: 0, events: &events)
            }
            guard n == length else { throw JournalError(path: journalPath, message: "the verified part ends early") }
            chain = rebuilt
        } catch {
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
                && Timestamp.parse(env.time) == event.time && env.token == event.token
        }
        guard ok else {
            throw JournalError(path: journalPath, message: "seq \(event.seq) would not read back as written (time out of range?); nothing was written")
        }
    }

    /// Closes the files (a lease this writer holds stays until released or expired). Safe to call more than
    /// once; also done on deinit.
    public func close() {
        if journalFD >= 0 { FileIO.closeFD(journalFD); journalFD = -1 }
        if headFD >= 0 { FileIO.closeFD(headFD); headFD = -1 }
        appendLock.close()
        leaseLock?.close()
    }

    // MARK: the driver lease

    /// Takes the driver lease for this writer's actor unless a live one exists (then `LeaseError.held` names the
    /// holder, since and last heartbeat). An expired, unreleased lease is taken over: the grant names it and the
    /// gap. The new token is higher than any before it, in the lease file and in the journal.
    @discardableResult
    public func acquireLease(now: Millis, ttlMs: Millis = DriverLease.defaultTTLMs) throws -> LeaseGrant {
        try takeLease(now: now, ttlMs: ttlMs, reason: nil)
    }

    /// Takes over a lease whose holder stopped renewing it: refused (`LeaseError.notExpired`) while it is live,
    /// unless its holder offers driving to this writer's actor (`LeaseHolder.offer`, names compared exactly): then it
    /// is taken over at once, `offered` and with no gap. The grant names the old holder and the gap since its last
    /// heartbeat, for the caller to journal.
    @discardableResult
    public func takeOverLease(reason: String, now: Millis, ttlMs: Millis = DriverLease.defaultTTLMs) throws -> LeaseGrant {
        try takeLease(now: now, ttlMs: ttlMs, reason: reason)
    }

    private func takeLease(now: Millis, ttlMs: Millis, reason: String?) throws -> LeaseGrant {
        try ready()
        precondition(ttlMs > 0)
        // Every token already journaled, under the append lock; then the lease itself, under the lease lock.
        do {
            try appendLock.acquire(actor: actor, waitMs: lockWaitMs)
            defer { appendLock.release() }
            try catchUpLocked(now: now)
        }
        let lock = try leaseLockOpened()
        try lock.acquire(actor: actor, waitMs: lockWaitMs)
        defer { lock.release() }
        let current = try DriverLease.read(stateDir: stateDir)
        let offered = reason != nil && current.map { !$0.released && $0.isOffered(to: actor) } == true
        let live = current?.isLive(at: now) == true
        if let current, live, !offered {
            throw reason == nil ? LeaseError.held(dir: stateDir, current: current, now: now)
                                : LeaseError.notExpired(dir: stateDir, current: current, now: now)
        }
        let token = max(current?.token ?? 0, chain.maxToken) + 1
        let record = LeaseRecord(token: token, actor: actor, pid: getpid(), host: FileIO.hostName(), since: now,
                                 heartbeat: now, ttlMs: ttlMs)
        do throws(SysError) { try DriverLease.write(record, stateDir: stateDir, durable: true) } catch { throw error.journalError() }
        lease = record
        let previous = current.flatMap { $0.released ? nil : $0 }
        // Handed over while live: the previous driver drove until this very moment.
        return LeaseGrant(lease: record, previous: previous, gapMs: previous.map { live ? 0 : now - $0.heartbeat }, reason: reason,
                          offered: offered)
    }

    /// `DIR/lease.lock`, opened (created) on the first change to the lease.
    private func leaseLockOpened() throws -> AppendLock {
        if let leaseLock { return leaseLock }
        do throws(SysError) {
            let l = try AppendLock(stateDir: stateDir, name: AppendLock.leaseLockName)
            leaseLock = l
            return l
        } catch { throw error.journalError() }
    }

    /// The heartbeat: extends the lease to `now + ttl`. Throws `LeaseError.lost` if another writer took it over
    /// (this writer then holds no lease) and `notHolding` if it holds none. (To renew on another thread than the
    /// writer's, use a `LeaseHolder`.)
    public func renewLease(now: Millis) throws {
        guard let mine = lease else { throw LeaseError.notHolding(dir: stateDir) }
        try ready()
        let lock = try leaseLockOpened()
        try lock.acquire(actor: actor, waitMs: lockWaitMs)
        defer { lock.release() }
        do { lease = try DriverLease.renewLocked(mine, stateDir: stateDir, now: now) } catch let e as LeaseError {
            lease = nil
            throw e
        }
    }

    /// Gives the lease up so the next driver may acquire it at once (its token is never reused). A lease already
    /// taken over is left alone (`LeaseError.lost`).
    public func releaseLease(now: Millis) throws {
        guard let mine = lease else { throw LeaseError.notHolding(dir: stateDir) }
        guard journalFD >= 0 else { throw JournalError(path: journalPath, message: "journal writer is closed") }
        let lock = try leaseLockOpened()
        try lock.acquire(actor: actor, waitMs: lockWaitMs)
        defer { lock.release() }
        lease = nil
        try DriverLease.releaseLocked(mine, stateDir: stateDir, now: now)
    }
}
