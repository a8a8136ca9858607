#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
#if os(Linux)
import Synchronization
#endif

/// Process-wide state read by signal handlers: plain machine words only, no allocation, no locks.
/// Every global here is touched by `SignalState.prime()` before any handler is installed, so a handler never
/// runs a lazy global initializer.
enum SignalState {
    static func prime() {
        _ = cursesActive
        _ = pendingSignal
        _ = wakeFD
    }

    static var isCursesActive: Bool { load(cursesActive) != 0 }
    static func setCursesActive(_ on: Bool) { store(cursesActive, on ? 1 : 0) }

    static func setPending(_ sig: Int32) { store(pendingSignal, sig) }
    static func takePending() -> Int32 { exchange(pendingSignal, 0) }

    static var wakeDescriptor: Int32 { load(wakeFD) }
    static func setWakeDescriptor(_ fd: Int32) { store(wakeFD, fd) }
    /// Clears the wake descriptor only if it is still `fd` (a Wakeup being destroyed).
    static func clearWakeDescriptor(ifEqual fd: Int32) { compareExchange(wakeFD, fd, -1) }
}

#if os(Linux)
// Lock-free 32-bit atomics (async-signal-safe).
private let cursesActive = Atomic<Int32>(0)
private let pendingSignal = Atomic<Int32>(0)
private let wakeFD = Atomic<Int32>(-1)

@inline(__always) private func load(_ a: borrowing Atomic<Int32>) -> Int32 { a.load(ordering: .sequentiallyConsistent) }
@inline(__always) private func store(_ a: borrowing Atomic<Int32>, _ v: Int32) { a.store(v, ordering: .sequentiallyConsistent) }
@inline(__always) private func exchange(_ a: borrowing Atomic<Int32>, _ v: Int32) -> Int32 {
    a.exchange(v, ordering: .sequentiallyConsistent)
}
@inline(__always) private func compareExchange(_ a: borrowing Atomic<Int32>, _ expected: Int32, _ v: Int32) {
    _ = a.compareExchange(expected: expected, desired: v, ordering: .sequentiallyConsistent)
}
#else
// Elsewhere (Synchronization needs macOS 15): aligned 32-bit words, the sig_atomic_t of C.
private final class Word: @unchecked Sendable { var value: Int32; init(_ v: Int32) { value = v } }
private let cursesActive = Word(0)
private let pendingSignal = Word(0)
private let wakeFD = Word(-1)
private func load(_ w: Word) -> Int32 { w.value }
private func store(_ w: Word, _ v: Int32) { w.value = v }
private func exchange(_ w: Word, _ v: Int32) -> Int32 { let old = w.value; w.value = v; return old }
private func compareExchange(_ w: Word, _ expected: Int32, _ v: Int32) { if w.value == expected { w.value = v } }
#endif
