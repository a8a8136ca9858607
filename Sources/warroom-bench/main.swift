// Benchmarks that print figures (run through scripts/bench, release build). Not tests: nothing here fails a build.
import Foundation
import WarRoomCore
import WarRoomStore
import WarRoomUI

func nowNS() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func ms(_ ns: UInt64) -> String { String(format: "%.2f ms", Double(ns) / 1e6) }

func percentile(_ xs: [UInt64], _ p: Double) -> UInt64 {
    let s = xs.sorted()
    return s[min(s.count - 1, Int(Double(s.count - 1) * p))]
}

func time(_ runs: Int, _ body: () -> Void) -> [UInt64] {
    (0..<runs).map { _ in
        let t = nowNS()
        body()
        return nowNS() - t
    }
}

func line(_ name: String, _ figure: String, goal: String) {
    print(name.padding(toLength: 46, withPad: " ", startingAt: 0) + figure.padding(toLength: 34, withPad: " ", startingAt: 0) + goal)
}

/// A 10,000-item checklist shaped like the seeds: phases, T-offsets, task IDs, [P], bold leads, sub-items.
func bigChecklist(items: Int) -> String {
    var s = "# Synthetic go-live\n\n"
    var n = 0
    var phase = 0
    while n < items {
        phase += 1
        s += "## Phase \(phase) (T-\(phase * 10) min)\n\n"
        for group in 0..<4 where n < items {
            s += "### Group \(phase).\(group)\n"
            for i in 0..<25 where n < items {
                if i % 5 == 0 {
                    s += "- [ ] T\(100_000 + n) [P] **Check \(n):** verify service \(i) in group \(group) responds\n"
                } else if i % 5 == 1 {
                    s += "  - [x] T\(100_000 + n)a sub-step for item \(n - 1)\n"
                } else {
                    s += "- [ ] Verify component \(n) is healthy after the phase \(phase) rollout\n"
                }
                n += 1
            }
            s += "\n"
        }
    }
    return s
}

// `warroom-bench lint|init FILE`: section 5's figures, each in a process of its own so its peak RSS is its own.
// `warroom-bench haproxy`: the traffic adapter's round trip against a real HAProxy on loopback (started here).
if CommandLine.arguments.dropFirst().first == "haproxy" {
    benchHAProxy()
    exit(0)
}
if CommandLine.arguments.count == 3 {
    bigChild(CommandLine.arguments[1], path: CommandLine.arguments[2])
    exit(0)
}

print("warroom benchmarks (release build, \(ProcessInfo.processInfo.activeProcessorCount) cores)")
print(String(repeating: "-", count: 100))

// 1. Parse a 10,000-item checklist.
let text = Array(bigChecklist(items: 10_000).utf8)
let parsed = ChecklistParser.parse(text, path: "big.md")
precondition(parsed.items.count == 10_000, "expected 10,000 items, got \(parsed.items.count)")
_ = ChecklistParser.parse(text, path: "big.md")
let parseTimes = time(30) { _ = ChecklistParser.parse(text, path: "big.md") }
line("parse 10,000-item checklist (\(text.count / 1024) KiB)", "median \(ms(percentile(parseTimes, 0.5))), max \(ms(parseTimes.max()!))", goal: "goal ≤ 50 ms")

// 1b. Hostile input: 100,000 nested list markers on one line, then 200,000 spaces (was quadratic: 16.6 s).
let hostile = Array((String(repeating: "- ", count: 100_000) + "a\n" + String(repeating: " ", count: 200_000) + "b\n").utf8)
let hostileTimes = time(3) { _ = ChecklistParser.parse(hostile, path: "deep.md") }
line("parse hostile nesting (400 KiB, 100k levels)", "median \(ms(percentile(hostileTimes, 0.5)))", goal: "linear, not quadratic")

// 2. Append + fsync latency, on the real disk (not /tmp, which may be tmpfs).
let base = FileManager.default.currentDirectoryPath + "/.build/bench-\(getpid())"
defer { try? FileManager.default.removeItem(atPath: base) }
// `warroom-bench writers`: only the many-writers figures (section 6).
if CommandLine.arguments.dropFirst().first == "writers" {
    benchConcurrentWriters(base: base, items: parsed.items)
    try? FileManager.default.removeItem(atPath: base)
    exit(0)
}
// `warroom-bench notify`: notification delivery latency (append ack → a loopback webhook receiver got it).
if CommandLine.arguments.dropFirst().first == "notify" {
    benchNotify(base: base)
    try? FileManager.default.removeItem(atPath: base)
    exit(0)
}
// `warroom-bench etcd`: append latency on etcd (a single member and a three-member loopback cluster it starts
// itself under .build, on the real disk) beside the file store's.
if CommandLine.arguments.dropFirst().first == "etcd" {
    benchEtcd(base: base, items: parsed.items.map(\.id))
    try? FileManager.default.removeItem(atPath: base)
    exit(0)
}
do {
    let writer = try JournalWriter.open(stateDir: base + "/append", actor: "bench", now: 0)
    try writer.append(.runStarted(RunStarted(checklist: "big.md", checklistSHA256: "00", items: 10_000, host: "bench", pid: getpid())),
                      actor: "bench", time: 1_795_424_400_000)
    var lat: [UInt64] = []
    for i in 0..<2000 {
        let item = parsed.items[i % parsed.items.count].id
        let t = nowNS()
        try writer.append(.itemSet(ItemSet(id: item, status: i % 2 == 0 ? .done : .open, note: "bench \(i)")),
                          actor: "bench", time: 1_795_424_400_000 + Int64(i))
        lat.append(nowNS() - t)
    }
    writer.close()
    line("append+fsync (2,000 appends, journal + head)", "p50 \(ms(percentile(lat, 0.5))), p99 \(ms(percentile(lat, 0.99)))", goal: "goal p99 ≤ 5 ms")
} catch {
    print("append benchmark failed: \(error)")
}

// 3. Replay 100,000 events.
do {
    let dir = base + "/replay"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var out = ""
    out.reserveCapacity(30_000_000)
    var prev: String?
    let start = #"{"checklist":"big.md","checklistSHA256":"00","host":"bench","items":10000,"pid":1}"#
    for seq in 1...100_000 {
        let time = Timestamp.iso8601(1_795_424_400_000 + Int64(seq) * 250)
        let (type, payload): (String, String)
        if seq == 1 {
            (type, payload) = ("run.started", start)
        } else {
            let id = parsed.items[seq % parsed.items.count].id
            (type, payload) = ("item.set", #"{"id":"\#(id)","status":"\#(seq % 3 == 0 ? "skipped" : "done")","reason":"r"}"#)
        }
        let sealed = JournalTestSupport.sealedLine(seq: seq, time: time, actor: "dana", type: type, payload: payload, prev: prev)
        out += sealed.line
        prev = sealed.hash
    }
    try out.write(toFile: Journal.path(in: dir), atomically: false, encoding: .utf8)
    let size = out.utf8.count
    var events = 0
    let replayTimes = time(5) {
        events = (try? Journal.replay(stateDir: dir).state.lastSeq) ?? -1
    }
    precondition(events == 100_000, "replay failed")
    line("replay 100,000 events (\(size / 1_048_576) MiB, verify chain)", "median \(ms(percentile(replayTimes, 0.5))), max \(ms(replayTimes.max()!))", goal: "goal ≤ 500 ms")
} catch {
    print("replay benchmark failed: \(error)")
}

// 4. Render: the console on the 10,000-item checklist.
let engine = Engine(config: RunConfig(path: nil, service: "bench", checklist: "bench.md", plan: RampPlan(steps: [])),
                    session: Session(actor: "dana", role: .driver, stateDir: ".warroom"), checklist: parsed, run: RunState(),
                    now: 1_795_424_400_000)
var state = ConsoleState(engine: engine, size: Size(width: 120, height: 40))
let theme = ThemeLoader.builtin("default")!
let renderTimes = time(200) { _ = Renderer.render(state, theme: theme, glyphs: .unicode, size: state.size) }
line("render 120×40 frame, 10,000-item checklist", "median \(ms(percentile(renderTimes, 0.5))), p99 \(ms(percentile(renderTimes, 0.99)))", goal: "(frame budget 16 ms)")
var keyTimes: [UInt64] = []
for i in 0..<500 {
    let t = nowNS()
    _ = state.update(.key(i % 50 == 49 ? .pageDown : .char("j")))
    _ = Renderer.render(state, theme: theme, glyphs: .unicode, size: state.size)
    keyTimes.append(nowNS() - t)
}
line("key → new frame (j / PgDn), 10,000 items", "median \(ms(percentile(keyTimes, 0.5))), p99 \(ms(percentile(keyTimes, 0.99)))", goal: "")
let foldTimes = time(50) {
    _ = state.update(.key(.home))
    _ = state.update(.key(.char(" ")))
}
line("fold/unfold a section (rebuild rows)", "median \(ms(percentile(foldTimes, 0.5))), max \(ms(foldTimes.max()!))", goal: "")
let initTimes = time(20) {
    _ = ConsoleState(engine: engine, size: Size(width: 120, height: 40))
}
line("console state for 10,000 items (first screen)", "median \(ms(percentile(initTimes, 0.5)))", goal: "")
let contactTimes = time(20) { _ = parsed.contacts }
line("  of which: contacts", "median \(ms(percentile(contactTimes, 0.5)))", goal: "")

// 5. A follower after one appended entry on a 100,000-event journal: the incremental tail reader vs a full replay.
func benchFollowerTail(base: String, checklist: Checklist) {
    let items = checklist.items
    do {
        let dir = base + "/tail"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var out = ""
        out.reserveCapacity(30_000_000)
        var prev: String?
        for seq in 1...100_000 {
            let time = Timestamp.iso8601(1_795_424_400_000 + Int64(seq) * 250)
            let (type, payload): (String, String)
            if seq == 1 {
                (type, payload) = ("run.started", #"{"checklist":"big.md","checklistSHA256":"00","host":"bench","items":10000,"pid":1}"#)
            } else {
                (type, payload) = ("item.set", #"{"id":"\#(items[seq % items.count].id)","status":"\#(seq % 2 == 0 ? "done" : "open")"}"#)
            }
            let sealed = JournalTestSupport.sealedLine(seq: seq, time: time, actor: "dana", type: type, payload: payload, prev: prev)
            out += sealed.line
            prev = sealed.hash
        }
        try out.write(toFile: Journal.path(in: dir), atomically: false, encoding: .utf8)
        let writer = try JournalWriter.open(stateDir: dir, actor: "bench", now: 0)
        defer { writer.close() }
        let (tail, _) = try JournalTail.open(stateDir: dir) // the reader on its own, below
        var next = 100_001
        func appendOne() throws {
            let id = items[next % items.count].id
            let status: ItemStatus = writer.state.record(id)?.status == .done ? .open : .done
            try writer.append(.itemSet(ItemSet(id: id, status: status)), actor: "bench", time: 1_795_424_400_000 + Int64(next) * 250)
            next += 1
        }
        // As `warroom follow` does it: the tail reads the new line, the follower's console merges it into its own
        // run (the engine applies the event; no copy of the run) and recounts the checklist's progress.
        let (opened, replayed) = try JournalTail.open(stateDir: dir)
        let engine = Engine(config: RunConfig(path: nil, service: "bench", checklist: "big.md", plan: RampPlan(steps: [])),
                            session: Session(actor: "", role: .follower(driver: "bench"), stateDir: dir), checklist: checklist,
                            run: replayed.state, now: 1_795_424_400_000)
        var console = ConsoleState(engine: engine, size: Size(width: 120, height: 40))
        var tailTimes: [UInt64] = []
        for _ in 0..<50 {
            try appendOne()
            let t = nowNS()
            let new = try opened.poll()
            _ = console.update(.engine(.merged(new)))
            tailTimes.append(nowNS() - t)
            precondition(new.count == 1 && console.run.lastSeq == next - 1, "the follower missed an append")
        }
        _ = try tail.poll() // catch up with the appends above
        // The reader alone (nobody else holds its state): what the tail itself costs.
        var soloTimes: [UInt64] = []
        for _ in 0..<50 {
            try appendOne()
            let t = nowNS()
            let new = try tail.poll()
            soloTimes.append(nowNS() - t)
            precondition(new.count == 1 && tail.lineCount == next - 1, "tail missed an append")
        }
        var idleTimes: [UInt64] = []
        for _ in 0..<50 {
            let t = nowNS()
            let new = try tail.poll()
            idleTimes.append(nowNS() - t)
            precondition(new.isEmpty, "nothing was appended")
        }
        var fullTimes: [UInt64] = []
        for _ in 0..<5 {
            try appendOne()
            let t = nowNS()
            let r = try Journal.replay(stateDir: dir)
            fullTimes.append(nowNS() - t)
            precondition(r.state.lastSeq == next - 1, "replay missed an append")
        }
        line("follower, 1 append on 100,000 events", "median \(ms(percentile(tailTimes, 0.5))), max \(ms(tailTimes.max()!))", goal: "goal ≤ 5 ms")
        line("  of which the tail reader alone", "median \(ms(percentile(soloTimes, 0.5))), max \(ms(soloTimes.max()!))", goal: "")
        line("  a look with nothing appended", "median \(ms(percentile(idleTimes, 0.5))), max \(ms(idleTimes.max()!))", goal: "")
        line("  same, full replay (what follow did before)", "median \(ms(percentile(fullTimes, 0.5))), max \(ms(fullTimes.max()!))", goal: "")
    } catch {
        print("follower tail benchmark failed: \(error)")
    }
}
benchFollowerTail(base: base, checklist: parsed)
// 6. A 50 MB checklist (≈1.1 M items): what `warroom lint` and `warroom init --from` do with it, each in a child
// process (this one's peak RSS includes the benchmarks above).
func maxRSSMiB() -> Double {
    var u = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    return Double(u.ru_maxrss) / 1024 // KiB on Linux
}

/// A go-live checklist of about `bytes` bytes (`warroom lint`/`init` figures): the global parts once (contacts
/// table, ramp table and steps, rollback triggers, SLOs, rollback targets), then one section per service repeated
/// until the size is reached: headings with T-offsets, task items with and without task IDs (`T…`, `CHK…`), `[P]`,
/// bold leads, sub-items, a continuation line, a plain group list, a table, a paragraph and a code fence holding
/// item-like lines. Every task ID and item text is unique, so the checklist lints clean.
func bigChecklist(bytes target: Int) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(target + 4096)
    func put(_ s: String) { out.append(contentsOf: s.utf8) }
    put("""
    # Synthetic platform go-live

    One section per service; generated for the benchmark.

    ## Contacts

    | Role | Name | Phone | Slack |
    |---|---|---|---|
    | Incident Commander | Dana Ortiz | +1 555 0100 | @dana |
    | Database | Lee Chen | +1 555 0101 | @lee |

    ## Ramp (T-0 to T+60 min)

    | Step | Traffic | Hold |
    |---|---|---|
    | 1 | 5% | 10 min |
    | 2 | 25% | 15 min |
    | 3 | 100% | 30 min |

    ## Rollback Triggers

    - Error rate > 2% for 5 minutes
    - **P99 latency:** > 1.5s sustained for 10 minutes
    - Any data corruption report

    ## Rollback Procedure

    - [ ] Decision: < 5 minutes
    - [ ] Execute the rollback within 10 minutes
    - [ ] Verify health within 15 minutes

    ## SLOs

    - P95 latency < 300ms
    - Availability ≥ 99.9%


    """)
    var id = 0
    var p = 0
    let services = ["checkout", "payments", "search", "ledger", "profile", "gateway", "inventory", "billing"]
    while out.count < target {
        p += 1
        let svc = services[p % services.count] + "-\(p)"
        put("## \(svc) (T+\(p % 60) min)\n\nOwner: team \(p % 97); runbook \(svc).\n\n### Checks\n\n")
        for k in 0..<32 {
            id += 1
            let tid = id % 2 == 0 ? "T\(id / 2) " : (id % 3 == 0 ? "CHK\(id / 3) " : "")
            switch k % 8 {
            case 0: put("- [ ] \(tid)Confirm ticket CHG-\(id) approved\n")
            case 1: put("- [x] \(tid)[P] **Backup:** db-\(id) taken\n  - [ ] size of snapshot \(id)\n  - [x] copy \(id) to b\n")
            case 2: put("- [ ] \(tid)Check `\(svc)` board \(id)\n  and the pager\n")
            case 3: put("- [ ] \(tid)Warm cache \(id) on \(svc)\n")
            case 4: put("- [ ] \(tid)Scale pods \(id) to 3\n")
            case 5: put("- [ ] \(tid)Smoke test \(id) passed\n")
            case 6: put("* [ ] \(tid)Tail logs \(id) for errors\n")
            default: put("- [ ] Notify #ops-\(p): \(id) ok\n")
            }
        }
        put("\n1. Immediate (\(p))\n   - [ ] page on-call \(svc)\n   - [ ] freeze \(svc)\n\n")
        put("| Check | Expected |\n|---|---|\n| pods \(p) | 3 |\n\n```bash\nkubectl rollout status deploy/\(svc)\n- [ ] in a fence\n```\n\n")
    }
    return out
}

/// Reads the file as `warroom lint` and `warroom init` do, parses it, and (for init) derives; prints the figures as
/// `key=value` for the parent.
func bigChild(_ mode: String, path: String) {
    let t0 = nowNS()
    guard let data = FileManager.default.contents(atPath: path) else { print("error=unreadable"); return }
    let bytes = [UInt8](data)
    let c = ChecklistParser.parse(bytes, path: path)
    let t1 = nowNS()
    var report = "items=\(c.items.count) errors=\(c.errors.count) warnings=\(c.warnings.count) done=\(c.checkedInFile) parse=\(Double(t1 - t0) / 1e9)"
    if mode == "init" {
        let d = c.derive()
        report += " derive=\(Double(nowNS() - t1) / 1e9) steps=\(d.steps.count) criteria=\(d.criteria.count) slos=\(d.slos.count)"
    }
    print(report + " rss=\(maxRSSMiB())")
}

do {
    let path = base + "/big-50mb.md"
    let big = bigChecklist(bytes: 50 * 1_048_576)
    try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: path, contents: Data(big))
    func child(_ mode: String) -> [String: String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        p.arguments = [mode, path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try? p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        var kv: [String: String] = [:]
        for f in out.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = f.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { kv[String(parts[0])] = String(parts[1]) }
        }
        return kv
    }
    func s(_ v: String?) -> String { String(format: "%.2f s", Double(v ?? "") ?? .nan) }
    func mib(_ v: String?) -> String { String(format: "%.0f MiB", Double(v ?? "") ?? .nan) }
    let lint = child("lint")
    line("lint-equivalent parse, 50 MB (\(lint["items"] ?? "?") items)", "\(s(lint["parse"])), peak RSS \(mib(lint["rss"]))", goal: "goal ≤ 2 s, ≤ 300 MB")
    let initFigures = child("init")
    line("derive of 50 MB (after its parse)", "\(s(initFigures["derive"])), peak RSS \(mib(initFigures["rss"]))", goal: "init --from goal ≤ 4 s")
}

// 7. Many writers: 1, 4 and 16 writers (threads, each its own JournalWriter and descriptors, so they contend for the
// append lock exactly as processes do) appending at once: throughput and acknowledgement latency (lock wait, catch-up
// on the others' lines, write, fsync, head).
func benchConcurrentWriters(base: String, items: [Item]) {
    for writers in [1, 4, 16] {
        do {
            let dir = base + "/writers-\(writers)"
            let first = try JournalWriter.open(stateDir: dir, actor: "w0", now: 0)
            try first.append(.runStarted(RunStarted(checklist: "big.md", checklistSHA256: "00", items: items.count, host: "bench", pid: getpid())),
                             actor: "w0", time: 1_795_424_400_000)
            first.close()
            let each = 1600 / writers
            final class Box: @unchecked Sendable { var lat: [UInt64] = []; var errors: [String] = [] }
            let box = Box()
            let lock = NSLock()
            let group = DispatchGroup()
            let start = nowNS()
            for w in 0..<writers {
                group.enter()
                Thread {
                    defer { group.leave() }
                    var mine: [UInt64] = []
                    do {
                        let writer = try JournalWriter.open(stateDir: dir, actor: "w\(w)", now: 0)
                        defer { writer.close() }
                        writer.lockWaitMs = 10_000
                        for i in 0..<each {
                            let t = nowNS()
                            try writer.append(.itemSet(ItemSet(id: items[(w * each + i) % items.count].id, status: .done, note: "w\(w) \(i)")),
                                              actor: "w\(w)", time: 1_795_424_400_000 + Int64(i))
                            mine.append(nowNS() - t)
                        }
                    } catch {
                        lock.lock(); box.errors.append("\(error)"); lock.unlock()
                    }
                    lock.lock(); box.lat += mine; lock.unlock()
                }.start()
            }
            group.wait()
            let elapsed = nowNS() - start
            guard box.errors.isEmpty else { print("writers benchmark (\(writers)) failed: \(box.errors[0])"); continue }
            let verified = try Journal.replay(stateDir: dir).lineCount
            precondition(verified == 1 + writers * each, "lost appends: \(verified)")
            let rate = Double(box.lat.count) / (Double(elapsed) / 1e9)
            line("append, \(writers) concurrent writer\(writers == 1 ? "" : "s") (\(box.lat.count) entries)",
                 String(format: "%.0f/s, ", rate) + "p50 \(ms(percentile(box.lat, 0.5))), p99 \(ms(percentile(box.lat, 0.99)))",
                 goal: writers == 4 ? "goal p99 ≤ 10 ms" : "")
            line("", "p99.9 \(ms(percentile(box.lat, 0.999))), max \(ms(box.lat.max() ?? 0))", goal: "")
        } catch {
            print("writers benchmark (\(writers)) failed: \(error)")
        }
    }
}
benchConcurrentWriters(base: base, items: parsed.items)
