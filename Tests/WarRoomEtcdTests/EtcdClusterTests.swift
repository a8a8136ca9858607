import Foundation
import Testing
import EtcdTestSupport
import WarRoomCore
import WarRoomEtcd
import WarRoomStore
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .disabled(if: etcdMissing, etcdSkipReason)) struct EtcdThreeNodes {
    /// A writer appends without pause while the leader is killed (SIGKILL): appends go on after the election (an
    /// append may fail in between, saying so); everything acknowledged is there, at its seq. Then two of three are
    /// stopped: an append fails saying the store lost quorum, nothing acknowledged; both restarted: appends resume.
    @Test func leaderKilledThenQuorumLostThenRestored() throws {
        let etcd = try EtcdCluster(size: 3); defer { etcd.shutdown() }
        let url = etcd.url("runs/ha")
        let client = EtcdClient(url: url, timeoutMs: 1_500)
        let j = try EtcdJournal.open(url: url, actor: "dana", now: t0, client: client)
        try j.append(.runStarted(started), actor: "dana", time: t0)

        final class Box: @unchecked Sendable {
            var acked: [Int: String] = [:]
            var failures: [String] = []
            var stop = false
            var count = 0
        }
        final class Ref: @unchecked Sendable { let j: EtcdJournal; init(_ j: EtcdJournal) { self.j = j } }
        let ref = Ref(j)
        let box = Box()
        let lock = NSLock()
        let done = DispatchSemaphore(value: 0)
        Thread {
            var i = 0
            while true {
                lock.lock(); let stop = box.stop; lock.unlock()
                if stop { break }
                i += 1
                do {
                    let e = try ref.j.append(item("T\(i)"), actor: "dana", time: t0 + Millis(i))
                    lock.lock(); box.acked[e.seq] = "T\(i)"; box.count += 1; lock.unlock()
                } catch {
                    lock.lock(); box.failures.append("\(error)"); lock.unlock()
                }
            }
            done.signal()
        }.start()
        func acked() -> Int { lock.lock(); defer { lock.unlock() }; return box.count }
        func waitAcks(_ n: Int, _ seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while acked() < n, Date() < deadline { usleep(20_000) }
            return acked() >= n
        }
        #expect(waitAcks(30, 10))
        let leader = try #require(etcd.leader())
        etcd.stop(leader, kill: true)
        let atKill = acked()
        #expect(waitAcks(atKill + 30, 15), "appends resume after the leader died")
        lock.lock(); box.stop = true; lock.unlock()
        done.wait()
        try etcd.restart(leader)
        try etcd.waitReady()

        // Nothing acknowledged is lost: each acknowledged seq holds that very entry.
        let check = try EtcdJournal.open(url: url, actor: "check", now: t0)
        let dir = tempDir(); defer { try? FileManager.default.removeItem(atPath: dir) }
        try check.export(to: dir)
        let r = try Journal.replay(stateDir: dir)
        for (seq, id) in box.acked {
            if case .itemSet(let s) = r.events[seq - 1].body { #expect(s.id == id) } else { Issue.record("seq \(seq) is not \(id)") }
        }
        // Every failure said what failed, naming the store.
        for f in box.failures { #expect(f.hasPrefix("\(url): could not save item.set: etcd "), "\(f)") }

        // Two of three stopped: no quorum. The append fails saying so, and nothing is written.
        let survivors = (0..<3).filter { $0 != leader }
        let others = [leader, survivors[0]]
        for m in others { etcd.stop(m, kill: false) }
        j.retryBudgetMs = 1_000
        let before = j.lineCount
        do {
            try j.append(item("lost"), actor: "dana", time: t0 + 100_000)
            Issue.record("appended without a quorum")
        } catch let e as EtcdStoreError {
            #expect(e.isOutage)
            #expect(e.description.contains("\(url): could not save item.set:"), "\(e)")
            #expect(e.description.contains("lost quorum"), "\(e)")
        }
        // Restore: appends resume by themselves.
        for m in others { try etcd.restart(m) }
        try etcd.waitReady()
        j.retryBudgetMs = 8_000
        let e = try j.append(item("back"), actor: "dana", time: t0 + 100_001)
        #expect(e.seq >= before + 1)
        let final = try EtcdJournal.open(url: url, actor: "check", now: t0)
        #expect(final.lastHash == j.lastHash)
    }
}
