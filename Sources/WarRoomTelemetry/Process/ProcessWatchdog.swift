import Subprocess

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(System)
import System
#else
import SystemPackage
#endif

// MARK: - Lock

/// A minimal mutex-protected box (no Foundation, no Synchronization availability constraints).
final class ProcessLockedBox<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

// MARK: - Timeout watchdog

/// Ends the child's process group at the deadline, or when the calling task is cancelled:
/// SIGTERM to the group, polls until no member is running, SIGKILL to the group after `killGraceMs`,
/// then polls (bounded) until it is gone.
final class ProcessGroupWatchdog: Sendable {
    private struct State {
        var pgid: pid_t?
        var timer: Task<Void, Never>?
        var killer: Task<Void, Never>?
        var timedOut = false
        var cancelRequested = false
        var finished = false
    }
    private let state = ProcessLockedBox(State())

    /// Called once the child is spawned (its pid is its process group id).
    func arm(pgid: pid_t, deadline: ContinuousClock.Instant, clock: ContinuousClock) {
        let timer = Task.detached { [self] in
            do {
                try await Task.sleep(until: deadline, clock: clock)
            } catch {
                return  // the child was reaped before the deadline
            }
            self.trigger(timeout: true)
        }
        let cancelled = state.withLock { s -> Bool in
            s.pgid = pgid
            s.timer = timer
            return s.cancelRequested
        }
        if cancelled { trigger(timeout: false) }
    }

    /// The calling task was cancelled.
    func cancel() {
        let armed = state.withLock { s -> Bool in
            s.cancelRequested = true
            return s.pgid != nil
        }
        if armed { trigger(timeout: false) }
    }

    private func trigger(timeout: Bool) {
        state.withLock { s in
            // A leader that exited by itself before the deadline (not reaped yet) has not timed
            // out: its own status is reported, and its group is left alone as after any exit.
            guard !s.finished, s.killer == nil, let pgid = s.pgid, !Self.leaderHasExited(pgid) else { return }
            s.timedOut = timeout
            s.killer = Task.detached { await Self.killGroup(pgid) }
        }
    }

    /// Whether `arm` was called, i.e. the child was spawned.
    var wasArmed: Bool { state.withLock { $0.pgid != nil } }

    /// After the leader has been reaped: stops the timer; if the group was being killed, waits until
    /// that has finished. Returns whether the timeout fired.
    func finish() async -> Bool {
        let (timer, killer, timedOut) = state.withLock { s in
            s.finished = true
            return (s.timer, s.killer, s.timedOut)
        }
        timer?.cancel()
        await killer?.value
        return timedOut
    }

    /// Peeks (without reaping) whether our child `pid` has exited or already been reaped.
    private static func leaderHasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else {
            return errno == ECHILD
        }
        #if canImport(Glibc)
        return info._sifields._sigchld.si_pid != 0
        #else
        return info.si_pid != 0
        #endif
    }

    /// Whether any process of the group is still running. Zombies do not count: an orphaned
    /// grandchild that has died may wait a while for init (or a container's PID 1) to reap it,
    /// and `kill(-pgid, 0)` still succeeds for it.
    static func groupExists(_ pgid: pid_t) -> Bool {
        if kill(-pgid, 0) != 0 && errno == ESRCH { return false }
        #if os(Linux)
        if let live = ProcStat.groupHasLiveMember(pgid) { return live }
        #endif
        return true
    }

    private static func killGroup(_ pgid: pid_t) async {
        guard pgid > 1 else { return }
        let clock = ContinuousClock()
        _ = kill(-pgid, SIGTERM)
        let graceEnd = clock.now + .milliseconds(ProcessRunner.killGraceMs)
        while groupExists(pgid) && clock.now < graceEnd {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard groupExists(pgid) else { return }
        _ = kill(-pgid, SIGKILL)
        // SIGKILL cannot be caught; wait (bounded) until the kernel has removed the group,
        // which for the leader means swift-subprocess has reaped it.
        let killEnd = clock.now + .seconds(2)
        while groupExists(pgid) && clock.now < killEnd {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

#if os(Linux)
/// Just enough of /proc to tell a running process from a zombie.
enum ProcStat {
    /// `(state, pgrp)` from /proc/<pid>/stat, or nil if the process is gone.
    static func stat(_ pid: pid_t) -> (state: UInt8, pgrp: pid_t)? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 512) { buffer in
            let count = read(fd, buffer.baseAddress, buffer.count)
            guard count > 0 else { return nil }
            // "pid (comm) S ppid pgrp ..."; comm may contain spaces and parentheses.
            var i = count - 1
            while i >= 0 && buffer[i] != UInt8(ascii: ")") { i -= 1 }
            guard i >= 0, i + 3 < count else { return nil }
            let state = buffer[i + 2]
            var j = i + 4  // start of ppid
            while j < count && buffer[j] != UInt8(ascii: " ") { j += 1 }
            j += 1  // start of pgrp
            var pgrp: Int32 = 0
            var digits = 0
            while j < count, buffer[j] >= UInt8(ascii: "0"), buffer[j] <= UInt8(ascii: "9") {
                pgrp = pgrp &* 10 &+ Int32(buffer[j] - UInt8(ascii: "0"))
                j += 1
                digits += 1
            }
            return digits > 0 ? (state, pgrp) : nil
        }
    }

    /// Whether a process is running (exists and is not a zombie).
    static func isRunning(_ pid: pid_t) -> Bool {
        guard let info = stat(pid) else { return false }
        return info.state != UInt8(ascii: "Z") && info.state != UInt8(ascii: "X")
    }

    /// Whether a non-zombie process with this process group exists; nil if /proc is unreadable.
    static func groupHasLiveMember(_ pgid: pid_t) -> Bool? {
        guard let directory = opendir("/proc") else { return nil }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let pid = withUnsafeBytes(of: entry.pointee.d_name) { raw -> pid_t in
                var value: pid_t = 0
                for byte in raw {
                    if byte == 0 { break }
                    guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return 0 }
                    value = value &* 10 &+ pid_t(byte - UInt8(ascii: "0"))
                }
                return value
            }
            guard pid > 0, let info = stat(pid) else { continue }
            if info.pgrp == pgid && info.state != UInt8(ascii: "Z") && info.state != UInt8(ascii: "X") {
                return true
            }
        }
        return false
    }
}
#endif

