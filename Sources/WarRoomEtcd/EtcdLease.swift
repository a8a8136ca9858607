import Foundation
import WarRoomCore
import WarRoomJSON
import WarRoomStore

/// The driver lease on etcd. `PREFIX/lease` exists while a driver holds it: created only if absent (a txn comparing
/// its create_revision with 0), attached to an etcd lease of the driver's TTL that `renewLease` keeps alive, so the
/// key vanishes by itself when the driver stops renewing. Its value is the holder's record,
/// `{"actor":"dana","pid":4242,"host":"h1","since":<unix ms>,"ttl":10000,"lease":"<etcd lease ID>"}`; the fencing
/// token is the key's create_revision (etcd's revision only grows, so every take-over gets a higher token), and every
/// driver append compares it. `PREFIX/lease-last` keeps the last holder's record with its token and last heartbeat
/// (no etcd lease: it survives), so a take-over can name the previous driver and the gap.
extension EtcdJournal {
    /// Takes the driver lease unless a live one exists (`LeaseError.held` naming the holder). A previous holder whose
    /// lease expired without being released is named in the grant, with the gap since its last heartbeat.
    @discardableResult
    public func acquireLease(now: Millis, ttlMs: Millis = leaseTTLFromEnvironment()) throws -> LeaseGrant {
        try takeLease(now: now, ttlMs: ttlMs, reason: nil)
    }

    /// Takes over after the previous driver's etcd lease expired (its key vanished); refused with
    /// `LeaseError.notExpired` while the key exists.
    @discardableResult
    public func takeOverLease(reason: String, now: Millis, ttlMs: Millis = leaseTTLFromEnvironment()) throws -> LeaseGrant {
        try takeLease(now: now, ttlMs: ttlMs, reason: reason)
    }

    private func takeLease(now: Millis, ttlMs: Millis, reason: String?) throws -> LeaseGrant {
        // Every token already journaled first (the entries stay for `takeCaughtUp`).
        do { _ = try readMissed(pending: nil) } catch let e as EtcdError {
            throw EtcdStoreError(url: url, action: "read the journal", cause: e)
        }
        let ttlSeconds = max(2, (ttlMs + 999) / 1000)  // etcd's least TTL is about 1.5 s; it counts whole seconds
        do {
            let (id, _) = try client.leaseGrant(ttlSeconds: ttlSeconds)
            let value = EtcdLeaseValue(actor: actor, pid: getpid(), host: Self.hostName(), since: now, ttlMs: ttlSeconds * 1000, lease: id)
            // Nobody else's claim may be in the way (an offered hand-over between its two steps); our own is completed.
            let claim = Array(#"{"actor":\#(JSONText.quoted(actor))}"#.utf8)
            var r = try client.txn(compare: [.createRevision(keys.lease, .equal, 0), .createRevision(keys.leaseClaim, .equal, 0)],
                                   success: [.put(key: keys.lease, value: value.encoded(), lease: id),
                                             .range(key: keys.leaseLast, rangeEnd: [], limit: 0, revision: 0)],
                                   failure: [.range(key: keys.lease, rangeEnd: [], limit: 0, revision: 0),
                                             .range(key: keys.leaseClaim, rangeEnd: [], limit: 0, revision: 0)])
            if !r.succeeded, reason != nil, r.first(0) == nil, r.first(1)?.value == claim {
                r = try completeClaim(value, id: id, claim: claim)
            }
            var accepted = false
            if !r.succeeded, reason != nil, let kv = r.first(0), let current = try? leaseRecord(kv, now: now),
               current.isOffered(to: actor) {
                // Driving offered to us (D in the driver's console): taken at once, in two steps (see `acceptOffer`).
                r = try acceptOffer(kv, current: current, value: value, id: id, claim: claim, now: now)
                accepted = r.succeeded
            }
            guard r.succeeded else {
                try? client.leaseRevoke(id)
                if r.first(0) == nil, let c = r.first(1).flatMap({ EtcdLeaseValue.claimActor($0.value) }) {
                    throw EtcdStoreError(url: url, action: "take the driver lease", cause: EtcdError(
                        kind: .rejected, endpoint: client.url.endpoints.map(\.description).joined(separator: ","),
                        message: "driving is being handed over to \(c) right now; try again in a few seconds"))
                }
                guard let kv = r.first(0), let current = try? leaseRecord(kv, now: now) else {
                    throw EtcdStoreError(url: url, action: "take the driver lease", cause: EtcdError(
                        kind: .badResponse, endpoint: client.url.endpoints.map(\.description).joined(separator: ","), message: "the lease key exists but is unreadable"))
                }
                throw reason == nil ? LeaseError.held(dir: location, current: current, now: now)
                                    : LeaseError.notExpired(dir: location, current: current, now: now)
            }
            let token = Int(r.revision)
            let record = LeaseRecord(token: token, actor: actor, pid: value.pid, host: value.host, since: now, heartbeat: now, ttlMs: value.ttlMs)
            let previous = r.ranges[1]?.kvs.first.flatMap { LeaseRecord.parseBytes($0.value) }.flatMap { $0.released ? nil : $0 }
            lease = record
            leaseID = id
            try writeLast(record)
            var grant = LeaseGrant.make(lease: record, previous: previous, gapMs: previous.map { now - $0.heartbeat }, reason: reason)
            if accepted {
                // An offer accepted: the lease was live until this moment, nobody was without a driver.
                grant.offered = true
                grant.gapMs = 0
            }
            return grant
        } catch let e as EtcdError {
            throw EtcdStoreError(url: url, action: "take the driver lease", cause: e)
        }
    }

    /// Takes over a lease offered to this actor, in two txns, because one txn cannot delete a key and create it again
    /// (and only a new key has a new create_revision, the next fencing token): first, while the lease key is still
    /// exactly the offered one, it is deleted, the old driver recorded in `lease-last`, and our claim put (on our new
    /// etcd lease, so a claim whose taker died lapses with it); then `completeClaim`. Between the two nobody else can
    /// take the lease: every take compares the claim's absence. The old driver's next append fails its token compare.
    private func acceptOffer(_ kv: EtcdKV, current: LeaseRecord, value: EtcdLeaseValue, id: Int64, claim: [UInt8],
                             now: Millis) throws(EtcdError) -> EtcdTxnResult {
        // `lease-last` keeps the offer: the grant (and the hand-over's journal entry) says it was one.
        let last = current
        let first = try client.txn(compare: [.modRevision(keys.lease, .equal, kv.modRevision)],
                                   success: [.delete(key: keys.lease, rangeEnd: []),
                                             .put(key: keys.leaseLast, value: last.encodedBytes(), lease: 0),
                                             .put(key: keys.leaseClaim, value: claim, lease: id)],
                                   failure: [.range(key: keys.lease, rangeEnd: [], limit: 0, revision: 0),
                                             .range(key: keys.leaseClaim, rangeEnd: [], limit: 0, revision: 0)])
        guard first.succeeded else { return first }
        return try completeClaim(value, id: id, claim: claim)
    }

    /// The second step of a hand-over: the lease key created for us (a new create_revision) and our claim removed.
    private func completeClaim(_ value: EtcdLeaseValue, id: Int64, claim: [UInt8]) throws(EtcdError) -> EtcdTxnResult {
        try client.txn(compare: [.createRevision(keys.lease, .equal, 0), .value(keys.leaseClaim, .equal, claim)],
                       success: [.put(key: keys.lease, value: value.encoded(), lease: id),
                                 .range(key: keys.leaseLast, rangeEnd: [], limit: 0, revision: 0),
                                 .delete(key: keys.leaseClaim, rangeEnd: [])],
                       failure: [.range(key: keys.lease, rangeEnd: [], limit: 0, revision: 0),
                                 .range(key: keys.leaseClaim, rangeEnd: [], limit: 0, revision: 0)])
    }

    /// Keeps the etcd lease alive and records the heartbeat in `lease-last`. `LeaseError.lost` (and no lease) once
    /// the etcd lease expired or the key is another driver's.
    public func renewLease(now: Millis) throws {
        guard let mine = lease else { throw LeaseError.notHolding(dir: location) }
        do {
            let ttl = try client.leaseKeepAlive(leaseID)
            guard ttl > 0 else {
                lease = nil
                throw LeaseError.lost(dir: location, token: mine.token, current: try? currentLease(now: now), now: now)
            }
            var renewed = mine
            renewed.heartbeat = max(now, mine.heartbeat)
            guard try writeLast(renewed) else {
                lease = nil
                throw LeaseError.lost(dir: location, token: mine.token, current: try? currentLease(now: now), now: now)
            }
            lease = renewed
        } catch let e as EtcdError {
            throw EtcdStoreError(url: url, action: "renew the driver lease", cause: e)
        }
    }

    /// Gives the lease up at once (the key is deleted and the etcd lease revoked); a lease already taken over is left
    /// alone (`LeaseError.lost`).
    public func releaseLease(now: Millis) throws {
        guard let mine = lease else { throw LeaseError.notHolding(dir: location) }
        lease = nil
        do {
            guard try EtcdKeys.release(mine, client: client, keys: keys, leaseID: leaseID, now: now) else {
                throw LeaseError.lost(dir: location, token: mine.token, current: try? currentLease(now: now), now: now)
            }
        } catch let e as EtcdError {
            throw EtcdStoreError(url: url, action: "release the driver lease", cause: e)
        }
    }

    /// The lease as it is now (nil: no driver), its heartbeat estimated from the etcd lease's time left.
    public func currentLease(now: Millis) throws -> LeaseRecord? {
        do {
            guard let kv = try client.range(keys.lease).kvs.first else { return nil }
            return try leaseRecord(kv, now: now)
        } catch let e as EtcdError {
            throw EtcdStoreError(url: url, action: "read the driver lease", cause: e)
        }
    }

    /// The last driver's record (`lease-last`), if any driver ever held the lease.
    public func lastLease() throws -> LeaseRecord? {
        let r: EtcdRange
        do throws(EtcdError) { r = try client.range(keys.leaseLast) } catch {
            throw EtcdStoreError(url: url, action: "read the last driver", cause: error)
        }
        guard let kv = r.kvs.first else { return nil }
        return LeaseRecord.parseBytes(kv.value)
    }

    /// `lease-last` := `record`, only while the lease key is still this driver's. False when it is not.
    @discardableResult
    private func writeLast(_ record: LeaseRecord) throws(EtcdError) -> Bool {
        try client.txn(compare: [.createRevision(keys.lease, .equal, Int64(record.token))],
                       success: [.put(key: keys.leaseLast, value: record.encodedBytes(), lease: 0)]).succeeded
    }

    /// The holder's record from the lease key: token = create_revision; heartbeat = when the etcd lease was last
    /// renewed (its TTL minus the time it has left).
    func leaseRecord(_ kv: EtcdKV, now: Millis) throws -> LeaseRecord {
        guard let v = EtcdLeaseValue.parse(kv.value) else {
            throw JournalError(path: location + "/lease", message: "unreadable lease record")
        }
        var heartbeat = v.since
        if let left = try? client.leaseTimeToLive(v.lease), left.ttl >= 0, left.granted > 0 {
            heartbeat = max(v.since, now - (left.granted - left.ttl) * 1000)
        }
        return LeaseRecord(token: Int(kv.createRevision), actor: v.actor, pid: v.pid, host: v.host, since: v.since,
                           heartbeat: heartbeat, ttlMs: v.ttlMs, offeredTo: v.offeredTo)
    }

    static func hostName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count) == 0 else { return "unknown" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension EtcdTxnResult {
    /// The first kv the `i`th op of the branch taken read (nil: none, or not a range).
    func first(_ i: Int) -> EtcdKV? { i < ranges.count ? ranges[i]?.kvs.first : nil }
}

/// The lease key's value.
struct EtcdLeaseValue: Equatable {
    var actor: String
    var pid: Int32
    var host: String
    var since: Millis
    var ttlMs: Millis
    var lease: Int64
    /// Driving offered to this actor (`D` in the driver's console), who may take it over at once.
    var offeredTo: String? = nil

    func encoded() -> [UInt8] {
        let quoted = JSONText.quoted
        let offer = offeredTo.map { #","offered_to":\#(quoted($0))"# } ?? ""
        return Array(#"{"actor":\#(quoted(actor)),"pid":\#(pid),"host":\#(quoted(host)),"since":\#(since),"ttl":\#(ttlMs),"lease":"\#(lease)"\#(offer)}"#.utf8)
    }


    /// The actor of a hand-over claim (`PREFIX/lease-claim`).
    static func claimActor(_ bytes: [UInt8]) -> String? {
        guard case .success(let v) = JSONValue.parse(bytes) else { return nil }
        return v["actor"]?.string
    }

    static func parse(_ bytes: [UInt8]) -> EtcdLeaseValue? {
        guard case .success(let v) = JSONValue.parse(bytes), let actor = v["actor"]?.string,
              let pid = v["pid"]?.int.flatMap({ Int32(exactly: $0) }), let host = v["host"]?.string,
              let since = v["since"]?.int, let ttl = v["ttl"]?.int, ttl > 0,
              let lease = v["lease"]?.string.flatMap({ Int64($0) }) else { return nil }
        return EtcdLeaseValue(actor: actor, pid: pid, host: host, since: since, ttlMs: ttl, lease: lease,
                              offeredTo: v["offered_to"]?.string)
    }
}
