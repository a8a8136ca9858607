#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import WarRoomCore

/// The append lock of a state directory: `flock(LOCK_EX)` on `DIR/append.lock`, held by a writer only for one
/// append (catch up, validate, write, fsync, head) or one change to the driver lease, never for a writer's
/// life. The kernel drops it when its holder dies. The holder writes who it is into the file (no fsync: it
/// only names the holder for the error a waiting writer gives up with).
final class AppendLock {
    static let fileName = "append.lock"
    static let leaseLockName = "lease.lock"
    static let recordSize = 256
    static let host = String(FileIO.hostName().prefix(64))

    let path: String
    let dir: String
    private(set) var fd: Int32
    private(set) var held = false

    /// `name`: `append.lock`, or `lease.lock` for changes to the driver lease.
    init(stateDir: String, name: String = AppendLock.fileName) throws(SysError) {
        dir = stateDir
        path = Journal.join(stateDir, name)
        fd = try FileIO.openOrCreate(path).fd
    }

    deinit { close() }

    func close() {
        if fd >= 0 { FileIO.closeFD(fd); fd = -1 }
        held = false
    }

    /// Takes the lock, waiting at most `waitMs`: then throws `AppendLockBusy` naming the holder when it is known.
    func acquire(actor: String, waitMs: Int) throws {
        precondition(!held, "append lock taken twice")
        guard fd >= 0 else { throw JournalError(path: path, message: "journal writer is closed") }
        let start = monotonicMs()
        var pause: UInt32 = 50 // µs, doubling to 1 ms
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            if e == EINTR { continue }
            guard e == EWOULDBLOCK || e == EAGAIN else { throw SysError(op: "flock", path: path, code: e).journalError() }
            let waited = monotonicMs() - start
            if waited >= Int64(waitMs) { throw busy(waitedMs: waited) }
            usleep(pause)
            pause = min(pause * 2, 1000)
        }
        held = true
        var info = Array(#"{"pid":\#(getpid()),"actor":"#.utf8)
        appendJSONString(String(actor.prefix(64)), to: &info)
        info.append(contentsOf: #","host":"#.utf8)
        appendJSONString(Self.host, to: &info)
        info.append(contentsOf: #","since":"\#(Timestamp.iso8601(wallClockMs()))"}"#.utf8)
        if info.count < Self.recordSize - 1 {
            info.append(contentsOf: repeatElement(UInt8(ascii: " "), count: Self.recordSize - 1 - info.count))
        }
        info.append(0x0A)
        // Best effort: a holder record that cannot be written only makes a waiting writer's error vaguer.
        try? FileIO.pwriteAll(fd, info, at: 0, path: path)
    }

    func release() {
        guard held else { return }
        held = false
        _ = flock(fd, LOCK_UN)
    }

    private func busy(waitedMs: Int64) -> AppendLockBusy {
        var holder = LockHeld(dir: dir, pid: nil, actor: nil, host: nil, since: nil)
        if let bytes = try? FileIO.readAll(fd, path: path), let v = parseJSON(Array(bytes.prefix(Self.recordSize))), case .object = v {
            holder = LockHeld(dir: dir, pid: v["pid"]?.int.flatMap { Int32(exactly: $0) }, actor: v["actor"]?.string,
                              host: v["host"]?.string, since: v["since"]?.string)
        }
        return AppendLockBusy(path: path, waitedMs: Int(waitedMs), holder: holder)
    }
}

/// A writer gave up waiting for the append lock: another writer held it the whole time (a stuck process, or a
/// disk so slow that one append takes seconds). Nothing was written.
public struct AppendLockBusy: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var waitedMs: Int
    /// What the holder wrote into the lock file; its fields are nil when it could not be read.
    public var holder: LockHeld

    public var description: String {
        var who = holder.actor ?? "another writer"
        var details: [String] = []
        if let pid = holder.pid { details.append("pid \(pid)" + (holder.host.map { " on \($0)" } ?? "")) }
        if let since = holder.since { details.append("holding it since \(since)") }
        if !details.isEmpty { who += " (\(details.joined(separator: ", ")))" }
        return "\(path): the journal's append lock is still held by \(who) after waiting \(waitedMs) ms; nothing was written"
    }
}

func monotonicMs() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

func wallClockMs() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
