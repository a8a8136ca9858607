import Foundation
import WarRoomCore
import WarRoomTelemetry

/// Delivers the engine's `.notify` to every `notify:` target, off the screen thread and off the journal's queue:
/// each (target, message) is its own job on a concurrent queue, retried with exponential backoff (`tries` attempts,
/// waiting `backoffMs`, 2×, 4×, … between them), so a slow or dead receiver never delays a decision or another
/// target. A message given up on answers `.notifyFailed` once (the engine counts it for the header and journals it).
///
/// Webhooks: `POST` of the `RunNotification` as JSON; Slack: `POST {"text": summary}`; both count a 2xx as delivered.
/// Commands: argv through `ProcessRunner` (no shell, the allow-list environment, its timeout), the message in
/// `WARROOM_NOTIFY_JSON`, `WARROOM_NOTIFY_TEXT` and `WARROOM_NOTIFY_EVENT`; exit 0 is delivered. URLs and tokens are
/// never logged or shown: a target is named by `NotifyTarget.label` (scheme and host only).
package final class Notifier: @unchecked Sendable {
    struct Resolved: Sendable {
        var target: NotifyTarget
        var url: String?
        var headers: [(String, String)]
        /// Why it cannot be used (its URL variable unset, its token file unreadable): each message fails at once.
        var problem: String?
    }

    let targets: [Resolved]
    private let children: ChildProcesses
    private let answer: @Sendable (Action) -> Void
    private let tries: Int
    private let backoffMs: Int64
    private let queue = DispatchQueue(label: "warroom.notify", attributes: .concurrent)
    private let http = BlockingHTTPClient()
    private let group = DispatchGroup()
    /// Test and benchmark hook: called with each delivery (target label, attempt) as it succeeds.
    package var delivered: (@Sendable (String, Int) -> Void)?

    package init(targets: [NotifyTarget], environment: [String: String], children: ChildProcesses, tries: Int = 5,
         backoffMs: Int64 = 2_000, answer: @escaping @Sendable (Action) -> Void) {
        self.targets = targets.map { Self.resolve($0, environment: environment) }
        self.children = children
        self.tries = max(1, tries)
        self.backoffMs = backoffMs
        self.answer = answer
    }

    /// The URL and bearer token, from the config, a variable or a file (read once, at start).
    static func resolve(_ t: NotifyTarget, environment: [String: String]) -> Resolved {
        var r = Resolved(target: t, url: nil, headers: [], problem: nil)
        func read(_ path: String) -> String? {
            FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        guard t.kind != .command else { return r }
        if let u = t.url {
            r.url = u
        } else if let v = t.urlEnv {
            r.url = environment[v].flatMap { $0.isEmpty ? nil : $0 }
            if r.url == nil { r.problem = "environment variable \(v) (its URL) is not set" }
        } else if let f = t.urlFile {
            r.url = read(f).flatMap { $0.isEmpty ? nil : $0 }
            if r.url == nil { r.problem = "cannot read its URL from \(f)" }
        }
        if let u = r.url, u.contains("[redacted]") { r.problem = "its URL was redacted (give it by url_env or url_file)" }
        var token: String?
        if let v = t.tokenEnv {
            token = environment[v]
            if token == nil { r.problem = r.problem ?? "environment variable \(v) (its token) is not set" }
        } else if let f = t.tokenFile {
            token = read(f)
            if token == nil { r.problem = r.problem ?? "cannot read its token from \(f)" }
        }
        if let token, !token.isEmpty { r.headers.append(("Authorization", "Bearer " + token)) }
        return r
    }

    /// What each target's receiver gets for `n`.
    static func body(_ n: RunNotification, kind: NotifyKind) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        switch kind {
        case .slack: return Array((try? encoder.encode(["text": n.summary + (n.witness.map { "\n`\($0)`" } ?? "")])) ?? Data())
        case .webhook, .command: return Array((try? encoder.encode(n)) ?? Data())
        }
    }

    /// One message to one target, from its first try until it is delivered or given up on (answered once).
    private struct Job {
        var n: RunNotification
        var target: Resolved
        var tries = 0
        /// The next try, waiting out its backoff (nil while a try runs).
        var next: DispatchWorkItem?
        /// A try is under way: a second one (close()'s, racing a backoff item that already started) is not made.
        var running = false
    }
    private let lock = NSLock()
    private var jobs: [Int: Job] = [:]
    private var nextJob = 0
    private var closing = false

    package func send(_ n: RunNotification) {
        for t in targets {
            if let problem = t.problem {
                answer(.notifyFailed(NotifyFailed(target: t.target.label, event: n.event, seq: n.seq, attempts: 0, error: problem)))
                continue
            }
            lock.lock()
            let id = nextJob
            nextJob += 1
            jobs[id] = Job(n: n, target: t)
            lock.unlock()
            group.enter()
            queue.async { [self] in attempt(id) }
        }
    }

    /// One try; on failure, the next after the backoff, or `.notifyFailed` after the last (or once the console closes).
    private func attempt(_ id: Int) {
        lock.lock()
        guard var job = jobs[id], !job.running else { return lock.unlock() } // answered already (abandoned at close), or trying
        job.tries += 1
        job.running = true
        job.next = nil
        jobs[id] = job
        lock.unlock()
        let error = deliver(job.n, to: job.target)
        lock.lock()
        guard jobs[id] != nil else { return lock.unlock() }
        if error == nil {
            jobs[id] = nil
            lock.unlock()
            delivered?(job.target.target.label, job.tries)
            group.leave()
            return
        }
        guard job.tries < tries, !closing else {
            jobs[id] = nil
            lock.unlock()
            let why = (error ?? "?") + (job.tries < tries ? " (no more tries: the console closed)" : "")
            answer(.notifyFailed(NotifyFailed(target: job.target.target.label, event: job.n.event, seq: job.n.seq, attempts: job.tries, error: why)))
            group.leave()
            return
        }
        let item = DispatchWorkItem { [self] in attempt(id) }
        job.next = item
        job.running = false
        jobs[id] = job
        lock.unlock()
        let wait = backoffMs << Int64(job.tries - 1)
        queue.asyncAfter(deadline: .now() + .milliseconds(Int(wait)), execute: item)
    }

    /// The console is closing: every message waiting out a backoff gets its next try now (its last), so a receiver
    /// that came back is not given up on by a quit.
    package func close() {
        lock.lock()
        closing = true
        let waiting = jobs.compactMap { id, job in job.next.map { (id, $0) } }
        lock.unlock()
        for (id, item) in waiting {
            item.cancel()
            queue.async { [self] in attempt(id) }
        }
    }

    /// After `close` and `drain`: each message still not delivered (its receiver hangs) is answered as given up on,
    /// so the journal says so; a late success of its try changes nothing.
    package func abandon() {
        lock.lock()
        let left = jobs
        jobs = [:]
        lock.unlock()
        for (_, job) in left.sorted(by: { $0.key < $1.key }) {
            job.next?.cancel()
            answer(.notifyFailed(NotifyFailed(target: job.target.target.label, event: job.n.event, seq: job.n.seq, attempts: job.tries,
                                              error: "still being delivered when the console closed")))
            group.leave() // its try, when it ends, finds the job gone and leaves nothing
        }
    }

    /// Nil when delivered, else why not (a line without the URL).
    private func deliver(_ n: RunNotification, to t: Resolved) -> String? {
        let body = Self.body(n, kind: t.target.kind)
        switch t.target.kind {
        case .webhook, .slack:
            guard let url = t.url else { return "no URL" }
            switch http.post(url, body: body, headers: t.headers, timeoutMs: t.target.timeoutMs) {
            case .success(let r) where (200..<300).contains(r.status): return nil
            case .success(let r): return "HTTP \(r.status)"
            case .failure(let e): return e.message
            }
        case .command:
            guard let argv = t.target.argv, !argv.isEmpty else { return "no argv" }
            let spec = children.spec(argv: argv, variables: ["WARROOM_NOTIFY_JSON": String(decoding: body, as: UTF8.self),
                                                             "WARROOM_NOTIFY_TEXT": n.summary,
                                                             "WARROOM_NOTIFY_WITNESS": n.witness ?? "",
                                                             "WARROOM_NOTIFY_EVENT": n.event],
                                     timeoutMs: t.target.timeoutMs)
            let done = DispatchSemaphore(value: 0)
            let box = Box()
            _ = ProcessRunner.start(spec) { o in
                box.value = o.ok ? nil : o.summary
                done.signal()
            }
            done.wait()
            return box.value
        }
    }

    private final class Box: @unchecked Sendable { var value: String? }

    /// Waits (at most `timeoutMs`) until every delivery handed over so far has succeeded or been given up on.
    @discardableResult
    package func drain(timeoutMs: Int) -> Bool {
        group.wait(timeout: .now() + .milliseconds(timeoutMs)) == .success
    }
}

/// The console's notifier, when the config has `notify:` targets. `WARROOM_NOTIFY_BACKOFF_MS` shortens the first
/// wait between tries (tests; the default is 2 s, doubling: 5 tries over about a minute with timeouts).
func makeNotifier(config: RunConfig, environment: [String: String], children: ChildProcesses,
                  answer: @escaping @Sendable (Action) -> Void) -> Notifier? {
    guard let targets = config.notify, !targets.isEmpty else { return nil }
    let backoff = environment["WARROOM_NOTIFY_BACKOFF_MS"].flatMap { Int64($0) }.map { max(1, $0) } ?? 2_000
    return Notifier(targets: targets, environment: environment, children: children, backoffMs: backoff, answer: answer)
}
