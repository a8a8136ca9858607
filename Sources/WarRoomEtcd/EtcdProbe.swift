import Foundation

extension EtcdClient {
    /// Reads `key` (a leader required) from every endpoint at once and returns the first answer; throws the most
    /// telling failure (no quorum over no answer over no connection) when none answered within `timeoutMs`. One
    /// probe costs at most `timeoutMs` however many members hang, where `range` tries them in turn (a timeout
    /// each): a follower's check of a silent watch says STORE UNREACHABLE within one deadline.
    public func probe(_ key: [UInt8]) throws(EtcdError) -> EtcdRange {
        final class Race: @unchecked Sendable {
            let lock = NSLock()
            let done = DispatchSemaphore(value: 0)
            var answer: EtcdRange?
            var failures: [EtcdError] = []
            var left: Int
            init(_ n: Int) { left = n }
            func finish(_ r: Result<EtcdRange, EtcdError>) {
                lock.lock()
                defer { lock.unlock() }
                switch r {
                case .success(let range): if answer == nil { answer = range }
                case .failure(let e): failures.append(e)
                }
                left -= 1
                if answer != nil && r.isSuccess || left == 0 { done.signal() }
            }
        }
        let endpoints = url.endpoints
        guard endpoints.count > 1 else { return try range(key) }
        var body = JSONOut()
        body.bytes("key", key)
        let request = body.done()
        let race = Race(endpoints.count)
        for e in endpoints {
            DispatchQueue.global().async { [self] in
                let r: Result<EtcdRange, EtcdError>
                do throws(EtcdError) {
                    let (v, at) = try call("/kv/range", request, only: e)
                    r = .success(try parseRange(v, endpoint: at, path: "/kv/range"))
                } catch {
                    r = .failure(error)
                }
                race.finish(r)
            }
        }
        // Each request has the client's deadline: the slack only covers a loaded machine's scheduling.
        _ = race.done.wait(timeout: .now() + .milliseconds(Int(timeoutMs) + 1_000))
        race.lock.lock()
        defer { race.lock.unlock() }
        if let answer = race.answer { return answer }
        var e = race.failures.first { $0.kind == .noQuorum } ?? race.failures.first { $0.kind == .timedOut } ?? race.failures.first
            ?? EtcdError(kind: .timedOut, endpoint: "", path: Self.apiPrefix + "/kv/range", message: "no answer in time")
        e.endpoint = endpoints.map(\.description).joined(separator: ",")
        e.message = race.failures.map { "\($0.endpoint): \($0.message)" }.joined(separator: "; ")
        if e.message.isEmpty { e.message = "no answer in time" }
        throw e
    }
}

private extension Result {
    var isSuccess: Bool { if case .success = self { return true } else { return false } }
}
