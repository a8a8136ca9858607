import Foundation

/// The threads requests run on: a job gets a parked worker when one is idle, else a new thread, so a request never
/// waits behind another (a hung one holds its worker until its deadline). Idle workers park on a condition variable
/// (no timer, no CPU); beyond `maxIdle` they end.
final class SocketHTTPWorkers: @unchecked Sendable {
    static let shared = SocketHTTPWorkers()
    /// Parked workers kept for the next requests (sources polled together start their requests together).
    static let maxIdle = 64

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    /// Parked workers not yet claimed by a job.
    private var idle = 0
    /// Claims made by `run` on parked workers, not yet taken up by one of them.
    private var wakes = 0

    func run(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        let spawn: Bool
        if idle > 0 {
            idle -= 1
            wakes += 1
            condition.signal()
            spawn = false
        } else {
            spawn = true
        }
        condition.unlock()
        if spawn {
            let thread = Thread { [self] in work() }
            thread.name = "warroom.http"
            thread.stackSize = 1 << 20  // getaddrinfo (NSS) wants more than a tiny stack
            thread.start()
        }
    }

    private func work() {
        SocketHTTPSys.blockSIGPIPEOnThisThread()
        condition.lock()
        while true {
            if head < jobs.count {
                let job = jobs[head]
                head += 1
                if head == jobs.count {
                    jobs.removeAll(keepingCapacity: true)
                    head = 0
                }
                condition.unlock()
                job()
                condition.lock()
                continue
            }
            if idle >= Self.maxIdle { break }
            idle += 1
            while wakes == 0 { condition.wait() }
            wakes -= 1
        }
        condition.unlock()
    }
}
