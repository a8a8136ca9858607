import WarRoomCore
import WarRoomStore

/// An incremental reader of a run in etcd, for followers (`warroom follow --store etcd://…`): each `poll()` is one
/// request — a read-only txn reading `PREFIX/head` and the entries from the last seq + 1 on, at one revision —
/// verified through the one `ChainVerifier` exactly as `EtcdJournal.open` verifies them. It never reads the entries
/// it already has, so a look costs one round trip and the new entries' bytes, however long the journal.
///
/// A follower reads once with `poll()`, then takes what a watch of the prefix reports with `take(_:)`
/// (`EtcdTailWatcher`): the same chain check, without asking; `poll()` again only to fill a gap (a compacted
/// watch, a stalled one) or when the watch cannot be opened at all.
///
/// Damage (an entry that does not verify, a head record that disagrees) throws a `JournalError` naming the seq,
/// and every later poll throws it again. Not thread-safe.
public final class EtcdTail {
    public let url: EtcdURL
    public let client: EtcdClient
    let keys: EtcdKeys
    private var feed: ChainFeed
    public private(set) var damage: JournalError?

    public init(url: EtcdURL, client: EtcdClient? = nil) {
        self.url = url
        self.client = client ?? EtcdClient(url: url)
        keys = EtcdKeys(prefix: url.prefix)
        feed = ChainFeed(label: url.description + "/journal")
    }

    public var state: RunState { feed.state }
    public var lineCount: Int { feed.lineCount }
    public var lastHash: String? { feed.lastHash }
    /// The store revision the journal is known up to: that of the last `poll()`, or of the last change taken from a
    /// watch (a watch continues from the next one).
    public private(set) var revision: Int64 = 0
    /// The run's prefix with its slash (`PREFIX/`): everything a follower watches.
    public var watchKey: [UInt8] { keys.all }

    /// The entries appended since the last poll (every entry on the first), verified. Throws `EtcdStoreError` when
    /// etcd cannot answer (poll again later) and a `JournalError` for damage.
    public func poll() throws -> [JournalEvent] {
        if let damage { throw damage }
        var events: [JournalEvent] = []
        var revision: Int64 = 0
        var head: EtcdKV?
        let before = feed
        do throws(any Error) {
            while true {
                let look = try client.look(keys, from: feed.lineCount + 1, revision: revision)
                if revision == 0 { (revision, head) = (look.revision, look.head) }
                for kv in look.entries { events.append(try feed.take(kv, keys: keys)) }
                if !look.more || look.entries.isEmpty { break }
            }
            try feed.checkHead(head?.value)
            if let head, let parsed = ChainFeed.parseHead(head.value), parsed.seq != feed.lineCount {
                throw JournalError(path: feed.label, line: feed.lineCount,
                                   message: "the head record says seq \(parsed.seq) but the entries end at \(feed.lineCount)")
            }
        } catch let e as EtcdError {
            feed = before  // nothing taken: the next poll reads the same entries again
            throw EtcdStoreError(url: url, action: "read the journal", cause: e)
        } catch let e as JournalError {
            damage = e
            throw e
        }
        self.revision = max(self.revision, revision)
        return events
    }

    /// Takes the changes a watch of `watchKey` reported, in revision order: each new entry through the chain check
    /// (as `poll()`), each head record checked against the entries. Changes at or before `revision` were read
    /// already and are skipped; other keys are not the journal's. Returns the new events and whether the watch
    /// skipped entries (then `poll()` reads them; the changes after the gap are covered by that read). Damage — an
    /// entry that does not verify, an entry or the head rewritten or deleted — throws a `JournalError` (and every
    /// later call throws it again).
    public func take(_ changes: [EtcdWatchEvent]) throws(JournalError) -> (events: [JournalEvent], gap: Bool) {
        if let damage { throw damage }
        var events: [JournalEvent] = []
        do throws(JournalError) {
            for change in changes where change.kv.modRevision > revision {
                let kv = change.kv
                let isHead = kv.key == keys.head
                let seq = keys.seq(of: kv.key)
                guard isHead || seq != nil else {
                    revision = kv.modRevision  // another key of the run: the journal did not change
                    continue
                }
                if change.kind == .delete {
                    throw JournalError(path: feed.label, line: seq ?? feed.lineCount,
                                       message: isHead ? "the head record was deleted" : "entry \(seq ?? 0) was deleted")
                }
                if let seq {
                    if seq > feed.lineCount + 1 { return (events, true) }
                    guard seq == feed.lineCount + 1 else {
                        throw JournalError(path: feed.label, line: seq, message: "entry \(seq) was written again (the journal changed under us)")
                    }
                    events.append(try feed.take(kv, keys: keys))
                } else {
                    guard let parsed = ChainFeed.parseHead(kv.value) else {
                        throw JournalError(path: feed.label, message: "unreadable head record")
                    }
                    if parsed.seq > feed.lineCount { return (events, true) }
                    guard parsed.seq == feed.lineCount else {
                        throw JournalError(path: feed.label, line: parsed.seq,
                                           message: "the head record went back to seq \(parsed.seq), behind the \(feed.lineCount) entries read (journal rewritten?)")
                    }
                    try feed.checkHead(kv.value)
                }
                revision = kv.modRevision
            }
        } catch {
            damage = error
            throw error
        }
        return (events, false)
    }

    /// Everything up to `revision` was reported (a watch's progress notification), nothing of the journal among it.
    public func seen(upTo revision: Int64) {
        self.revision = max(self.revision, revision)
    }
}
