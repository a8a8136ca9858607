import Foundation
import WarRoomCore
import WarRoomStore

/// The driver lease an `EtcdJournal` took, kept alive away from the journal writer (its own client, so a heartbeat
/// never waits behind an append on the writer's queue): the etcd equivalent of `LeaseHolder`. The writer keeps the
/// token for its driver appends; a keeper that finds the lease gone (`LeaseError.lost`) leaves fencing to etcd —
/// the writer's next driver append fails its txn's compare. Not thread-safe: use from one queue.
public final class EtcdLeaseKeeper {
    public let url: EtcdURL
    public private(set) var lease: LeaseRecord?
    private let leaseID: Int64
    private let client: EtcdClient
    private let keys: EtcdKeys

    /// Keeps the lease `journal` holds (nil when it holds none).
    public init?(journal: EtcdJournal) {
        guard let held = journal.lease else { return nil }
        url = journal.url
        lease = held
        leaseID = journal.leaseID
        client = EtcdClient(url: journal.url, timeoutMs: journal.client.timeoutMs)
        keys = EtcdKeys(prefix: journal.url.prefix)
    }

    private var location: String { url.description }

    /// Keeps the etcd lease alive and records the heartbeat in `lease-last`; `LeaseError.lost` (and nil `lease`)
    /// once it expired or the key is another driver's. An unreachable etcd throws `EtcdStoreError` (the lease is
    /// kept: the next renewal may still be in time).
    public func renew(now: Millis) throws {
        guard let mine = lease else { throw LeaseError.notHolding(dir: location) }
        do {
            let ttl = try client.leaseKeepAlive(leaseID)
            var renewed = mine
            renewed.heartbeat = max(now, mine.heartbeat)
            guard ttl > 0, try writeLast(renewed) else {
                lease = nil
                throw LeaseError.lost(dir: location, token: mine.token, current: holder(now: now), now: now)
            }
            lease = renewed
        } catch let e as EtcdError {
            throw EtcdStoreError(url: url, action: "renew the driver lease", cause: e)
        }
    }

    /// Offers driving to `to` (nil: withdraws the offer): the lease key's value names them while it is still this
    /// driver's (its create_revision, the token, is unchanged by the put), so their `run --take-over REASON` is
    /// accepted at once (`EtcdJournal.takeOverLease`). `LeaseError.lost` if the lease is no longer this driver's.
    public func offer(to: String?, now: Millis) throws {
        guard let mine = lease else { throw LeaseError.notHolding(dir: location) }
        let value = EtcdLeaseValue(actor: mine.actor, pid: mine.pid, host: mine.host, since: mine.since, ttlMs: mine.ttlMs,
                                   lease: leaseID, offeredTo: to)
        do {
            let r = try client.txn(compare: [.createRevision(keys.lease, .equal, Int64(mine.token))],
                                   success: [.put(key: keys.lease, value: value.encoded(), lease: leaseID)])
            guard r.succeeded else {
                lease = nil
                throw LeaseError.lost(dir: location, token: mine.token, current: nil, now: now)
            }
            var offered = mine
            offered.offeredTo = to
            lease = offered
        } catch let e as EtcdError {
            throw EtcdStoreError(url: url, action: "offer driving", cause: e)
        }
    }

    /// Gives the lease up at once (the key deleted, the etcd lease revoked), unless another driver holds it.
    public func release(now: Millis) throws {
        guard let mine = lease else { throw LeaseError.notHolding(dir: location) }
        lease = nil
        do {
            guard try EtcdKeys.release(mine, client: client, keys: keys, leaseID: leaseID, now: now) else {
                throw LeaseError.lost(dir: location, token: mine.token, current: nil, now: now)
            }
        } catch let e as EtcdError {
            throw EtcdStoreError(url: url, action: "release the driver lease", cause: e)
        }
    }

    /// Who holds the lease key now (nil: nobody, or it cannot be read), so a deposed console names its successor.
    private func holder(now: Millis) -> LeaseRecord? {
        guard let kv = try? client.range(keys.lease).kvs.first, let v = EtcdLeaseValue.parse(kv.value) else { return nil }
        return LeaseRecord(token: Int(kv.createRevision), actor: v.actor, pid: v.pid, host: v.host, since: v.since,
                           heartbeat: now, ttlMs: v.ttlMs, offeredTo: v.offeredTo)
    }

    private func writeLast(_ record: LeaseRecord) throws(EtcdError) -> Bool {
        try client.txn(compare: [.createRevision(keys.lease, .equal, Int64(record.token))],
                       success: [.put(key: keys.leaseLast, value: record.encodedBytes(), lease: 0)]).succeeded
    }
}

extension EtcdJournal {
    /// A key of this run outside the journal (`PREFIX/<name>`): the driver's view, checklist copies.
    public func key(_ name: String) -> [UInt8] { Array((url.prefix + "/" + name).utf8) }
}
