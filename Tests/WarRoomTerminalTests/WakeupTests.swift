import Foundation
import Testing
import WarRoomTerminal

@Suite struct WakeupTests {
    @Test func timeout() throws {
        let w = try Wakeup(inputFD: nil)
        let start = Date()
        #expect(w.wait(timeoutMs: 50) == .timeout)
        #expect(Date().timeIntervalSince(start) >= 0.04)
    }

    @Test func wakeFromAnotherThreadEndsWait() throws {
        let w = try Wakeup(inputFD: nil)
        let t = Thread { usleep(50_000); w.wake() }
        t.start()
        let start = Date()
        #expect(w.wait(timeoutMs: 5_000) == .ready(input: false, wakeup: true))
        #expect(Date().timeIntervalSince(start) < 4)
    }

    @Test func drainEmptiesThePipe() throws {
        let w = try Wakeup(inputFD: nil)
        for _ in 0..<1000 { w.wake() }
        #expect(w.wait(timeoutMs: 0) == .ready(input: false, wakeup: true))
        w.drain()
        #expect(w.wait(timeoutMs: 0) == .timeout)
        w.drain()  // draining an empty pipe does not block
    }

    @Test func manyWakesNeverBlock() throws {
        // More than a pipe holds (64 KiB): extra wakes are dropped, not blocking.
        let w = try Wakeup(inputFD: nil)
        for _ in 0..<100_000 { w.wake() }
        w.drain()
        #expect(w.wait(timeoutMs: 0) == .timeout)
    }

    @Test func inputDescriptorIsWatched() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let w = try Wakeup(inputFD: fds[0])
        #expect(w.wait(timeoutMs: 0) == .timeout)
        var b: UInt8 = 65
        _ = write(fds[1], &b, 1)
        #expect(w.wait(timeoutMs: 0) == .ready(input: true, wakeup: false))
    }

    @Test func signalWritesThePipeAndIsPending() throws {
        let w = try Wakeup(inputFD: nil)
        Signals.install(wakeup: w)
        #expect(Signals.takePending() == nil)
        defer { Signals.uninstall() }
        // The test's thread may block signals (Swift concurrency's pool does): unblock SIGHUP around raise().
        var one = sigset_t(), old = sigset_t()
        sigemptyset(&one)
        sigaddset(&one, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &one, &old)
        raise(SIGHUP)
        pthread_sigmask(SIG_SETMASK, &old, nil)
        #expect(w.wait(timeoutMs: 1_000) == .ready(input: false, wakeup: true))
        #expect(Signals.takePending() == SIGHUP)
        #expect(Signals.takePending() == nil)
    }

    @Test func redirectStderr() throws {
        let path = NSTemporaryDirectory() + "warroom-stderr-\(getpid()).log"
        defer { unlink(path) }
        let saved = dup(2)
        defer { dup2(saved, 2); close(saved) }
        try ErrorLog.redirectStderr(to: path)
        let msg = "stray\n"
        _ = msg.withCString { write(2, $0, strlen($0)) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "stray\n")
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
    }
}
