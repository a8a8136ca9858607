import Foundation

/// A thread of the stack demo's own (the load generator, the share meter): `start` runs the body on it, the body
/// checks `isStopping` to end, and `stop` asks it to and waits for it (at most `waitSeconds`). Safe to stop twice, or
/// before a start.
final class StackThread: @unchecked Sendable {
    let name: String
    let waitSeconds: Double
    private let lock = NSLock()
    private var started = false
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    init(name: String, waitSeconds: Double) {
        self.name = name
        self.waitSeconds = waitSeconds
    }

    var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    func start(_ body: @escaping @Sendable () -> Void) {
        lock.lock()
        started = true
        lock.unlock()
        let t = Thread { [finished] in
            body()
            finished.signal()
        }
        t.name = name
        t.start()
    }

    func stop() {
        lock.lock()
        let wait = started && !stopping
        stopping = true
        lock.unlock()
        if wait { _ = finished.wait(timeout: .now() + waitSeconds) }
    }
}
