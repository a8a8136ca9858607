import Foundation
import Testing
import EtcdTestSupport
import WarRoomCore
import WarRoomEtcd
import WarRoomStore

@Suite(.serialized, .disabled(if: etcdMissing, etcdSkipReason)) struct EtcdImportTokens {
    /// A file journal whose driver took the lease over a dozen times carries token 12; imported into a fresh cluster
    /// (100 entries a revision) the next etcd lease's token (its create_revision) was 3: every driver append on the
    /// imported run was then refused as stale, forever.
    @Test func aDriverWritesAfterImportingAJournalWithHigherTokens() throws {
        let dir = tempDir(); defer { try? FileManager.default.removeItem(atPath: dir) }
        let w = try JournalWriter.open(stateDir: dir, actor: "dana", now: t0)
        try w.append(.runStarted(started), actor: "dana", time: t0)
        for i in 0..<12 { try w.acquireLease(now: t0 + Millis(i) * 100_000, ttlMs: 1_000) } // each one expired
        let last = try w.append(trip("Error rate"), actor: "dana", time: t0 + 2_000_000)
        #expect(last.token == 12)
        w.close()

        let etcd = try EtcdCluster(size: 1); defer { etcd.shutdown() }
        let url = etcd.url("runs/imported-tokens")
        #expect(try EtcdJournal.import(from: dir, into: url) == 2)
        let lee = try EtcdJournal.open(url: url, actor: "lee", now: t0)
        let grant = try lee.acquireLease(now: Millis(Date().timeIntervalSince1970 * 1000), ttlMs: 5_000)
        #expect(grant.lease.token > 12)
        let e = try lee.append(.lightClear(LightChange(name: "Error rate", reason: "ok")), actor: "lee", time: t0 + 3_000_000)
        #expect(e.token == grant.lease.token)
        #expect(try Journal.replay(stateDir: dir).lineCount == 2, "the state directory is left as it was")
    }
}
