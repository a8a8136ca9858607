#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Processes a child left running after it ended: a hook's background job, or one that escaped its process group
/// (and the group kill) with `setsid`. The runner marks each child it tracks with a tag in its environment
/// (`WARROOM_PROCESS_TAG`), which every descendant inherits wherever it moves (another session, re-parented to
/// init); after the child is reaped, the processes still carrying the tag are ended (TERM, then KILL) and reported
/// by pid. A descendant that empties its own environment (`env -i`) cannot be found this way.
public struct LeftBehindProcess: Sendable, Equatable {
    public var pid: Int32
    /// The program's name (`/proc/PID/comm`).
    public var name: String
    /// It had left the child's process group (`setsid`, `setpgid`): the group kill never reached it.
    public var escapedGroup: Bool
    /// It was still running after TERM and the grace, and got KILL.
    public var killed: Bool

    public init(pid: Int32, name: String, escapedGroup: Bool, killed: Bool = false) {
        self.pid = pid
        self.name = name
        self.escapedGroup = escapedGroup
        self.killed = killed
    }
}

enum LeftBehind {
    static let variable = "WARROOM_PROCESS_TAG"

    /// A tag no other run of this process shares.
    static func newTag() -> String {
        var bytes = [UInt8](repeating: 0, count: 8)
        for k in bytes.indices { bytes[k] = UInt8.random(in: 0...255) }
        return "\(getpid())-" + bytes.map { String($0, radix: 16) }.joined()
    }

    /// The live processes (not zombies, not this one) whose environment carries `tag`.
    static func find(tag: String, group: pid_t) -> [LeftBehindProcess] {
        let needle = Array("\(variable)=\(tag)".utf8)
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var found: [LeftBehindProcess] = []
        let me = getpid()
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard let pid = Int32(name), pid != me else { continue }
            guard let environ = readAll("/proc/\(pid)/environ"), contains(environ, entry: needle) else { continue }
            guard let stat = readAll("/proc/\(pid)/stat"), let fields = statFields(stat), fields.state != UInt8(ascii: "Z") else { continue }
            let comm = readAll("/proc/\(pid)/comm").map { String(decoding: $0, as: UTF8.self) } ?? "?"
            found.append(LeftBehindProcess(pid: pid, name: comm.trimmingTrailingNewline(), escapedGroup: fields.pgrp != group))
        }
        return found.sorted { $0.pid < $1.pid }
    }

    /// Ends what `find` found: TERM to each, up to `graceMs` for them to go, then KILL to the rest.
    static func end(_ left: [LeftBehindProcess], graceMs: Int64) async -> [LeftBehindProcess] {
        guard !left.isEmpty else { return [] }
        for p in left { kill(p.pid, SIGTERM) }
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(graceMs)
        var alive = left
        while !alive.isEmpty, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
            alive = alive.filter(isRunning)
        }
        let killed = Set(alive.map(\.pid))
        for p in alive { kill(p.pid, SIGKILL) }
        // KILL is delivered asynchronously: wait (bounded) until they are gone, so "ended" is true when said.
        let killDeadline = clock.now + .seconds(1)
        while !alive.isEmpty, clock.now < killDeadline {
            try? await Task.sleep(for: .milliseconds(10))
            alive = alive.filter(isRunning)
        }
        return left.map { var p = $0; p.killed = killed.contains(p.pid); return p }
    }

    /// Still there and not a zombie (kill(pid, 0) also succeeds for a zombie, and for a pid reused meanwhile: the
    /// state is read from /proc).
    static func isRunning(_ p: LeftBehindProcess) -> Bool {
        guard let stat = readAll("/proc/\(p.pid)/stat"), let f = statFields(stat) else { return false }
        return f.state != UInt8(ascii: "Z")
    }

    /// One line for a hook's summary: "left pid 4242 (sleep) running outside its process group: ended it".
    static func describe(_ left: [LeftBehindProcess]) -> String {
        let each = left.map { p in
            "pid \(p.pid) (\(p.name))" + (p.escapedGroup ? " outside its process group" : "") + (p.killed ? ", killed" : "")
        }
        return "left \(each.joined(separator: ", ")) running after it ended: ended"
    }

    private static func contains(_ environ: [UInt8], entry: [UInt8]) -> Bool {
        var start = 0
        while start < environ.count {
            var end = start
            while end < environ.count, environ[end] != 0 { end += 1 }
            if end - start == entry.count, environ[start..<end].elementsEqual(entry) { return true }
            start = end + 1
        }
        return false
    }

    /// State and process group from /proc/PID/stat: "pid (comm) S ppid pgrp …"; comm may hold spaces and ')'.
    private static func statFields(_ stat: [UInt8]) -> (state: UInt8, pgrp: pid_t)? {
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let rest = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard rest.count >= 4, let state = rest[0].first, let pgrp = Int32(String(decoding: rest[2], as: UTF8.self)) else { return nil }
        return (state, pgrp)
    }

    private static func readAll(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            out += buf[0..<n]
            if out.count > 1 << 20 { break }
        }
        return out
    }
}

private extension String {
    func trimmingTrailingNewline() -> String {
        var s = self
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}
