import Foundation
import WarRoomCore

/// A run's journal and driver lease, wherever they are kept: a state directory (`JournalWriter`) or an etcd prefix
/// (`EtcdJournal`, in WarRoomEtcd). Same guarantees either way: every append is checked against the real tip
/// (other writers' entries caught up on first, verified through the one `ChainVerifier`), acknowledged only once
/// durable, and a driver-only event carries the driver lease's current fencing token or is refused.
public protocol RunJournal: AnyObject {
    /// Where the journal is, for messages: a state directory or an `etcd://…` URL.
    var location: String { get }
    /// The actor named as this writer.
    var actor: String { get }
    /// State after every verified entry, this writer's and the others' (as of its last look).
    var state: RunState { get }
    /// Hash of the last entry; nil while the journal is empty.
    var lastHash: String? { get }
    /// The driver lease this writer holds, if any.
    var lease: LeaseRecord? { get }
    /// Appends one event (see `JournalWriter.appendCatchingUp`): the event as journaled and the other writers'
    /// entries read before it.
    func appendCatchingUp(_ body: EventBody, actor: String, time: Millis, token: Int?) throws -> JournalWriter.Appended
    /// Other writers' entries since the last look, in journal order.
    func catchUp(now: Millis) throws -> [JournalEvent]
    /// Other writers' entries read and not yet handed out (after a failed append, those it read before failing).
    func takeCaughtUp() -> [JournalEvent]
    func acquireLease(now: Millis, ttlMs: Millis) throws -> LeaseGrant
    func takeOverLease(reason: String, now: Millis, ttlMs: Millis) throws -> LeaseGrant
    func renewLease(now: Millis) throws
    func releaseLease(now: Millis) throws
    func close()
}

extension RunJournal {
    /// `appendCatchingUp`, keeping only the event.
    @discardableResult
    public func append(_ body: EventBody, actor: String, time: Millis, token: Int? = nil) throws -> JournalEvent {
        try appendCatchingUp(body, actor: actor, time: time, token: token).event
    }
}

extension JournalWriter: RunJournal {
    public var location: String { stateDir }
}

extension JournalWriter.Appended {
    /// For journals in other modules (the etcd store).
    package static func make(event: JournalEvent, foreign: [JournalEvent]) -> Self { Self(event: event, foreign: foreign) }
}

/// The driver lease's time to live: `WARROOM_LEASE_TTL_MS` when set to at least 1000 (tests of take-over), else
/// `DriverLease.defaultTTLMs`.
public func leaseTTLFromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Millis {
    env["WARROOM_LEASE_TTL_MS"].flatMap { Millis($0) }.flatMap { $0 >= 1000 ? $0 : nil } ?? DriverLease.defaultTTLMs
}

/// The journal's verification and line format for stores kept elsewhere than a state directory (the etcd store):
/// the same `ChainVerifier` and `LineCodec` as the file journal, fed one entry at a time, so an entry's bytes are
/// exactly a journal line and `verify` means the same thing on either store. `label` names the store in errors
/// (`etcd://127.0.0.1:2379/run/journal:12: prev does not match …`; the line is the seq).
package struct ChainFeed {
    private var chain: ChainVerifier
    private let encoder: JSONEncoder

    package init(label: String) {
        chain = ChainVerifier(path: label)
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder = e
    }

    package var label: String { chain.path }
    package var state: RunState { chain.state }
    /// Seq of the last verified entry.
    package var lineCount: Int { chain.lineCount }
    package var lastHash: String? { chain.lastHashString }
    /// The highest fencing token journaled so far.
    package var maxToken: Int { chain.maxToken }

    /// Verifies one entry — exactly one journal line, with its newline — as the next one of the chain (format,
    /// hash, seq, prev link, payload, reducer step, token order) and applies it. Throws naming the seq.
    package mutating func consume(line: [UInt8]) throws(JournalError) -> JournalEvent {
        let seq = chain.lineCount + 1
        guard line.last == 0x0A, line.firstIndex(of: 0x0A) == line.count - 1 else {
            throw JournalError(path: chain.path, line: seq, message: "entry is not exactly one line ending in a newline")
        }
        var events: [JournalEvent] = []
        let start = chain.lineCount
        let n = try line.withUnsafeBufferPointer { buf throws(JournalError) in
            try chain.consume(buf, fileOffset: start, events: &events)
        }
        guard n == line.count, events.count == 1 else {
            throw JournalError(path: chain.path, line: seq, message: "entry did not verify as one line")
        }
        return events[0]
    }

    /// The line for the next event (`seq` = lineCount + 1) and its hash, checked to read back as that very event.
    package func encode(_ event: JournalEvent) throws -> (line: [UInt8], hash: String) {
        precondition(event.seq == chain.lineCount + 1)
        let (line, hash) = try LineCodec.encode(event, prev: chain.lastHashString, encoder: encoder)
        let ok: Bool = line.withUnsafeBufferPointer { buf in
            guard let env = try? LineCodec.parseEnvelope(buf, 0, buf.count - 1),
                  let body = try? LineCodec.decodeBody(buf, env) else { return false }
            return env.seq == event.seq && env.actor == event.actor && body == event.body
                && Timestamp.parse(env.time) == event.time && env.token == event.token
        }
        guard ok else {
            throw JournalError(path: chain.path, message: "seq \(event.seq) would not read back as written (time out of range?); nothing was written")
        }
        return (line, hash)
    }

    /// Takes this writer's own just-encoded line into the chain after the reducer accepts it (a `ReduceError`
    /// leaves the chain as it was). Call before writing: the store writes only what the reducer accepted.
    package mutating func appendOwn(_ event: JournalEvent, line: [UInt8], hash: String) throws(ReduceError) {
        try chain.appendOwn(event, line: line, hash: hash, fileOffset: 0)
    }

    /// Checks the tip record (`{"seq":N,"hash":"…"}`) against the verified entries.
    package mutating func checkHead(_ bytes: [UInt8]?) throws(JournalError) {
        guard let bytes else {
            if chain.lineCount > 0 { throw JournalError(path: chain.path, message: "the head record is missing although there are \(chain.lineCount) entries") }
            return
        }
        guard let head = Journal.parseHead(bytes) else {
            throw JournalError(path: chain.path, message: "unreadable head record")
        }
        _ = try chain.checkHead(head)
    }

    /// The tip record as the file store writes `DIR/head` (padded to 128 bytes).
    package static func headBytes(seq: Int, hash: String) -> [UInt8] { Journal.encodeHead(Journal.Head(seq: seq, hash: hash)) }

    /// `(seq, hash)` of a head record; nil when unreadable, `(0, "")` when empty.
    package static func parseHead(_ bytes: [UInt8]) -> (seq: Int, hash: String)? {
        switch Journal.parseHead(bytes) {
        case nil: return nil
        case .missing?, .empty?: return (0, "")
        case .at(let h)?: return (h.seq, h.hash)
        }
    }

    /// `DIR/journal.jsonl` and `DIR/head`.
    package static func journalPath(in dir: String) -> String { Journal.path(in: dir) }
    package static func headPath(in dir: String) -> String { Journal.join(dir, Journal.headName) }
}

extension LeaseGrant {
    package static func make(lease: LeaseRecord, previous: LeaseRecord?, gapMs: Millis?, reason: String?) -> Self {
        Self(lease: lease, previous: previous, gapMs: gapMs, reason: reason)
    }
}

extension LeaseRecord {
    /// The record's JSON (one line), as `DIR/lease` holds it.
    package func encodedBytes() -> [UInt8] { encoded() }
    package static func parseBytes(_ bytes: [UInt8]) -> LeaseRecord? { parse(bytes) }
}

extension Replay {
    /// A replay read from another store (etcd), for the commands that take one.
    public init(state: RunState, events: [JournalEvent], lastHash: String?, lineCount: Int, warnings: [String] = []) {
        self.init(state: state, events: events, lastHash: lastHash, tornTail: nil, lineCount: lineCount, warnings: warnings)
    }
}
