import Foundation
import Testing
import EtcdTestSupport
import WarRoomEtcd

@Suite(.serialized, .disabled(if: etcdMissing, etcdSkipReason)) struct EtcdClientCalls {
    @Test func rangePutTxnDeleteAndLeases() throws {
        let etcd = try EtcdCluster(size: 1); defer { etcd.shutdown() }
        let c = EtcdClient(url: etcd.url("c"), timeoutMs: 2_000)
        let k = { (s: String) in Array(s.utf8) }
        let r1 = try c.put(k("p/a"), k("1"))
        try c.put(k("p/b"), k("2"))
        try c.put(k("p/c"), k("3"))
        try c.put(k("q"), [0, 0xFF, 10])  // any bytes
        #expect(try c.range(k("q")).kvs.first?.value == [0, 0xFF, 10])
        let all = try c.rangePrefix(k("p/"))
        #expect(all.kvs.map(\.value) == [k("1"), k("2"), k("3")] && !all.more && all.count == 3)
        let two = try c.rangePrefix(k("p/"), limit: 2)
        #expect(two.kvs.count == 2 && two.more && two.count == 3)
        #expect(try c.range(k("p/b"), rangeEnd: k("p/z")).kvs.map(\.key) == [k("p/b"), k("p/c")])
        try c.put(k("p/a"), k("changed"))
        #expect(try c.range(k("p/a"), revision: r1).kvs.first?.value == k("1"), "read at an old revision")
        let a = try #require(c.range(k("p/a")).kvs.first)
        #expect(a.version == 2 && a.createRevision == r1 && a.modRevision > r1)

        // Compares on value, version, create and mod revision; the failure branch's range comes back.
        let ok = try c.txn(compare: [.value(k("p/a"), .equal, k("changed")), .version(k("p/a"), .equal, 2),
                                     .createRevision(k("p/a"), .equal, r1), .modRevision(k("p/a"), .equal, a.modRevision),
                                     .createRevision(k("p/none"), .equal, 0)],
                           success: [.put(key: k("p/d"), value: k("4"), lease: 0)],
                           failure: [])
        #expect(ok.succeeded && ok.revision > a.modRevision)
        let no = try c.txn(compare: [.value(k("p/a"), .equal, k("1"))], success: [.delete(key: k("p"), rangeEnd: k("q"))],
                           failure: [.range(key: k("p/b"), rangeEnd: [], limit: 0, revision: 0)])
        #expect(!no.succeeded && no.ranges.first??.kvs.first?.value == k("2"))
        #expect(try c.delete(k("p/"), rangeEnd: EtcdClient.prefixEnd(k("p/"))) == 4)
        #expect(try c.rangePrefix(k("p/")).kvs.isEmpty)

        // Leases: a key attached goes with its lease.
        let (id, ttl) = try c.leaseGrant(ttlSeconds: 5)
        #expect(ttl == 5)
        try c.put(k("leased"), k("x"), lease: id)
        #expect(try c.leaseKeepAlive(id) == 5)
        let left = try c.leaseTimeToLive(id)
        #expect(left.granted == 5 && left.ttl > 0 && left.ttl <= 5)
        try c.leaseRevoke(id)
        try c.leaseRevoke(id)  // already gone: not an error
        #expect(try c.range(k("leased")).kvs.isEmpty)
        #expect(try c.leaseKeepAlive(id) == 0, "gone")
        #expect(try c.leaseTimeToLive(id).ttl == -1)
        // Refused: a put on a lease that does not exist names the endpoint and etcd's reason.
        do {
            try c.put(k("z"), k("z"), lease: id)
            Issue.record("put on a revoked lease")
        } catch {
            #expect(error.kind == .rejected)
            #expect(error.description == "etcd 127.0.0.1:\(etcd.members[0].client) (/v3/kv/put) refused: etcdserver: requested lease not found")
        }
    }
}
