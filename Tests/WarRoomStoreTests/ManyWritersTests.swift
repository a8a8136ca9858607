import Foundation
import Testing
import WarRoomCore
import WarRoomStore
#if canImport(Glibc)
import Glibc
#endif

private func monoNS() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// A driver-only event for the lease tests (a manual light trip needs nothing else in the run).
private func trip(_ name: String) -> EventBody { .lightTrip(LightChange(name: name, reason: "test")) }

@Suite struct ManyWriters {
    /// An undo is checked at the real tip: a writer whose view is stale cannot take back a change made meanwhile.
    @Test func aStaleUndoIsRefusedAtTheTip() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let a = try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0)
        defer { a.close() }
        try a.append(.runStarted(started), actor: "lee", time: t0)
        let mine = try a.append(.itemSet(ItemSet(id: "T1", status: .done)), actor: "lee", time: t0 + 1)
        let b = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        defer { b.close() }
        try b.append(.itemSet(ItemSet(id: "T1", status: .blocked, reason: "db")), actor: "dana", time: t0 + 2)
        #expect(throws: ReduceError.self) {
            try a.append(.itemUndo(ItemUndo(id: "T1", undoes: mine.seq)), actor: "lee", time: t0 + 3)
        }
        #expect(try Journal.replay(stateDir: dir.state).lineCount == 3, "nothing written")
        #expect(a.state.record("T1")?.actor == "dana", "it caught up on the way")
    }

    @Test func writersInterleaveAndEachCatchesUpOnTheOthers() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let a = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        let b = try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0)
        defer { a.close(); b.close() }
        let r1 = try a.appendCatchingUp(.runStarted(started), actor: "dana", time: t0)
        #expect(r1.event.seq == 1 && r1.foreign.isEmpty)
        // b opened before the run started: its append lands after dana's line and hands it back.
        let r2 = try b.appendCatchingUp(.itemSet(ItemSet(id: "T1", status: .done)), actor: "lee", time: t0 + 1)
        #expect(r2.event.seq == 2)
        #expect(r2.foreign.map(\.seq) == [1])
        #expect(r2.foreign.first?.body == .runStarted(started))
        let r3 = try a.appendCatchingUp(.itemSet(ItemSet(id: "T2", status: .done)), actor: "dana", time: t0 + 2)
        #expect(r3.event.seq == 3 && r3.foreign.map(\.seq) == [2])
        #expect(a.state.record("T1")?.actor == "lee")
        #expect(try b.catchUp(now: t0 + 3).map(\.seq) == [3])
        #expect(b.state.lastSeq == 3 && b.lastHash == a.lastHash)
        // A second run.started is checked against the real tip, not the writer's stale view.
        let c = try JournalWriter.open(stateDir: dir.state, actor: "sam", now: t0)
        defer { c.close() }
        try a.append(.itemSet(ItemSet(id: "T3", status: .done)), actor: "dana", time: t0 + 4)
        #expect(throws: ReduceError.self) { try c.append(.runStarted(started), actor: "sam", time: t0 + 5) }
        #expect(c.state.lastSeq == 4, "it caught up on the way")
        let r = try Journal.replay(stateDir: dir.state)
        #expect(r.lineCount == 4 && r.warnings.isEmpty)
        #expect(String(decoding: dir.read(dir.head), as: UTF8.self).hasPrefix(#"{"seq":4,"#))
    }

    /// Three writers (threads, each with its own writer and descriptors: `flock` treats them as strangers) × 300
    /// appends at once: every one is in the journal once, each writer's in the order it was acknowledged, any
    /// append acknowledged before another began comes first, and the chain verifies.
    @Test func threeWritersThreeHundredAppendsEach() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let first = try JournalWriter.open(stateDir: dir.state, actor: "w0", now: t0)
        try first.append(.runStarted(started), actor: "w0", time: t0)
        first.close()
        let writers = 3, each = 300
        final class Box: @unchecked Sendable { var acks: [[(seq: Int, start: UInt64, end: UInt64)]] = []; var errors: [String] = [] }
        let box = Box()
        box.acks = Array(repeating: [], count: writers)
        let lock = NSLock()
        let group = DispatchGroup()
        for w in 0..<writers {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                do {
                    let writer = try JournalWriter.open(stateDir: dir.state, actor: "w\(w)", now: t0)
                    defer { writer.close() }
                    var mine: [(Int, UInt64, UInt64)] = []
                    for i in 0..<each {
                        let start = monoNS()
                        let e = try writer.append(.itemSet(ItemSet(id: "W\(w)-\(i)", status: .done, note: "\(w):\(i)")),
                                                  actor: "w\(w)", time: t0 + Millis(i))
                        mine.append((e.seq, start, monoNS()))
                    }
                    lock.lock(); box.acks[w] = mine.map { (seq: $0.0, start: $0.1, end: $0.2) }; lock.unlock()
                } catch {
                    lock.lock(); box.errors.append("w\(w): \(error)"); lock.unlock()
                }
            }
            thread.start()
        }
        group.wait()
        #expect(box.errors.isEmpty, "\(box.errors)")
        let r = try Journal.replay(stateDir: dir.state)
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
            // Each acknowledged seq holds exactly that writer's entry, in the order acknowledged.
            for (i, a) in acks.enumerated() {
                if case .itemSet(let s) = r.events[a.seq - 1].body { #expect(s.id == "W\(w)-\(i)") } else { Issue.record("seq \(a.seq)") }
            }
            #expect(zip(acks, acks.dropFirst()).allSatisfy { $0.seq < $1.seq })
        }
        // Real-time order: an append acknowledged before another one started is earlier in the journal.
        let all = box.acks.flatMap { $0 }.sorted { $0.end < $1.end }
        var maxSeqEnded = 0
        var j = 0
        for a in all.sorted(by: { $0.start < $1.start }) {
            while j < all.count, all[j].end < a.start { maxSeqEnded = max(maxSeqEnded, all[j].seq); j += 1 }
            #expect(a.seq > maxSeqEnded, "seq \(a.seq) began after seq \(maxSeqEnded) was acknowledged")
        }
    }

    /// A writer that died in the middle of its line (here: the bytes a crash leaves) is cut off by the next
    /// writer that appends — one that was already open, not only one that opens the directory.
    @Test func tornLineOfADeadWriterIsCutByTheNextAppend() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let w = try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0)
        defer { w.close() }
        let intact = dir.readJournal()
        let torn = Array(#"{"seq":7,"time":"2026-11-22T02:11:08.123Z","act"#.utf8)
        let fh = try #require(FileHandle(forWritingAtPath: dir.journal))
        fh.seekToEndOfFile(); fh.write(Data(torn)); fh.closeFile()
        let r = try w.appendCatchingUp(.itemSet(ItemSet(id: "T9", status: .done)), actor: "lee", time: t0 + 70_000)
        #expect(r.event.seq == 7)
        #expect(w.recovered?.line == 7 && w.recovered?.bytes == torn.count)
        if let saved = w.recovered?.savedTo { #expect(dir.read(saved) == torn) } else { Issue.record("not saved") }
        #expect(Array(dir.readJournal().prefix(intact.count)) == intact)
        let replay = try Journal.replay(stateDir: dir.state)
        #expect(replay.lineCount == 7 && replay.tornTail == nil)
    }

    /// Another process holds the append lock (util-linux `flock`, which writes nothing into it): an append waits
    /// its bounded time, fails naming the last holder on record, writes nothing; once the holder dies the next
    /// append goes through at once.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/flock")))
    func appendLockHeldElsewhereWaitsBoundedThenNamesTheHolder() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let w = try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0)
        defer { w.close() }
        w.lockWaitMs = 300
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["-o", dir.appendLock, "sleep", "10"]
        // The orphaned sleep must not hold the test runner's output open.
        holder.standardOutput = FileHandle.nullDevice
        holder.standardError = FileHandle.nullDevice
        try holder.run()
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) } }
        let journal = dir.readJournal()
        var busy: AppendLockBusy?
        let until = monoNS() + 5_000_000_000
        while busy == nil, monoNS() < until {
            do {
                // Until flock(1) has it, these go through; each is an acknowledged line.
                _ = try w.append(.itemSet(ItemSet(id: "T1", status: .done)), actor: "lee", time: t0 + 1)
            } catch let e as AppendLockBusy {
                busy = e
            }
        }
        let e = try #require(busy)
        #expect(e.waitedMs >= 300 && e.waitedMs < 1500, "\(e.waitedMs)")
        #expect(e.holder.actor == "lee" || e.holder.actor == "dana", "the last holder on record: \(e)")
        #expect(e.description.contains("append lock is still held by") && e.description.hasSuffix("nothing was written"), "\(e)")
        let before = dir.readJournal()
        #expect(before.count >= journal.count)
        #expect(throws: AppendLockBusy.self) { try w.append(.itemSet(ItemSet(id: "T2", status: .done)), actor: "lee", time: t0 + 2) }
        #expect(dir.readJournal() == before, "nothing written while refused")
        let killedAt = monoNS()
        kill(holder.processIdentifier, SIGKILL)
        w.lockWaitMs = 1000
        let next = try w.append(.itemSet(ItemSet(id: "T2", status: .done)), actor: "lee", time: t0 + 3)
        #expect(monoNS() - killedAt < 1_000_000_000, "the next append goes through within 1 s of the holder's death")
        #expect(try Journal.replay(stateDir: dir.state).lineCount == next.seq)
    }
}

@Suite struct Lease {
    @Test func acquireIsRefusedWhileALiveLeaseExistsNamingTheHolder() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let ic = try JournalWriter.open(stateDir: dir.state, actor: "ic", now: t0)
        let other = try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0)
        defer { ic.close(); other.close() }
        let g = try ic.acquireLease(now: t0, ttlMs: 1000)
        #expect(g.lease.token == 1 && g.previous == nil && g.lease.actor == "ic" && g.lease.pid == getpid())
        #expect(try DriverLease.read(stateDir: dir.state) == g.lease)
        #expect(dir.mode(dir.lease) == 0o600)
        let e = #expect(throws: LeaseError.self) { try other.acquireLease(now: t0 + 500, ttlMs: 1000) }
        let text = "\(e.map { "\($0)" } ?? "")"
        #expect(text.contains("held by ic (pid \(getpid())") && text.contains("since 2026-11-22T02:11:01.123Z")
                && text.contains("last heartbeat 0.5 s ago"), "\(text)")
        // A renewal keeps it alive past the first expiry.
        try ic.renewLease(now: t0 + 900)
        #expect(throws: LeaseError.self) { try other.acquireLease(now: t0 + 1500, ttlMs: 1000) }
        #expect(throws: LeaseError.self) { try other.takeOverLease(reason: "ic gone?", now: t0 + 1500, ttlMs: 1000) }
        // Released: the next driver acquires at once, with a higher token, and no previous holder to hand over from.
        try ic.releaseLease(now: t0 + 1600)
        #expect(ic.lease == nil)
        let g2 = try other.acquireLease(now: t0 + 1601, ttlMs: 1000)
        #expect(g2.lease.token == 2 && g2.previous == nil)
    }

    @Test func takeOverIsRefusedBeforeExpiryAndAcceptedAfter() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let ic = try JournalWriter.open(stateDir: dir.state, actor: "ic", now: t0)
        let lee = try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0)
        defer { ic.close(); lee.close() }
        let first = try ic.acquireLease(now: t0, ttlMs: 200).lease
        let refused = #expect(throws: LeaseError.self) { try lee.takeOverLease(reason: "ic silent", now: t0 + 199, ttlMs: 200) }
        #expect(refused == .notExpired(dir: dir.state, current: first, now: t0 + 199))
        #expect("\(refused.map { "\($0)" } ?? "")".contains("take-over refused"))
        let g = try lee.takeOverLease(reason: "ic silent", now: t0 + 700, ttlMs: 200)
        #expect(g.lease.token == 2 && g.lease.actor == "lee")
        #expect(g.previous == first && g.gapMs == 700 && g.reason == "ic silent")
        // The old driver finds out at its next heartbeat, and holds nothing after.
        let lost = #expect(throws: LeaseError.self) { try ic.renewLease(now: t0 + 701) }
        #expect("\(lost.map { "\($0)" } ?? "")".contains("driver lease lost: token 1"))
        #expect(ic.lease == nil)
        #expect(throws: LeaseError.self) { try ic.releaseLease(now: t0 + 702) }
        #expect(try DriverLease.read(stateDir: dir.state)?.token == 2, "a lost lease's release leaves the new one alone")
    }

    /// kill -9 of the driver, take-over, and the old driver (here: its writer, still open, as a stopped process
    /// resumed) tries to write: refused, under the append lock, after the new driver wrote.
    @Test func staleTokenDriverAppendIsRefusedAndCrewAppendsNeedNoLease() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let old = try JournalWriter.open(stateDir: dir.state, actor: "ic", now: t0)
        let new = try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0)
        defer { old.close(); new.close() }
        try old.acquireLease(now: t0, ttlMs: 100)
        let e1 = try old.append(trip("Security incident"), actor: "ic", time: t0 + 10)
        #expect(e1.token == 1)
        try new.takeOverLease(reason: "ic stopped renewing", now: t0 + 500, ttlMs: 100)
        let e2 = try new.append(.lightClear(LightChange(name: "Security incident", reason: "false alarm")), actor: "lee", time: t0 + 510)
        #expect(e2.token == 2)
        let lines = dir.journalLines().count
        let refused = #expect(throws: LeaseError.self) { try old.append(trip("Data corruption detected"), actor: "ic", time: t0 + 520) }
        #expect("\(refused.map { "\($0)" } ?? "")".contains("light.trip refused: driver token 1 is stale (the lease is token 2, held by lee"))
        #expect(throws: LeaseError.self) { try old.append(trip("Data corruption detected"), actor: "ic", time: t0 + 520, token: 1) }
        #expect(dir.journalLines().count == lines, "nothing written")
        // Without any token a driver entry is refused too; crew entries need no lease.
        let crew = try JournalWriter.open(stateDir: dir.state, actor: "sam", now: t0)
        defer { crew.close() }
        #expect(throws: LeaseError.self) { try crew.append(trip("x"), actor: "sam", time: t0 + 600) }
        let c = try crew.append(.itemSet(ItemSet(id: "T1", status: .open)), actor: "sam", time: t0 + 600)
        #expect(c.token == nil)
        // The token is on the line, covered by the hash, and read back.
        let r = try Journal.replay(stateDir: dir.state)
        #expect(r.events.map(\.token).suffix(3) == [1, 2, nil])
        #expect(dir.journalLines()[6].contains(#""actor":"ic","token":1,"type":"light.trip""#))
        // A token never goes back: a new lease after a lost lease file still gets a higher one than the journal's.
        try FileManager.default.removeItem(atPath: dir.lease)
        #expect(try crew.acquireLease(now: t0 + 700).lease.token == 3)
    }

    /// The console renews from its own queue through a `LeaseHolder`: under the lease lock, so even while the
    /// append lock is held elsewhere the heartbeat goes through at once; it finds out about a take-over.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/flock")))
    func aHolderRenewsWithoutTheAppendLockAndLearnsOfATakeOver() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let ic = try JournalWriter.open(stateDir: dir.state, actor: "ic", now: t0)
        let lee = try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0)
        defer { ic.close(); lee.close() }
        let g = try ic.acquireLease(now: t0, ttlMs: 1000)
        let holder = try LeaseHolder(stateDir: dir.state, actor: "ic", lease: g.lease)
        holder.lockWaitMs = 500
        let blocker = Process()
        blocker.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        blocker.arguments = ["-o", dir.appendLock, "sleep", "10"]
        blocker.standardOutput = FileHandle.nullDevice
        blocker.standardError = FileHandle.nullDevice
        try blocker.run()
        defer { if blocker.isRunning { kill(blocker.processIdentifier, SIGKILL) } }
        lee.lockWaitMs = 100
        var blocked = false
        for _ in 0..<200 where !blocked {
            do { _ = try lee.catchUp(now: t0) ; usleep(10_000) } catch is AppendLockBusy { blocked = true }
        }
        #expect(blocked, "flock(1) holds the append lock")
        try holder.renew(now: t0 + 900)
        #expect(holder.lease?.heartbeat == t0 + 900)
        #expect(try DriverLease.read(stateDir: dir.state)?.heartbeat == t0 + 900)
        kill(blocker.processIdentifier, SIGKILL)
        lee.lockWaitMs = 2000
        #expect(throws: LeaseError.self) { try lee.takeOverLease(reason: "x", now: t0 + 1800, ttlMs: 1000) }
        let taken = try lee.takeOverLease(reason: "ic silent", now: t0 + 2000, ttlMs: 1000)
        #expect(taken.lease.token == 2 && taken.gapMs == 1100)
        #expect(throws: LeaseError.self) { try holder.renew(now: t0 + 2001) }
        #expect(holder.lease == nil)
        #expect(throws: LeaseError.self) { try holder.release(now: t0 + 2002) }
        #expect(try DriverLease.read(stateDir: dir.state)?.token == 2)
        // The writer still believes its token: its driver append is refused by the fence.
        #expect(throws: LeaseError.self) { try ic.append(trip("late"), actor: "ic", time: t0 + 2003) }
    }

    @Test func aLowerTokenOnALaterLineIsDamage() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        var lines: [String] = []
        var prev: String? = nil
        func add(_ type: String, _ payload: String, actor: String = "ic", token: Int? = nil) {
            let seq = lines.count + 1
            let time = "2026-11-22T02:11:0\(seq).000Z"
            var (line, hash) = JournalTestSupport.sealedLine(seq: seq, time: time, actor: actor, type: type, payload: payload,
                                                            prev: prev, token: token)
            line.removeLast()
            lines.append(line)
            prev = hash
        }
        add("run.started", #"{"checklist":"c.md","checklistSHA256":"ab","host":"h","items":1,"pid":1}"#)
        add("light.trip", #"{"name":"A","reason":"r"}"#, token: 2)
        add("light.trip", #"{"name":"B","reason":"r"}"#, token: 1)
        try FileManager.default.createDirectory(atPath: dir.state, withIntermediateDirectories: true)
        dir.writeJournal(lines: lines)
        for f in [dir.head, dir.appendLock] { _ = FileManager.default.createFile(atPath: f, contents: nil) }
        expectDamage(dir, line: 3, "driver token 1 is lower than token 2 on line 2")
    }
}
