#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import WarRoomCore

/// The driver lease of a state directory (`DIR/lease`): who drives the run — the one writer allowed to append
/// driver-only events (`EventBody.isDriverOnly`: ramp decisions, hook results, light trips and clears, verdict
/// changes, run.config). The holder renews it (a heartbeat, every `DriverLease.heartbeatMs`); it expires `ttlMs`
/// after the last heartbeat. Every take-over — any acquisition — gets a fencing token higher than every token
/// before it (in the lease file and in the journal); driver events carry it, and the journal writer refuses one
/// whose token is not the lease's current token, checked under the append lock, so a driver that lost its lease
/// can never write after the next one took over.
///
/// The file is replaced atomically (temporary file, fsync, rename) and only changed while holding the lease lock
/// (`DIR/lease.lock`, never the append lock: a heartbeat never holds up an append); readers need no lock. Its
/// content, one JSON object:
/// `{"token":3,"actor":"dana","pid":4242,"host":"h1","since":<unix ms>,"heartbeat":<unix ms>,"ttl":10000,"released":false}`,
/// with `"offered_to":"lee"` after `released` while the holder offers driving to someone (a deliberate hand-over:
/// `lee`'s `--take-over` is then accepted at once, see `JournalWriter.takeOverLease`). Files without it parse.
public enum DriverLease {
    public static let fileName = "lease"
    /// How often the holder should renew.
    public static let heartbeatMs: Millis = 2_000
    /// How long a lease lives without a heartbeat.
    public static let defaultTTLMs: Millis = 10_000

    /// `DIR/lease`
    public static func path(in dir: String) -> String { Journal.join(dir, fileName) }

    /// The lease as it is now (no lock taken, nothing written); nil when no driver ever took one.
    public static func read(stateDir: String) throws(JournalError) -> LeaseRecord? {
        let path = path(in: stateDir)
        let bytes: [UInt8]?
        do throws(SysError) { bytes = try FileIO.readFile(path) } catch { throw error.journalError() }
        guard let bytes else { return nil }
        guard let record = LeaseRecord.parse(bytes) else {
            throw JournalError(path: path, line: 1, message: "unreadable lease record")
        }
        return record
    }

    static func write(_ record: LeaseRecord, stateDir: String, durable: Bool) throws(SysError) {
        try FileIO.replaceAtomically(path(in: stateDir), with: record.encoded(), durable: durable)
    }

    /// The heartbeat (the lease lock held): `mine` renewed to `now`, or `LeaseError.lost`.
    static func renewLocked(_ mine: LeaseRecord, stateDir: String, now: Millis) throws -> LeaseRecord {
        let current = try read(stateDir: stateDir)
        guard let current, current.token == mine.token, !current.released else {
            throw LeaseError.lost(dir: stateDir, token: mine.token, current: current, now: now)
        }
        var renewed = current // the offer, if any, stays
        renewed.heartbeat = max(now, current.heartbeat)
        do throws(SysError) { try write(renewed, stateDir: stateDir, durable: false) } catch { throw error.journalError() }
        return renewed
    }

    /// Offers driving to `to` (nil withdraws the offer) on `mine` (the lease lock held), renewing it too; or
    /// `LeaseError.lost`. Written durably: a take-over may rely on it at once.
    static func offerLocked(_ mine: LeaseRecord, to: String?, stateDir: String, now: Millis) throws -> LeaseRecord {
        let current = try read(stateDir: stateDir)
        guard let current, current.token == mine.token, !current.released else {
            throw LeaseError.lost(dir: stateDir, token: mine.token, current: current, now: now)
        }
        var offered = current
        offered.offeredTo = to
        offered.heartbeat = max(now, current.heartbeat)
        do throws(SysError) { try write(offered, stateDir: stateDir, durable: true) } catch { throw error.journalError() }
        return offered
    }

    /// Giving `mine` up (the lease lock held), or `LeaseError.lost` if it was taken over.
    static func releaseLocked(_ mine: LeaseRecord, stateDir: String, now: Millis) throws {
        let current = try read(stateDir: stateDir)
        guard let current, current.token == mine.token, !current.released else {
            throw LeaseError.lost(dir: stateDir, token: mine.token, current: current, now: now)
        }
        var released = current
        released.released = true
        released.offeredTo = nil // an offer lives on its lease
        released.heartbeat = max(now, current.heartbeat)
        do throws(SysError) { try write(released, stateDir: stateDir, durable: true) } catch { throw error.journalError() }
    }
}

/// A driver lease held, for renewing and releasing it away from the journal writer (another thread or queue than
/// the writer's): changes to the lease take `DIR/lease.lock`, never the append lock, so a heartbeat (an fsync'd
/// file replace) never holds up an append. Fencing stays exact: a take-over is written (renamed) before the new
/// driver's first append, and an append that read the old token under the append lock is in the journal before
/// any of the new driver's. Not thread-safe: use from one queue.
public final class LeaseHolder {
    public let stateDir: String
    /// The lease as last renewed; nil once lost or released.
    public private(set) var lease: LeaseRecord?
    public var lockWaitMs = 2_000
    private let actor: String
    private let lock: AppendLock

    public init(stateDir: String, actor: String, lease: LeaseRecord) throws {
        self.stateDir = stateDir
        self.actor = actor
        self.lease = lease
        do throws(SysError) { lock = try AppendLock(stateDir: stateDir, name: AppendLock.leaseLockName) } catch {
            throw error.journalError()
        }
    }

    deinit { lock.close() }

    /// Extends the lease to `now + ttl`; `LeaseError.lost` (and nil `lease`) once another driver took it over.
    public func renew(now: Millis) throws {
        guard let mine = lease else { throw LeaseError.notHolding(dir: stateDir) }
        try lock.acquire(actor: actor, waitMs: lockWaitMs)
        defer { lock.release() }
        do { lease = try DriverLease.renewLocked(mine, stateDir: stateDir, now: now) } catch let e as LeaseError {
            lease = nil
            throw e
        }
    }

    /// Offers driving to `to` (the next driver's actor name; nil withdraws the offer): while the offer stands,
    /// `to`'s take-over is accepted at once, even though this lease is live; this holder drives until then.
    /// Renewals keep the offer. `LeaseError.lost` (and nil `lease`) once another driver took the lease over.
    public func offer(to: String?, now: Millis) throws {
        guard let mine = lease else { throw LeaseError.notHolding(dir: stateDir) }
        try lock.acquire(actor: actor, waitMs: lockWaitMs)
        defer { lock.release() }
        do { lease = try DriverLease.offerLocked(mine, to: to, stateDir: stateDir, now: now) } catch let e as LeaseError {
            lease = nil
            throw e
        }
    }

    /// Gives the lease up (its token is never reused); a lease already taken over is left alone.
    public func release(now: Millis) throws {
        guard let mine = lease else { throw LeaseError.notHolding(dir: stateDir) }
        try lock.acquire(actor: actor, waitMs: lockWaitMs)
        defer { lock.release() }
        lease = nil
        try DriverLease.releaseLocked(mine, stateDir: stateDir, now: now)
    }
}

/// One state of the driver lease.
public struct LeaseRecord: Sendable, Equatable {
    /// The fencing token: higher on every take-over, never reused.
    public var token: Int
    public var actor: String
    public var pid: Int32
    public var host: String
    /// When this holder took the lease (unix ms).
    public var since: Millis
    /// The last renewal (unix ms).
    public var heartbeat: Millis
    /// Lifetime without a heartbeat (ms).
    public var ttlMs: Millis
    /// Given up by its holder: anyone may acquire it at once.
    public var released: Bool
    /// The actor the holder offers driving to (a deliberate hand-over), whose `--take-over` is accepted at once
    /// while the lease is live. Compared exactly (actor names are identities, like the Unix accounts they default
    /// to: "Lee" is not "lee").
    public var offeredTo: String?

    public init(token: Int, actor: String, pid: Int32, host: String, since: Millis, heartbeat: Millis, ttlMs: Millis,
                released: Bool = false, offeredTo: String? = nil) {
        self.token = token
        self.actor = actor
        self.pid = pid
        self.host = host
        self.since = since
        self.heartbeat = heartbeat
        self.ttlMs = ttlMs
        self.released = released
        self.offeredTo = offeredTo
    }

    /// Whether a take-over by `actor` is offered.
    public func isOffered(to actor: String) -> Bool { offeredTo == actor }

    /// When it expires without another heartbeat.
    public var expires: Millis { heartbeat + ttlMs }

    /// Held, renewed within its lifetime, at `now`.
    public func isLive(at now: Millis) -> Bool { !released && now < expires }

    /// `dana (pid 4242 on host1), since 2026-11-22T02:11:01.123Z, last heartbeat 3 s ago`
    public func holderText(at now: Millis) -> String {
        "\(actor) (pid \(pid) on \(host)), since \(Timestamp.iso8601(since)), last heartbeat "
            + Self.ago(now - heartbeat) + ", token \(token)"
    }

    static func ago(_ ms: Millis) -> String {
        if ms < 0 { return "in the future (\(Self.seconds(-ms)) ahead: clocks disagree?)" }
        return "\(Self.seconds(ms)) ago"
    }

    static func seconds(_ ms: Millis) -> String {
        ms < 10_000 ? "\(Double(ms / 100) / 10) s" : "\(ms / 1000) s"
    }

    func encoded() -> [UInt8] {
        var out = Array(#"{"token":\#(token),"actor":"#.utf8)
        appendJSONString(actor, to: &out)
        out.append(contentsOf: #","pid":\#(pid),"host":"#.utf8)
        appendJSONString(host, to: &out)
        out.append(contentsOf: #","since":\#(since),"heartbeat":\#(heartbeat),"ttl":\#(ttlMs),"released":\#(released)"#.utf8)
        if let offeredTo {
            out.append(contentsOf: #","offered_to":"#.utf8)
            appendJSONString(offeredTo, to: &out)
        }
        out.append(contentsOf: "}\n".utf8)
        return out
    }

    static func parse(_ bytes: [UInt8]) -> LeaseRecord? {
        guard let v = parseJSON(bytes), case .object = v,
              let token = v["token"]?.int, token >= 1, let actor = v["actor"]?.string,
              let pid = v["pid"]?.int.flatMap({ Int32(exactly: $0) }), let host = v["host"]?.string,
              let since = v["since"]?.int, let heartbeat = v["heartbeat"]?.int, let ttl = v["ttl"]?.int, ttl > 0,
              case .bool(let released)? = v["released"] else { return nil }
        var offeredTo: String?
        switch v["offered_to"] {
        case nil, .null?: break
        case .string(let to)?: offeredTo = to
        default: return nil
        }
        return LeaseRecord(token: Int(token), actor: actor, pid: pid, host: host, since: Millis(since),
                           heartbeat: Millis(heartbeat), ttlMs: Millis(ttl), released: released, offeredTo: offeredTo)
    }
}

/// A lease granted: the new lease and the one it replaced (a take-over's previous holder), if any.
public struct LeaseGrant: Sendable, Equatable {
    public var lease: LeaseRecord
    /// The lease this one replaced, unless there was none or it had been released.
    public var previous: LeaseRecord?
    /// Time between the previous holder's last heartbeat and this grant (ms): how long nobody drove.
    public var gapMs: Millis?
    /// Why (a take-over's reason; nil for a plain acquire).
    public var reason: String?
    /// The previous holder offered driving to this actor (a deliberate hand-over): taken over at once, even live.
    public var offered: Bool = false
}

/// Why a lease operation or a driver append was refused. `description` names the directory, the holder and
/// the tokens, and says that nothing was written.
public enum LeaseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Acquire refused: a live lease exists.
    case held(dir: String, current: LeaseRecord, now: Millis)
    /// Take-over refused: the lease has not expired.
    case notExpired(dir: String, current: LeaseRecord, now: Millis)
    /// Renew or release refused: this writer's token is no longer the lease's (taken over, or never held).
    case lost(dir: String, token: Int, current: LeaseRecord?, now: Millis)
    /// This writer holds no lease.
    case notHolding(dir: String)
    /// A driver-only event without a token.
    case noToken(dir: String, type: String)
    /// A driver-only event whose token is not the lease's current one.
    case staleToken(dir: String, type: String, token: Int, current: LeaseRecord?, now: Millis)

    public var description: String {
        switch self {
        case .held(let dir, let c, let now):
            return "\(DriverLease.path(in: dir)): the driver lease is held by \(c.holderText(at: now)); it expires "
                + "\(LeaseRecord.seconds(max(0, c.expires - now))) after its last heartbeat unless renewed"
                + (c.offeredTo.map { "; \(c.actor) offers driving to \($0), who accepts with --take-over REASON" } ?? "")
        case .notExpired(let dir, let c, let now):
            return "\(DriverLease.path(in: dir)): take-over refused: the driver lease of \(c.holderText(at: now)) "
                + "has not expired (it does in \(LeaseRecord.seconds(max(0, c.expires - now))) without a heartbeat)"
                + (c.offeredTo.map { "; it is offered to \($0) only" } ?? "")
        case .lost(let dir, let token, let c, let now):
            return "\(DriverLease.path(in: dir)): driver lease lost: token \(token) is no longer current"
                + (c.map { "; the lease is now \($0.released ? "released by" : "held by") \($0.holderText(at: now))" } ?? "; there is no lease")
        case .notHolding(let dir):
            return "\(DriverLease.path(in: dir)): this writer holds no driver lease"
        case .noToken(let dir, let type):
            return "\(Journal.path(in: dir)): \(type) is a driver entry: only the holder of the driver lease may write it "
                + "(no token given); nothing was written"
        case .staleToken(let dir, let type, let token, let c, let now):
            return "\(Journal.path(in: dir)): \(type) refused: driver token \(token) is stale"
                + (c.map { " (the lease is token \($0.token), \($0.released ? "released by" : "held by") \($0.holderText(at: now)))" } ?? " (there is no lease)")
                + "; nothing was written"
        }
    }
}
