import Foundation
import Testing
import EtcdTestSupport
import WarRoomCore
import WarRoomEtcd
import WarRoomStore
#if canImport(Glibc)
import Glibc
#endif

let t0: Millis = 1_795_313_461_123 // 2026-11-22T02:11:01.123Z
let started = RunStarted(checklist: "checklists/go-live.md", checklistSHA256: String(repeating: "ab", count: 32),
                         items: 12, host: "h1", pid: 42)
func trip(_ name: String) -> EventBody { .lightTrip(LightChange(name: name, reason: "test")) }
func item(_ id: String, note: String? = nil) -> EventBody { .itemSet(ItemSet(id: id, status: .done, note: note)) }

func monoNS() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func tempDir() -> String {
    let d = NSTemporaryDirectory() + "warroom-etcd-export-\(getpid())-\(UUID().uuidString.prefix(8))"
    return d
}

@Suite struct EtcdURLs {
    @Test func parsesEndpointsAndPrefix() throws {
        let u = try EtcdURL.parse("etcd://127.0.0.1:2379,[::1]:22379,etcd.internal:2379/warroom/checkout/").get()
        #expect(!u.secure && u.prefix == "warroom/checkout")
        #expect(u.endpoints.map(\.description) == ["127.0.0.1:2379", "[::1]:22379", "etcd.internal:2379"])
        #expect(u.description == "etcd://127.0.0.1:2379,[::1]:22379,etcd.internal:2379/warroom/checkout")
        #expect(try EtcdURL.parse("etcds://h:1/p").get().secure)
    }

    @Test func badURLsSayWhatIsWrong() {
        let cases: [(String, String)] = [
            ("http://h:1/p", "expected etcd://"), ("etcd://h:1", "no /PREFIX"), ("etcd://h:1/", "empty PREFIX"),
            ("etcd://h/p", "has no :PORT"), ("etcd://h:0/p", "is not 1–65535"), ("etcd://h:99999/p", "is not 1–65535"),
            ("etcd://h:1,,h:2/p", "empty endpoint"), ("etcd://::1:2379/p", "IPv6"), ("etcd://h:1/a b", "spaces"),
        ]
        for (text, want) in cases {
            guard case .failure(let e) = EtcdURL.parse(text) else { Issue.record("\(text) parsed"); continue }
            #expect(e.description.contains(want) && e.description.contains(text), "\(e)")
        }
    }

    /// Nothing listens on the port: the error names the endpoint and says why, and the journal names the store.
    @Test func unreachableEtcdIsNamed() throws {
        let port = freePort()
        let url = try EtcdURL.parse("etcd://127.0.0.1:\(port)/run").get()
        let client = EtcdClient(url: url, timeoutMs: 1_000)
        #expect(throws: EtcdError.self) { try client.range(Array("k".utf8)) }
        do { _ = try client.range(Array("k".utf8)) } catch {
            #expect(error.description == "etcd 127.0.0.1:\(port) unreachable: connection refused")
        }
        do {
            _ = try EtcdJournal.open(url: url, actor: "dana", now: t0, client: client)
            Issue.record("opened")
        } catch let e as EtcdStoreError {
            #expect(e.description.hasPrefix("etcd://127.0.0.1:\(port)/run: could not open the journal: etcd 127.0.0.1:\(port) unreachable: connection refused"))
            #expect(e.isOutage)
        }
    }
}

@Suite(.serialized, .disabled(if: etcdMissing, etcdSkipReason)) struct EtcdSingleNode {
    @Test func appendsReplayAndTailLikeTheFileJournal() throws {
        let etcd = try EtcdCluster(size: 1); defer { etcd.shutdown() }
        // The first endpoint is dead: the client fails over to the second on "connection refused".
        var url = etcd.url("runs/a")
        url.endpoints.insert(EtcdURL.Endpoint(host: "127.0.0.1", port: freePort()), at: 0)
        let a = try EtcdJournal.open(url: url, actor: "dana", now: t0)
        #expect(a.lineCount == 0 && a.lastHash == nil)
        let tail = EtcdTail(url: url)
        #expect(try tail.poll().isEmpty)
        try a.append(.runStarted(started), actor: "dana", time: t0)
        let mine = try a.append(item("T1"), actor: "dana", time: t0 + 1)
        #expect(try tail.poll().map(\.seq) == [1, 2])
        let b = try EtcdJournal.open(url: url, actor: "lee", now: t0)
        #expect(b.lastHash == a.lastHash && b.state.lastSeq == 2)
        let r = try b.appendCatchingUp(.itemSet(ItemSet(id: "T1", status: .blocked, reason: "db")), actor: "lee", time: t0 + 2)
        #expect(r.event.seq == 3 && r.foreign.isEmpty)
        // dana's view is stale: her undo is checked at the real tip (lee's change came between) and refused.
        #expect(throws: ReduceError.self) {
            try a.append(.itemUndo(ItemUndo(id: "T1", undoes: mine.seq)), actor: "dana", time: t0 + 3)
        }
        #expect(a.state.record("T1")?.actor == "lee", "it caught up on the way")
        #expect(a.takeCaughtUp().map(\.seq) == [3])
        let r2 = try a.appendCatchingUp(item("T2"), actor: "dana", time: t0 + 4)
        #expect(r2.event.seq == 4 && r2.foreign.isEmpty)
        #expect(try b.catchUp(now: t0 + 5).map(\.seq) == [4])
        #expect(try tail.poll().map(\.seq) == [3, 4])
        #expect(try tail.poll().isEmpty)
        #expect(tail.lastHash == a.lastHash && tail.state.lastSeq == 4 && tail.state.record("T2")?.actor == "dana")
    }

    @Test func damageIsNamedBySeq() throws {
        let etcd = try EtcdCluster(size: 1); defer { etcd.shutdown() }
        let url = etcd.url("runs/d")
        let a = try EtcdJournal.open(url: url, actor: "dana", now: t0)
        try a.append(.runStarted(started), actor: "dana", time: t0)
        try a.append(item("T1"), actor: "dana", time: t0 + 1)
        try a.append(item("T2"), actor: "dana", time: t0 + 2)
        let client = EtcdClient(url: url)
        let key = Array("runs/d/journal/000000000002".utf8)
        var line = try #require(client.range(key).kvs.first).value
        let i = try #require(line.firstIndex(of: UInt8(ascii: "T")))
        line[i + 1] = UInt8(ascii: "9")  // T1 → T9: the hash no longer matches
        try client.put(key, line)
        do {
            _ = try EtcdJournal.open(url: url, actor: "lee", now: t0)
            Issue.record("opened a damaged journal")
        } catch let e as JournalError {
            #expect(e.description == "\(url)/journal:2: hash mismatch (line was edited?)")
        }
        // A missing entry.
        try client.delete(key)
        #expect(throws: JournalError.self) { try EtcdTail(url: url).poll() }
    }

    /// Three writers (threads, each its own journal and client) × 100 appends at once: every one is there once, at
    /// the seq it was acknowledged with, each writer's in the order acknowledged, any append acknowledged before
    /// another began comes first, and the chain verifies.
    @Test func threeWritersHundredAppendsEach() throws {
        let etcd = try EtcdCluster(size: 1); defer { etcd.shutdown() }
        let url = etcd.url("runs/many")
        try EtcdJournal.open(url: url, actor: "w0", now: t0).append(.runStarted(started), actor: "w0", time: t0)
        let writers = 3, each = 100
        final class Box: @unchecked Sendable { var acks: [[(seq: Int, start: UInt64, end: UInt64)]] = []; var errors: [String] = [] }
        let box = Box()
        box.acks = Array(repeating: [], count: writers)
        let lock = NSLock()
        let group = DispatchGroup()
        for w in 0..<writers {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let j = try EtcdJournal.open(url: url, actor: "w\(w)", now: t0)
                    var mine: [(seq: Int, start: UInt64, end: UInt64)] = []
                    for i in 0..<each {
                        let start = monoNS()
                        let e = try j.append(item("W\(w)-\(i)", note: "\(w):\(i)"), actor: "w\(w)", time: t0 + Millis(i))
                        mine.append((e.seq, start, monoNS()))
                    }
                    lock.lock(); box.acks[w] = mine; lock.unlock()
                } catch {
                    lock.lock(); box.errors.append("w\(w): \(error)"); lock.unlock()
                }
            }.start()
        }
        group.wait()
        #expect(box.errors.isEmpty, "\(box.errors)")
        let check = try EtcdJournal.open(url: url, actor: "check", now: t0)
        let dir = tempDir(); defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try check.export(to: dir) == 1 + writers * each)
        let r = try Journal.replay(stateDir: dir)
        #expect(r.lineCount == 1 + writers * each)
        var seen = Set<String>()
        for e in r.events {
            guard case .itemSet(let s) = e.body else { continue }
            #expect(seen.insert(s.id).inserted, "\(s.id) twice")
            #expect(s.note == "\(e.actor.dropFirst()):\(s.id.split(separator: "-")[1])")
        }
        #expect(seen.count == writers * each)
        for w in 0..<writers {
            let acks = box.acks[w]
            #expect(acks.count == each)
            for (i, a) in acks.enumerated() {
                if case .itemSet(let s) = r.events[a.seq - 1].body { #expect(s.id == "W\(w)-\(i)") } else { Issue.record("seq \(a.seq)") }
            }
            #expect(zip(acks, acks.dropFirst()).allSatisfy { $0.seq < $1.seq })
        }
        let all = box.acks.flatMap { $0 }.sorted { $0.end < $1.end }
        var maxSeqEnded = 0
        var j = 0
        for a in all.sorted(by: { $0.start < $1.start }) {
            while j < all.count, all[j].end < a.start { maxSeqEnded = max(maxSeqEnded, all[j].seq); j += 1 }
            #expect(a.seq > maxSeqEnded, "seq \(a.seq) began after seq \(maxSeqEnded) was acknowledged")
        }
    }

    /// Export writes what the file store would have (journal byte-identical, head as the file writer writes it);
    /// `Journal.replay` verifies it and rebuilds the same run; import puts it back under an empty prefix only.
    @Test func exportVerifiesLocallyAndImportRoundTrips() throws {
        let etcd = try EtcdCluster(size: 1); defer { etcd.shutdown() }
        let url = etcd.url("runs/x")
        let a = try EtcdJournal.open(url: url, actor: "dana", now: t0)
        let grant = try a.acquireLease(now: t0, ttlMs: 5_000)
        try a.append(.runStarted(started), actor: "dana", time: t0)
        for i in 0..<250 { try a.append(item("T\(i)"), actor: "dana", time: t0 + Millis(i)) }
        let driver = try a.append(trip("Error rate"), actor: "dana", time: t0 + 300)
        #expect(driver.token == grant.lease.token)
        let dir = tempDir(); defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try a.export(to: dir) == 252)
        let r = try Journal.replay(stateDir: dir)
        #expect(r.state.lastSeq == a.state.lastSeq && r.state.runID == a.state.runID && r.lastHash == a.lastHash && r.warnings.isEmpty)
        // The file writer takes the exported directory as its own (head included) and appends after it.
        let w = try JournalWriter.open(stateDir: dir, actor: "lee", now: t0)
        #expect(w.warnings.isEmpty && w.lastHash == a.lastHash)
        w.close()
        #expect(throws: JournalError.self) { try a.export(to: dir) }
        try a.releaseLease(now: t0 + 400)

        let url2 = etcd.url("runs/imported")
        #expect(try EtcdJournal.import(from: dir, into: url2) == 252)
        let b = try EtcdJournal.open(url: url2, actor: "lee", now: t0)
        #expect(b.lastHash == a.lastHash && b.state.lastSeq == 252 && b.state.runID == a.state.runID)
        do {
            _ = try EtcdJournal.import(from: dir, into: url)
            Issue.record("imported into a non-empty prefix")
        } catch let e as JournalError {
            #expect(e.description.contains("import refused: the prefix is not empty"))
        }
    }
}
