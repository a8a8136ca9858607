import CNCurses
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What `Wakeup.wait` saw.
public enum WaitResult: Sendable, Equatable {
    /// Nothing happened within the timeout.
    case timeout
    /// A signal interrupted the wait (SIGWINCH on resize: read keys, curses reports `.resize`).
    case interrupted
    /// `input`: the terminal has bytes to read; `wakeup`: `wake()` was called (drain, then look at the queue).
    case ready(input: Bool, wakeup: Bool)
    /// The input descriptor hung up or failed: stop reading it (SIGHUP normally follows).
    case hangup
}

/// A self-pipe: other threads and signal handlers `wake()` the UI loop, which sleeps in `wait` (poll on the
/// terminal and the pipe) instead of busy-waiting.
public final class Wakeup: @unchecked Sendable {
    /// The pipe's read end (non-blocking, close-on-exec).
    public let readFD: Int32
    /// The pipe's write end (non-blocking, close-on-exec).
    public let writeFD: Int32
    /// The descriptor watched besides the pipe (0, the terminal), or nil to watch only the pipe.
    public let inputFD: Int32?

    public init(inputFD: Int32? = 0) throws {
        var fds: [Int32] = [-1, -1]
        #if os(Linux)
        guard wr_pipe2(&fds, O_CLOEXEC | O_NONBLOCK) == 0 else { throw TerminalError.system("pipe2", errno) }
        #else
        guard pipe(&fds) == 0 else { throw TerminalError.system("pipe", errno) }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        #endif
        readFD = fds[0]
        writeFD = fds[1]
        self.inputFD = inputFD
    }

    deinit {
        SignalState.clearWakeDescriptor(ifEqual: writeFD)
        close(readFD)
        close(writeFD)
    }

    /// Wakes `wait`. Thread-safe and async-signal-safe (one `write` of one byte; a full pipe is already awake).
    public func wake() {
        wakeupWrite(writeFD)
    }

    /// Empties the pipe (call after `wait` reports `wakeup`).
    public func drain() {
        var scratch = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while true {
            let n = withUnsafeMutableBytes(of: &scratch) { read(readFD, $0.baseAddress, $0.count) }
            if n > 0 { continue }
            if n < 0 && errno == EINTR { continue }
            return
        }
    }

    /// Sleeps until the terminal has input, `wake()` is called, a signal arrives, or `timeoutMs` passes
    /// (-1: no timeout). Does not drain the pipe.
    public func wait(timeoutMs: Int32) -> WaitResult {
        var fds = [pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)]
        if let inputFD { fds.append(pollfd(fd: inputFD, events: Int16(POLLIN), revents: 0)) }
        let n = poll(&fds, nfds_t(fds.count), timeoutMs)
        if n < 0 { return errno == EINTR ? .interrupted : .hangup }
        if n == 0 { return .timeout }
        let wakeup = fds[0].revents & Int16(POLLIN) != 0
        var input = false
        if fds.count > 1 {
            let r = fds[1].revents
            if r & Int16(POLLIN) != 0 { input = true } else if r & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                return .hangup
            }
        }
        return .ready(input: input, wakeup: wakeup)
    }
}

/// One byte to the pipe, keeping errno (callable from a signal handler).
@inline(__always) func wakeupWrite(_ fd: Int32) {
    guard fd >= 0 else { return }
    let saved = errno
    var byte: UInt8 = 1
    while write(fd, &byte, 1) < 0 && errno == EINTR {}
    errno = saved
}
