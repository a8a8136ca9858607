import Foundation
import WarRoomCore
import WarRoomStore

/// A run's journal in etcd (see `EtcdKeys` for the keys), with the file journal's guarantees: entries are exactly the
/// file journal's lines (the one `LineCodec`, the one hash chain: `verify` and `export` are byte-identical), and any
/// number of writers, on any machines, append without forking the chain.
///
/// An append is one txn: *if `PREFIX/head`'s mod_revision is still the one this writer last saw* (and, for a
/// driver-only event, *`PREFIX/lease`'s create_revision is the writer's fencing token*) *then put the entry and the
/// new head*. When the compare fails, the writer reads only the entries it missed (from its last seq + 1, one
/// request), verifies and applies them through the one `ChainVerifier` (they are `foreign`, as
/// `JournalWriter.appendCatchingUp` returns them), re-checks the event against the new tip (the reducer: an undo of
/// a change someone else replaced meanwhile is refused) and tries again, at most `maxAttempts` times. A request that
/// failed without an answer may have been carried out: the next look finds the writer's own line (byte-identical)
/// at its seq and acknowledges it, never writing it twice. An event is acknowledged only once etcd committed it (a
/// quorum has it on disk). Not thread-safe: one writer per thread (many may share a prefix).
public final class EtcdJournal: RunJournal {
    public let url: EtcdURL
    public let client: EtcdClient
    public let actor: String
    public var location: String { url.description }
    public var state: RunState { feed.state }
    public var lastHash: String? { feed.lastHash }
    /// Seq of the last entry this writer knows.
    public var lineCount: Int { feed.lineCount }
    /// The driver lease this writer holds (its token is the lease key's create_revision).
    public internal(set) var lease: LeaseRecord?
    /// The etcd lease (ID) behind `lease`.
    public internal(set) var leaseID: Int64 = 0
    /// Compare failures (other writers moved the tip) one append survives before giving up.
    public var maxAttempts = 64
    /// How long one append keeps trying while etcd cannot be reached or has no leader.
    public var retryBudgetMs: Int64 = 4_000

    let keys: EtcdKeys
    private var feed: ChainFeed
    /// `PREFIX/head`'s mod_revision as last seen (0: no head yet).
    private var headRevision: Int64 = 0
    private var caughtUp: [JournalEvent] = []
    private var broken: JournalError?

    init(url: EtcdURL, actor: String, client: EtcdClient) {
        self.url = url
        self.actor = actor
        self.client = client
        keys = EtcdKeys(prefix: url.prefix)
        feed = ChainFeed(label: url.description + "/journal")
    }

    /// Opens the run at `url` as `actor`: reads every entry at one revision, verifies the chain and the head record
    /// (any damage throws a `JournalError` naming the seq). An empty prefix is an empty journal.
    public static func open(url: EtcdURL, actor: String, now: Millis, client: EtcdClient? = nil) throws -> EtcdJournal {
        let j = EtcdJournal(url: url, actor: actor, client: client ?? EtcdClient(url: url))
        do {
            _ = try j.readMissed(pending: nil)
        } catch let e as EtcdError {
            throw EtcdStoreError(url: url, action: "open the journal", cause: e)
        }
        j.caughtUp = []
        return j
    }

    public func close() {}

    public func takeCaughtUp() -> [JournalEvent] {
        defer { caughtUp = [] }
        return caughtUp
    }

    /// Reads the entries other writers appended since the last look (one request) and returns every foreign event
    /// not yet taken.
    public func catchUp(now: Millis) throws -> [JournalEvent] {
        try ready()
        do { _ = try readMissed(pending: nil) } catch let e as EtcdError {
            throw EtcdStoreError(url: url, action: "read the journal", cause: e)
        }
        return takeCaughtUp()
    }

    private func ready() throws {
        if let broken { throw broken }
    }

    /// A line this writer sent that may have been committed although no answer said so.
    struct Pending {
        var event: JournalEvent
        var line: [UInt8]
        var hash: String
    }

    /// Reads the head and the entries after the last known one, at one revision, and takes them into the chain.
    /// Returns true when `pending`'s line is among them (then it is applied as this writer's own event, and the
    /// entries after it are left in `caughtUp`). Damage stops the writer.
    func readMissed(pending: Pending?) throws -> Bool {
        var own = false
        var before: [JournalEvent] = []
        var after: [JournalEvent] = []
        var revision: Int64 = 0
        var head: EtcdKV?
        do throws(any Error) {
            while true {
                let look = try client.look(keys, from: feed.lineCount + 1, revision: revision)
                if revision == 0 {
                    revision = look.revision
                    head = look.head
                }
                for kv in look.entries {
                    if let p = pending, !own, p.event.seq == feed.lineCount + 1, kv.key == keys.entry(p.event.seq), kv.value == p.line {
                        do throws(ReduceError) { try feed.appendOwn(p.event, line: p.line, hash: p.hash) } catch {
                            throw JournalError(path: feed.label, line: p.event.seq, message: "rejected by the reducer: \(error.message)")
                        }
                        own = true
                        continue
                    }
                    let e = try feed.take(kv, keys: keys)
                    if own { after.append(e) } else { before.append(e) }
                }
                if !look.more || look.entries.isEmpty { break }
            }
            try feed.checkHead(head?.value)
        } catch let e as JournalError {
            caughtUp += before
            if e.line != nil { broken = JournalError(path: e.path, line: e.line, message: "journal writer stopped: \(e.message)") }
            throw e
        }
        if let head, let parsed = ChainFeed.parseHead(head.value), parsed.seq != feed.lineCount {
            let e = JournalError(path: feed.label, line: feed.lineCount,
                                 message: "the head record says seq \(parsed.seq) but the entries end at \(feed.lineCount) (entries written without the head?)")
            broken = e
            throw e
        }
        headRevision = head?.modRevision ?? 0
        caughtUp += before
        if own {
            pendingAfter = after
        } else {
            caughtUp += after
        }
        return own
    }

    /// Entries read after this writer's own line in the look that found it (handed out after its acknowledgement).
    private var pendingAfter: [JournalEvent] = []

    public func appendCatchingUp(_ body: EventBody, actor: String, time: Millis, token: Int? = nil) throws -> JournalWriter.Appended {
        try ready()
        let started = DispatchTime.now().uptimeNanoseconds
        func withinBudget() -> Bool { Int64((DispatchTime.now().uptimeNanoseconds - started) / 1_000_000) < retryBudgetMs }
        var needLook = false
        var uncertain: Pending? = nil
        var lastTransient: EtcdError? = nil
        var compareFailures = 0
        var looked = false
        while true {
            if needLook {
                do {
                    if try readMissed(pending: uncertain), let p = uncertain {
                        let done = JournalWriter.Appended.make(event: p.event, foreign: takeCaughtUp())
                        caughtUp = pendingAfter
                        pendingAfter = []
                        return done
                    }
                    uncertain = nil
                    needLook = false
                    looked = true
                } catch let e as EtcdError where e.isTransient {
                    guard withinBudget() else { throw notSaved(body, e, uncertain: uncertain != nil) }
                    lastTransient = e
                    usleep(100_000)
                    continue
                } catch let e as EtcdError {
                    throw notSaved(body, e, uncertain: uncertain != nil)
                }
            }
            var fencing: Int? = nil
            if body.isDriverOnly {
                guard let t = token ?? lease?.token else { throw LeaseError.noToken(dir: location, type: body.type) }
                guard t >= feed.maxToken else {
                    throw LeaseError.staleToken(dir: location, type: body.type, token: t, current: try? currentLease(now: time), now: time)
                }
                fencing = t
            }
            let event = JournalEvent(seq: feed.lineCount + 1, time: time, actor: actor, body: body, token: fencing)
            let (line, hash) = try feed.encode(event)
            var trial = feed
            do throws(ReduceError) {
                try trial.appendOwn(event, line: line, hash: hash)  // the reducer: throws before anything is sent
            } catch {
                // Refused against this writer's view: refuse only once that view is the tip as just read.
                guard looked else { needLook = true; continue }
                throw error
            }
            var compare: [EtcdCompare] = [headRevision == 0 ? .createRevision(keys.head, .equal, 0) : .modRevision(keys.head, .equal, headRevision)]
            if let t = fencing { compare.append(.createRevision(keys.lease, .equal, Int64(t))) }
            let result: EtcdTxnResult
            do {
                result = try client.txn(compare: compare, success: [
                    .put(key: keys.entry(event.seq), value: line, lease: 0),
                    .put(key: keys.head, value: ChainFeed.headBytes(seq: event.seq, hash: hash), lease: 0),
                ], failure: [.range(key: keys.lease, rangeEnd: [], limit: 0, revision: 0)])
            } catch {
                guard error.isTransient else { throw notSaved(body, error, uncertain: false) }
                // Maybe carried out: the next look tells (our exact line at our seq).
                uncertain = error.kind == .unreachable && error.message == "connection refused" ? uncertain : Pending(event: event, line: line, hash: hash)
                lastTransient = error
                needLook = true
                guard withinBudget() else {
                    // One last look, so an append that did land is acknowledged rather than reported lost.
                    if let p = uncertain, (try? readMissed(pending: p)) == true {
                        let done = JournalWriter.Appended.make(event: p.event, foreign: takeCaughtUp())
                        caughtUp = pendingAfter
                        pendingAfter = []
                        return done
                    }
                    throw notSaved(body, lastTransient ?? error, uncertain: uncertain != nil)
                }
                usleep(100_000)
                continue
            }
            if result.succeeded {
                feed = trial
                headRevision = result.revision
                return JournalWriter.Appended.make(event: event, foreign: takeCaughtUp())
            }
            // The compare failed: this request wrote nothing. But an earlier copy of it, sent to another endpoint
            // that did not answer, may be what moved the tip: look for this very line at its seq.
            uncertain = Pending(event: event, line: line, hash: hash)
            if let t = fencing {
                let holder = result.ranges.first??.kvs.first
                if holder?.createRevision != Int64(t) {
                    _ = try? readMissed(pending: nil)
                    let current = holder.flatMap { try? leaseRecord($0, now: time) }
                    throw LeaseError.staleToken(dir: location, type: body.type, token: t, current: current, now: time)
                }
            }
            compareFailures += 1
            guard compareFailures < maxAttempts else {
                throw JournalError(path: location, message: "\(body.type) not saved: other writers moved the tip \(compareFailures) times in a row; nothing was written")
            }
            needLook = true
        }
    }

    private func notSaved(_ body: EventBody, _ e: EtcdError, uncertain: Bool) -> EtcdStoreError {
        EtcdStoreError(url: url, action: "save \(body.type)", cause: e, mayBeRecorded: uncertain)
    }

    /// The journal's entries in order, as lines (for `export`): read afresh at one revision, verified.
    func readAllLines() throws -> (lines: [[UInt8]], head: [UInt8]?, revision: Int64) {
        var check = ChainFeed(label: feed.label)
        var lines: [[UInt8]] = []
        var revision: Int64 = 0
        var head: EtcdKV?
        do throws(any Error) {
            while true {
                let look = try client.look(keys, from: check.lineCount + 1, revision: revision)
                if revision == 0 { (revision, head) = (look.revision, look.head) }
                for kv in look.entries {
                    _ = try check.take(kv, keys: keys)
                    lines.append(kv.value)
                }
                if !look.more || look.entries.isEmpty { break }
            }
        } catch let e as EtcdError {
            throw EtcdStoreError(url: url, action: "read the journal", cause: e)
        }
        try check.checkHead(head?.value)
        if let head, let parsed = ChainFeed.parseHead(head.value), parsed.seq != check.lineCount {
            throw JournalError(path: feed.label, line: check.lineCount, message: "the head record says seq \(parsed.seq) but the entries end at \(check.lineCount)")
        }
        return (lines, head?.value, revision)
    }
}

/// An etcd store operation that failed: names the store URL, what was being done, and etcd's answer. When
/// `mayBeRecorded`, the request was sent and no answer came: etcd may have carried it out (the next look shows it).
public struct EtcdStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public var url: EtcdURL
    public var action: String
    public var cause: EtcdError
    public var mayBeRecorded = false

    public init(url: EtcdURL, action: String, cause: EtcdError, mayBeRecorded: Bool = false) {
        self.url = url
        self.action = action
        self.cause = cause
        self.mayBeRecorded = mayBeRecorded
    }

    /// etcd could not be reached or has no quorum (the console's STORE UNREACHABLE / NO QUORUM).
    public var isOutage: Bool { cause.isTransient }

    public var description: String {
        "\(url): could not \(action): \(cause)"
            + (mayBeRecorded ? "; it may still have been recorded (the next look at the journal shows it)" : "; nothing was written")
    }
}
