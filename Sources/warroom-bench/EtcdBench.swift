import Foundation
import WarRoomCore
import WarRoomEtcd
import WarRoomStore

/// Append latency on etcd beside the file store: `appends` appends of `item.set` by one writer (each one txn,
/// acknowledged once committed by a quorum), on a single member and on a three-member cluster on loopback, every
/// member's data on the real disk under `base`. etcd is started here and killed at the end.
func benchEtcd(base: String, items: [String], appends: Int = 1_000) {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/etcd") else {
        print("etcd benchmark skipped: /usr/bin/etcd is missing (scripts/deps etcd)")
        return
    }
    func measure(_ name: String, _ op: (Int) throws -> Void) throws {
        for i in 0..<20 { try op(-1 - i) }  // warm: connections, the first txns
        var lat: [UInt64] = []
        for i in 0..<appends {
            let t = nowNS()
            try op(i)
            lat.append(nowNS() - t)
        }
        line(name, "p50 \(ms(percentile(lat, 0.5))), p99 \(ms(percentile(lat, 0.99)))", goal: "")
    }
    let body = { (i: Int) -> EventBody in .itemSet(ItemSet(id: items[abs(i) % items.count], status: i % 2 == 0 ? .done : .open, note: "bench \(i)")) }
    let start = RunStarted(checklist: "big.md", checklistSHA256: "00", items: items.count, host: "bench", pid: getpid())

    do {
        let w = try JournalWriter.open(stateDir: base + "/file", actor: "bench", now: 0)
        try w.append(.runStarted(start), actor: "bench", time: 1_795_424_400_000)
        try measure("file store: append+fsync (\(appends))") { i in try w.append(body(i), actor: "bench", time: 1_795_424_400_000 + Int64(i + 100)) }
        w.close()
    } catch { print("file store benchmark failed: \(error)") }

    for size in [1, 3] {
        let cluster = BenchCluster(root: base + "/etcd\(size)", size: size)
        defer { cluster.stop() }
        guard cluster.waitReady() else { print("etcd \(size)-member cluster did not start (logs under \(cluster.root))"); continue }
        do {
            let j = try EtcdJournal.open(url: cluster.url, actor: "bench", now: 0)
            try j.append(.runStarted(start), actor: "bench", time: 1_795_424_400_000)
            try measure("etcd \(size == 1 ? "single member" : "3 members, loopback"): append (\(appends) txns)") { i in
                try j.append(body(i), actor: "bench", time: 1_795_424_400_000 + Int64(i + 100))
            }
            let tail = EtcdTail(url: cluster.url)
            _ = try tail.poll()
            let idle = time(200) { _ = try? tail.poll() }
            line("etcd \(size == 1 ? "1 member" : "3 members"): follower poll, idle", "p50 \(ms(percentile(idle, 0.5))), p99 \(ms(percentile(idle, 0.99)))", goal: "")
            benchFollower(cluster: cluster, writer: j, body: body, label: size == 1 ? "1 member" : "3 members")
        } catch {
            print("etcd \(size)-member benchmark failed: \(error)")
        }
    }
}

/// etcd members on 127.0.0.1 (ports from 32379 up, chosen free), killed by `stop()`.
final class BenchCluster {
    let root: String
    var processes: [Process] = []
    var clientPorts: [UInt16] = []
    var url: EtcdURL { EtcdURL(endpoints: clientPorts.map { EtcdURL.Endpoint(host: "127.0.0.1", port: $0) }, prefix: "bench/\(getpid())") }

    init(root: String, size: Int) {
        self.root = root
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let ports = (0..<(2 * size)).map { _ in benchFreePort() }
        clientPorts = Array(ports[0..<size])
        let peers = Array(ports[size...])
        let initial = (0..<size).map { "m\($0)=http://127.0.0.1:\(peers[$0])" }.joined(separator: ",")
        for k in 0..<size {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/etcd")
            p.arguments = ["--name", "m\(k)", "--data-dir", "\(root)/m\(k)",
                           "--listen-client-urls", "http://127.0.0.1:\(clientPorts[k])", "--advertise-client-urls", "http://127.0.0.1:\(clientPorts[k])",
                           "--listen-peer-urls", "http://127.0.0.1:\(peers[k])", "--initial-advertise-peer-urls", "http://127.0.0.1:\(peers[k])",
                           "--initial-cluster", initial, "--initial-cluster-state", "new", "--logger", "zap", "--log-outputs", "\(root)/m\(k).log"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            do { try p.run(); processes.append(p) } catch { print("cannot start etcd: \(error)") }
        }
    }

    func waitReady() -> Bool {
        let client = EtcdClient(url: url, timeoutMs: 500)
        let deadline = Date().addingTimeInterval(20)
        var last = "no answer"
        while Date() < deadline {
            do {
                if try client.status().leader != 0 {
                    try client.put(Array("bench/ready".utf8), [1])
                    return true
                }
                last = "no leader yet"
            } catch { last = "\(error)" }
            usleep(100_000)
        }
        print("etcd under \(root): \(last)")
        return false
    }

    func stop() {
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        processes = []
        try? FileManager.default.removeItem(atPath: root)
    }
}

func benchFreePort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return UInt16(bigEndian: addr.sin_port)
}

/// A follower's lag and idle cost: with the watch (`EtcdTailWatcher`), from the moment an append is sent to the
/// follower having it, verified (p50/p99 over 300 appends); and over `idleSeconds` with nothing appended, the CPU
/// this process and the etcd members spend on one follower with the watch open, beside the polling follower it
/// replaced (a look at the journal and one read of the view, four times a second).
func benchFollower(cluster: BenchCluster, writer: EtcdJournal, body: (Int) -> EventBody, label: String, appends: Int = 300, idleSeconds: Double = 10) {
    final class Arrivals: @unchecked Sendable {
        let lock = NSLock()
        var at: [Int: UInt64] = [:]
        func put(_ seqs: [Int]) { let t = nowNS(); lock.lock(); for s in seqs { at[s] = t }; lock.unlock() }
        func get(_ seq: Int) -> UInt64? { lock.lock(); defer { lock.unlock() }; return at[seq] }
    }
    let tail = EtcdTail(url: cluster.url)
    do { _ = try tail.poll() } catch { print("follower benchmark: \(error)"); return }
    let arrivals = Arrivals()
    let watcher = EtcdTailWatcher(tail: tail, client: EtcdClient(url: cluster.url, timeoutMs: 2_000), keys: [Array((cluster.url.prefix + "/view").utf8)])
    watcher.start { u in if case .entries(let e) = u { arrivals.put(e.map(\.seq)) } }
    usleep(300_000)
    var lags: [UInt64] = []
    for i in 0..<appends {
        let t = nowNS()
        guard let e = try? writer.append(body(i), actor: "bench", time: 1_795_424_500_000 + Int64(i)) else { continue }
        let deadline = t + 5_000_000_000
        while arrivals.get(e.seq) == nil, nowNS() < deadline { usleep(100) }
        if let a = arrivals.get(e.seq) { lags.append(a - t) }
    }
    // Lag: from the append sent to the follower having it (verified), \(appends) appends.
    line("etcd \(label): follower lag by watch", "p50 \(ms(percentile(lags, 0.5))), p99 \(ms(percentile(lags, 0.99)))", goal: "≤ 1 s")
    let members = cluster.processes.map(\.processIdentifier)
    func cpu() -> (own: Double, etcd: Double) { (ownCPU(), members.map(processCPU).reduce(0, +)) }
    let w0 = cpu()
    usleep(UInt32(idleSeconds * 1_000_000))
    let w1 = cpu()
    watcher.stop()
    // The polling follower (before the watch): four looks a second, each the journal's tip and the view.
    let pollTail = EtcdTail(url: cluster.url)
    _ = try? pollTail.poll()
    let client = EtcdClient(url: cluster.url, timeoutMs: 2_000)
    let view = Array((cluster.url.prefix + "/view").utf8)
    final class Flag: @unchecked Sendable {
        var stop = false
        let tail: EtcdTail
        init(_ tail: EtcdTail) { self.tail = tail }
    }
    let flag = Flag(pollTail)
    let done = DispatchSemaphore(value: 0)
    let poller = Thread {
        while !flag.stop {
            _ = try? flag.tail.poll()
            _ = try? client.range(view)
            usleep(250_000)
        }
        done.signal()
    }
    poller.start()
    usleep(300_000)
    let p0 = cpu()
    usleep(UInt32(idleSeconds * 1_000_000))
    let p1 = cpu()
    flag.stop = true
    done.wait()
    func perSecond(_ a: Double, _ b: Double) -> String { String(format: "%.2f ms/s", (b - a) * 1000 / idleSeconds) }
    // Idle CPU of the follower's process, and (in parentheses) of the etcd members serving it.
    line("etcd \(label): idle follower CPU, watch", "\(perSecond(w0.own, w1.own)) (etcd \(perSecond(w0.etcd, w1.etcd)))", goal: "")
    line("etcd \(label): idle follower CPU, polling 4/s", "\(perSecond(p0.own, p1.own)) (etcd \(perSecond(p0.etcd, p1.etcd)))", goal: "")
}

/// This process's CPU seconds (user + system), to the microsecond.
func ownCPU() -> Double {
    var u = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}

/// CPU seconds (user + system) a process has used so far, in clock ticks (0 if it cannot be read).
func processCPU(_ pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return 0 }
    let f = stat[stat.index(after: close)...].split(separator: " ")
    guard f.count > 13, let u = Double(f[11]), let s = Double(f[12]) else { return 0 }
    return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
