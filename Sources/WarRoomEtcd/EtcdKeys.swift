import WarRoomCore
import WarRoomStore

/// The keys of one run under its prefix:
///
/// - `PREFIX/journal/000000000001` … one per entry, the value exactly the file journal's line (with its newline);
/// - `PREFIX/head` the tip, exactly the file store's `DIR/head` record (`{"seq":N,"hash":"…"}` padded to 128 bytes);
/// - `PREFIX/lease` the driver lease (attached to an etcd lease; its create_revision is the fencing token);
/// - `PREFIX/lease-last` the last driver's record (kept after the lease key vanished: the hand-over names it);
/// - `PREFIX/lease-claim` for a moment while an offered hand-over completes: the named driver's claim (attached to a
///   short etcd lease), so nobody else takes the lease key between its two steps.
struct EtcdKeys {
    let prefix: String
    let journalPrefix: [UInt8]
    let journalEnd: [UInt8]
    let head: [UInt8]
    let lease: [UInt8]
    let leaseLast: [UInt8]
    let leaseClaim: [UInt8]
    let all: [UInt8]

    init(prefix: String) {
        self.prefix = prefix
        journalPrefix = Array((prefix + "/journal/").utf8)
        journalEnd = EtcdClient.prefixEnd(journalPrefix)
        head = Array((prefix + "/head").utf8)
        lease = Array((prefix + "/lease").utf8)
        leaseLast = Array((prefix + "/lease-last").utf8)
        leaseClaim = Array((prefix + "/lease-claim").utf8)
        all = Array((prefix + "/").utf8)
    }

    /// `PREFIX/journal/<seq as 12 zero-padded digits>`
    func entry(_ seq: Int) -> [UInt8] {
        let digits = String(seq)
        return journalPrefix + Array((String(repeating: "0", count: max(0, 12 - digits.count)) + digits).utf8)
    }

    /// The seq a journal key names; nil if it is not one.
    func seq(of key: [UInt8]) -> Int? {
        guard key.count == journalPrefix.count + 12, key.starts(with: journalPrefix) else { return nil }
        var n = 0
        for c in key[journalPrefix.count...] {
            guard c >= 48, c <= 57 else { return nil }
            n = n * 10 + Int(c - 48)
        }
        return n
    }
}

/// Entries read in one consistent look: the tip record and the entries from a given seq, at one store revision.
struct EtcdLook {
    var head: EtcdKV?
    var entries: [EtcdKV]
    var more: Bool
    var revision: Int64
}

extension EtcdClient {
    /// One request (a read-only txn, so both reads are at one revision): the head record and up to `limit`
    /// entries from `seq` on. Never reads the entries before `seq`.
    func look(_ keys: EtcdKeys, from seq: Int, limit: Int64 = 500, revision: Int64 = 0) throws(EtcdError) -> EtcdLook {
        let r = try txn(compare: [], success: [
            .range(key: keys.head, rangeEnd: [], limit: 0, revision: revision),
            .range(key: keys.entry(seq), rangeEnd: keys.journalEnd, limit: limit, revision: revision),
        ])
        let entries = r.ranges[1]?.kvs ?? []
        return EtcdLook(head: r.ranges[0]?.kvs.first, entries: entries, more: r.ranges[1]?.more ?? false, revision: r.revision)
    }
}

/// Feeds entries read from etcd through the chain: each key must name the next seq, each value verify as the next
/// line. `label` is the journal's URL for messages.
extension ChainFeed {
    mutating func take(_ kv: EtcdKV, keys: EtcdKeys) throws(JournalError) -> JournalEvent {
        let want = lineCount + 1
        guard let seq = keys.seq(of: kv.key) else {
            throw JournalError(path: label, line: want, message: "unexpected key \"\(String(decoding: kv.key, as: UTF8.self))\" among the entries")
        }
        guard seq == want else {
            throw JournalError(path: label, line: want,
                               message: seq > want ? "entry \(want) is missing (the next key is seq \(seq))" : "entry key seq \(seq) out of order")
        }
        return try consume(line: kv.value)
    }
}

extension EtcdKeys {
    /// Gives a held driver lease up in one txn (the driver and its heartbeat keeper both release this way): the lease
    /// key deleted and the last holder recorded as released, only while `mine` is still the lease (its token is the
    /// key's create_revision); then the etcd lease is revoked. False when another driver holds it now.
    static func release(_ mine: LeaseRecord, client: EtcdClient, keys: EtcdKeys, leaseID: Int64, now: Millis) throws -> Bool {
        var released = mine
        released.released = true
        released.heartbeat = max(now, mine.heartbeat)
        let r = try client.txn(compare: [.createRevision(keys.lease, .equal, Int64(mine.token))],
                               success: [.delete(key: keys.lease, rangeEnd: []),
                                         .put(key: keys.leaseLast, value: released.encodedBytes(), lease: 0)])
        try? client.leaseRevoke(leaseID)
        return r.succeeded
    }
}
