import Foundation
import Testing
import WarRoomCore
import WarRoomStore
#if canImport(Glibc)
import Glibc
#endif


/// `warroom check` started, not waited for: stdout and stderr collected once it has exited.
private final class CheckProcess {
    let process = Process()
    let out = Pipe(), err = Pipe()
    let note: String

    init(state: String, note: String) throws {
        self.note = note
        process.executableURL = URL(fileURLWithPath: warroomBinary)
        process.arguments = ["check", "T102", "--checklist", canary, "--state", state, "--note", note]
        var environment = ProcessInfo.processInfo.environment
        environment["WARROOM_NOW"] = "2026-11-23T09:00:00Z"
        environment["USER"] = "dana"
        environment["SUDO_USER"] = "dana"
        process.environment = environment
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Exit status (nil when killed) and the journal seq it acknowledged.
    func finish() -> (status: Int32?, seq: Int?, err: String) {
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationReason == .exit else { return (nil, nil, e) }
        let seq = o.firstMatch(of: /journal seq (\d+)\)/).flatMap { Int($0.1) }
        return (process.terminationStatus, seq, e)
    }
}

@Suite(.serialized) struct ManyWritersEndToEnd {
    /// The item.set notes in the journal, by seq.
    func notes(_ state: String) throws -> [Int: String] {
        var out: [Int: String] = [:]
        for e in try Journal.replay(stateDir: state).events {
            if case .itemSet(let s) = e.body, let n = s.note { out[e.seq] = n }
        }
        return out
    }

    /// Lanes of `warroom check` processes, each lane one after another, all lanes at once; `during` runs on this
    /// thread meanwhile. Every acknowledged check is in the journal at the seq it printed, and an acknowledged check
    /// is before every check started after its acknowledgement.
    func checkLanes(state: String, lanes: Int, each: Int, during: () throws -> Void = {}) throws {
        final class Box: @unchecked Sendable { var acks: [(note: String, seq: Int, start: UInt64, end: UInt64)] = []; var failures: [String] = [] }
        let box = Box()
        let lock = NSLock()
        let group = DispatchGroup()
        for lane in 0..<lanes {
            group.enter()
            Thread {
                defer { group.leave() }
                for i in 0..<each {
                    let note = "lane\(lane)-\(i)"
                    let start = monoNS()
                    do {
                        let r = try CheckProcess(state: state, note: note).finish()
                        let end = monoNS()
                        lock.lock()
                        if r.status == 0, let seq = r.seq { box.acks.append((note, seq, start, end)) } else { box.failures.append("\(note): \(r.err)") }
                        lock.unlock()
                    } catch {
                        lock.lock(); box.failures.append("\(note): \(error)"); lock.unlock()
                    }
                }
            }.start()
        }
        try during()
        group.wait()
        #expect(box.failures.isEmpty, "\(box.failures.prefix(3))")
        #expect(box.acks.count == lanes * each)
        let verify = try warroom(["verify", "--state", state])
        #expect(verify.status == 0, "\(verify.err)")
        let byseq = try notes(state)
        #expect(byseq.count == lanes * each)
        var misplaced = 0, reordered = 0
        for a in box.acks where byseq[a.seq] != a.note { misplaced += 1 }
        for a in box.acks { for b in box.acks where a.end < b.start && a.seq >= b.seq { reordered += 1 } }
        #expect(misplaced == 0, "\(misplaced) acknowledged checks are not at the seq they printed")
        #expect(reordered == 0, "\(reordered) pairs journaled against the order of their acknowledgements")
    }

    @Test func threeProcessesOfChecksAppendConcurrently() throws {
        try checkLanes(state: tempDir("many") + "/state", lanes: 3, each: 40)
    }

    /// kill -9 of `warroom check` processes at random moments while others append: every acknowledged (exit 0)
    /// check is in the journal at its seq, the chain verifies, a torn line left by a killed writer is cut by
    /// the next one, and the next writer gets the append lock at once (well within 1 s).
    @Test func killNineDuringConcurrentAppendsLosesNothingAcknowledged() throws {
        let state = tempDir("kill") + "/state"
        // The run is started, and one lifetime of a check measured, before the killing starts.
        let t = monoNS()
        #expect(try warroom(["check", "T102", "--checklist", canary, "--state", state, "--note", "first"]).status == 0)
        let lifetimeUS = max(5_000, Int((monoNS() - t) / 1000))
        let probe = try JournalWriter.open(stateDir: state, actor: "probe", now: 0)
        defer { probe.close() }
        probe.lockWaitMs = 1000
        var acked: [(String, Int)] = []
        var kills = 0, rounds = 0, slowest: UInt64 = 0
        let deadline = monoNS() + 150_000_000_000 // generous: on a loaded 2-core machine 200 kills take over a minute
        while kills < 200, monoNS() < deadline {
            rounds += 1
            let procs = try (0..<4).map { try CheckProcess(state: state, note: "r\(rounds)-\($0)") }
            // Around the end of a check's life, where it appends (four at once take longer than one alone).
            usleep(UInt32.random(in: UInt32(lifetimeUS * 2 / 5)...UInt32(lifetimeUS * 8 / 5)))
            for p in procs.shuffled().prefix(Int.random(in: 1...3)) where p.process.isRunning {
                kill(p.process.processIdentifier, SIGKILL)
                kills += 1
            }
            for p in procs {
                let r = p.finish()
                if r.status == 0, let seq = r.seq { acked.append((p.note, seq)) }
                if let s = r.status, s != 0 { Issue.record("\(p.note) failed: \(r.err)") }
            }
            // The next writer proceeds at once: the dead writers' lock is gone with them.
            let start = monoNS()
            _ = try probe.append(.itemSet(ItemSet(id: "T104", status: .done, note: "probe \(rounds)")), actor: "probe", time: Int64(Date().timeIntervalSince1970 * 1000))
            slowest = max(slowest, monoNS() - start)
        }
        #expect(kills >= 200, "\(kills) kills in \(rounds) rounds")
        #expect(slowest < 1_000_000_000, "slowest append after a kill: \(slowest / 1_000_000) ms")
        let verify = try warroom(["verify", "--state", state])
        #expect(verify.status == 0, "\(verify.err)")
        let byseq = try notes(state)
        for (note, seq) in acked { #expect(byseq[seq] == note, "acknowledged \(note) at seq \(seq), journal has \(byseq[seq] ?? "nothing")") }
        #expect(!acked.isEmpty)
        // Some killed checks got their line in before they died (unacknowledged, yet whole): kills hit appends.
        #expect(try Journal.replay(stateDir: state).lineCount > 1 + rounds + acked.count, "no kill landed after an append")
    }
}


/// The console holds the driver lease and renews it; killed with -9 it stops renewing; another driver can take
/// over only once the lease has expired, gets a higher token, and the old one's token is then stale.
@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct DriverLeaseEndToEnd {
    @Test func killedDriverIsTakenOverOnlyAfterItsLeaseExpires() throws {
        let state = tempDir("lease-e2e") + "/state"
        let t = try TmuxConsole(command: "\(shellQuote(warroomBinary)) run --checklist \(shellQuote(canary)) --state \(shellQuote(state))",
                                env: ["WARROOM_LEASE_TTL_MS": "3000"])
        t.waitFor(text: "DRIVING")
        let first = try #require(try DriverLease.read(stateDir: state))
        #expect(first.actor == "dana" && first.ttlMs == 3000 && !first.released)
        let other = try JournalWriter.open(stateDir: state, actor: "lee", now: wallMs())
        defer { other.close() }
        // Renewed by the console's heartbeat: still live after more than one lifetime.
        usleep(4_000_000)
        let renewed = try #require(try DriverLease.read(stateDir: state))
        #expect(renewed.token == first.token && renewed.heartbeat > first.heartbeat + 1000, "\(renewed)")
        #expect(throws: LeaseError.self) { try other.acquireLease(now: wallMs()) }

        kill(first.pid, SIGKILL)
        let killedAt = wallMs()
        let last = try #require(try DriverLease.read(stateDir: state))
        #expect(throws: LeaseError.self) { try other.takeOverLease(reason: "dana's console died", now: wallMs()) }
        var grant: LeaseGrant?
        while grant == nil, wallMs() < killedAt + 8000 {
            do { grant = try other.takeOverLease(reason: "dana's console died", now: wallMs()) } catch is LeaseError { usleep(100_000) }
        }
        let g = try #require(grant)
        #expect(g.lease.token == first.token + 1 && g.lease.actor == "lee")
        #expect(g.previous?.actor == "dana" && g.previous?.pid == first.pid)
        #expect((g.gapMs ?? 0) >= 3000 && g.lease.since >= last.expires, "taken over only after expiry: \(g)")
        // The new driver writes; a write with the dead driver's token is refused.
        let e = try other.append(.lightTrip(LightChange(name: "Security incident", reason: "handed over")), actor: "lee", time: wallMs())
        #expect(e.token == g.lease.token)
        #expect(throws: LeaseError.self) {
            try other.append(.lightClear(LightChange(name: "Security incident")), actor: "dana", time: wallMs(), token: first.token)
        }
        let verify = try warroom(["verify", "--state", state])
        #expect(verify.status == 0, "\(verify.err)")
    }
}

/// Hand-over at the console: a driver that stops renewing (stopped with SIGSTOP, as a laptop that went to sleep) is
/// taken over only with `--take-over REASON` once its lease expired; the new console continues the run where it was,
/// the journal records the hand-over, and the old console, when it wakes, is read-only and names who took over.
@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct TakeOverEndToEnd {
    @Test func takeOverNeedsAReasonAndTheOldDriverTurnsReadOnly() throws {
        let (dir, config) = try RampEndToEnd().makeRun(hold: "1h")
        let state = dir + "/state"
        let env = ["WARROOM_LEASE_TTL_MS": "3000"]
        let old = try TmuxConsole(command: "\(shellQuote(warroomBinary)) run \(shellQuote(config)) --state \(shellQuote(state)) --actor dana",
                                  env: env)
        old.waitFor(text: "READY")
        try old.send("g")
        old.waitFor(text: "reason for GO")
        try old.send("Escape")
        old.waitFor(text: "10 %  step 1/2")
        let lease = try #require(try DriverLease.read(stateDir: state))
        kill(lease.pid, SIGSTOP)
        defer { kill(lease.pid, SIGCONT) }

        // While the lease is live: refused, naming the driver, even with a reason.
        let live = try TmuxConsole(command: "\(shellQuote(warroomBinary)) run \(shellQuote(config)) --state \(shellQuote(state)) --actor lee --take-over 'dana unreachable'; sleep 30",
                                   env: env)
        live.waitFor(text: "dana")
        #expect(!live.screen().contains("DRIVING"))
        // Expired: a plain run is refused and says how to take over.
        let deadline = Date().addingTimeInterval(8)
        var plain = ""
        repeat {
            usleep(200_000)
            if let l = try DriverLease.read(stateDir: state), !l.isLive(at: Int64(Date().timeIntervalSince1970 * 1000)) { break }
        } while Date() < deadline
        let refused = try TmuxConsole(command: "\(shellQuote(warroomBinary)) run \(shellQuote(config)) --state \(shellQuote(state)) --actor lee; sleep 30",
                                      env: env)
        refused.waitFor(text: "--take-over")
        plain = refused.screen()
        #expect(plain.contains("dana") && plain.contains("nobody drives"), "\(plain)")

        // With a reason: the new driver continues at 10 %, with the same window.
        let new = try TmuxConsole(command: "\(shellQuote(warroomBinary)) run \(shellQuote(config)) --state \(shellQuote(state)) --actor lee --take-over 'dana unreachable'",
                                  env: env)
        new.waitFor(text: "DRIVING")
        new.waitFor(text: "10 %  step 1/2")
        new.waitFor(text: "lee drives now — took over from dana")

        // The old console wakes: read-only, naming who took over; its keys change nothing.
        kill(lease.pid, SIGCONT)
        old.waitFor(text: "lee took over driving", timeout: 15)
        let before = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        try old.send("n")
        old.waitFor(text: "read-only — lee took over driving")
        #expect(try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8) == before)

        let status = try warroom(["status", "--state", state, "--json"])
        #expect(status.status == 0, "\(status.err)")
        let journal = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        #expect(journal.contains("\"type\":\"driver.handover\""))
        #expect(journal.contains("dana unreachable"))
        let verify = try warroom(["verify", "--state", state])
        #expect(verify.status == 0, "\(verify.err)")
        try new.send("q")
        try new.send("y")
        #expect(new.waitForExit() == 0)
        try old.send("Escape") // n's refusal holds the keys typed next
        try old.send("q")
        try old.send("y")
        _ = old.waitForExit()
    }
}
