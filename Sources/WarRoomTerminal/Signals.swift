import CNCurses
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Signal handling for the console. Handlers only store the signal number and write a byte to the wake-up pipe;
/// the UI loop calls `takePending()` after `Wakeup.wait` returns and shuts down in its own time.
public enum Signals {
    /// The signals that ask the console to quit.
    public static let quitSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM]
    /// Crash signals: the terminal is restored (endwin), then the signal goes on to the previous handler (the
    /// Swift runtime's backtracer, or the default action) so the process still dies of it.
    public static let crashSignals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP]

    /// Installs the handlers (idempotent; a later call only changes the pipe that is woken). SIGPIPE is ignored.
    /// Call on the UI thread, before or after `Terminal.start`.
    /// - Parameter keepRuntimeBacktrace: after restoring the terminal, a crash signal goes on to the handler that
    ///   was there before (the Swift runtime's backtracer, which prints a backtrace and, on a tty, may offer an
    ///   interactive prompt per `SWIFT_BACKTRACE`) instead of straight to the default action. Either way the
    ///   process dies of the signal.
    public static func install(wakeup: Wakeup, keepRuntimeBacktrace: Bool = true) {
        SignalState.prime()
        chainCrashes = keepRuntimeBacktrace
        SignalState.setWakeDescriptor(wakeup.writeFD)
        _ = wr_unblock_console_signals()
        guard !installed else { return }
        installed = true
        for sig in quitSignals where sig < savedCapacity {
            _ = wr_sigaction(sig, quitHandler, wr_sa_restart(), savedQuitActions + Int(sig))
        }
        _ = wr_signal_ignore(SIGPIPE)
        installAlternateStack()
        let saved = savedCrashActions ?? {
            let p = UnsafeMutablePointer<sigaction>.allocate(capacity: savedCapacity)
            p.initialize(repeating: sigaction(), count: savedCapacity)
            return p
        }()
        savedCrashActions = saved
        for sig in crashSignals where sig < savedCapacity {
            _ = wr_sigaction(sig, crashHandler, wr_sa_resethand() | wr_sa_nodefer() | Int32(SA_ONSTACK),
                             saved + Int(sig))
        }
    }

    /// Puts back the actions `install` replaced (SIGPIPE stays ignored) and forgets the pipe.
    public static func uninstall() {
        guard installed else { return }
        installed = false
        for sig in quitSignals where sig < savedCapacity { _ = wr_sigaction_set(sig, savedQuitActions + Int(sig)) }
        if let saved = savedCrashActions {
            for sig in crashSignals where sig < savedCapacity { _ = wr_sigaction_set(sig, saved + Int(sig)) }
        }
        SignalState.setWakeDescriptor(-1)
    }

    /// The quit signal received since the last call (SIGINT, SIGTERM or SIGHUP), if any.
    public static func takePending() -> Int32? {
        let sig = SignalState.takePending()
        return sig == 0 ? nil : sig
    }

    nonisolated(unsafe) private static var installed = false

    /// An alternate stack so a stack overflow (SIGSEGV) can still run the crash handler.
    private static func installAlternateStack() {
        var current = stack_t()
        guard sigaltstack(nil, &current) == 0, current.ss_flags & Int32(SS_DISABLE) != 0 else { return }
        let size = 64 * 1024
        guard let memory = malloc(size) else { return }
        var stack = stack_t()
        stack.ss_sp = memory
        stack.ss_size = size
        stack.ss_flags = 0
        if sigaltstack(&stack, nil) != 0 { free(memory) }
    }
}

private let savedCapacity = 65
/// The actions the crash handlers replaced, indexed by signal number (written once before installing).
nonisolated(unsafe) private var chainCrashes = true
/// The actions the quit handlers replaced.
nonisolated(unsafe) private let savedQuitActions: UnsafeMutablePointer<sigaction> = {
    let p = UnsafeMutablePointer<sigaction>.allocate(capacity: savedCapacity)
    p.initialize(repeating: sigaction(), count: savedCapacity)
    return p
}()
nonisolated(unsafe) private var savedCrashActions: UnsafeMutablePointer<sigaction>? = nil

private func quitHandler(_ sig: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?) {
    SignalState.setPending(sig)
    wakeupWrite(SignalState.wakeDescriptor)
}

private func crashHandler(_ sig: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?) {
    if SignalState.isCursesActive {
        SignalState.setCursesActive(false)
        endwin()  // not async-signal-safe on paper; accepted practice to give the user their terminal back
        BracketedPaste.disableFromSignalHandler()
    }
    // SA_RESETHAND already put back the default action; prefer whatever was there before us.
    if chainCrashes, let saved = savedCrashActions, sig < savedCapacity {
        _ = wr_sigaction_set(sig, saved + Int(sig))
    } else {
        _ = wr_signal_default(sig)
    }
    // A fault raised by the kernel (si_code > 0) recurs when the instruction re-executes, now reaching the
    // previous handler with the real context. Sent signals, abort() and breakpoints are re-raised.
    if sig == SIGTRAP || sig == SIGABRT || wr_si_code(info) <= 0 {
        raise(sig)
    }
}
