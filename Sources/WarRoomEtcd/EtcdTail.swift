import WarRoomCore
import WarRoomStore

/// An incremental reader of a run in etcd, for followers (`warroom follow --store etcd://…`): each `poll()` is one
/// request — a read-only txn reading `PREFIX/head` and the entries from the last seq + 1 on, at one revision —
/// verified through the one `ChainVerifier` exactly as `EtcdJournal.open` verifies them. It never reads the entries
/// it already has, so a look costs one round trip and the new entries' bytes, however long the journal.
///
/// Why polling and not `/v3/watch`: the JSON gateway serves a watch as one HTTP response that never ends (a chunk
/// per event), and warroom's HTTP client hands over a response only when it is complete; a streaming reader is a
/// second HTTP client. Polling the tip once a second costs one ~0.2 ms request on a quiet etcd (the answer is the
/// 128-byte head and no entries) and finds a new entry within the poll interval; phase 2 may add the stream.
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
        return events
    }
}
