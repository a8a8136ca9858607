import Foundation

/// Whether the store (etcd) is reachable, as the console's store calls see it, from any queue (the journal's appends
/// and catch-ups, the lease's heartbeats): one outage is said once, whichever call sees it first, and its end once,
/// at the first call that succeeds after it. A call that was sent before the store last answered and fails after it
/// (a request left in a stopped server's socket, timing out just after the store came back) says nothing about
/// the store now: it neither begins an outage nor hides the end of one.
final class StoreHealth: @unchecked Sendable {
    private let lock = NSLock()
    private var down: String?
    /// When (monotonic ns) the most recent successful call was sent.
    private var lastAnswerSent: UInt64 = 0

    /// Now, for `sent:` (monotonic ns).
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// A store call sent at `sent` failed with an outage: the text to say when this begins one, nil when one was
    /// already said or the store answered a later call.
    func failed(_ text: String, sent: UInt64) -> String? {
        lock.lock()
        defer { lock.unlock() }
        guard down == nil, sent >= lastAnswerSent else { return nil }
        down = text
        return text
    }

    /// A store call sent at `sent` succeeded: true when this ends an outage (say so once).
    func answered(sent: UInt64) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        lastAnswerSent = max(lastAnswerSent, sent)
        guard down != nil else { return false }
        down = nil
        return true
    }

    var isDown: Bool {
        lock.lock()
        defer { lock.unlock() }
        return down != nil
    }
}
