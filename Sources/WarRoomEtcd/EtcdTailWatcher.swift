import Foundation
import WarRoomCore
import WarRoomStore

/// A follower's view of a run in etcd, kept current by a watch of the run's prefix instead of asking: one
/// `EtcdWatchStream` from the revision last read, whose journal changes go through `EtcdTail.take` (the chain
/// check of every read) and whose changes to `keys` (the driver's view) are handed over as they are. Nothing is
/// asked while the stream speaks; updates reach the caller within milliseconds of the commit.
///
/// - **Broken stream** (a member killed, a connection reset, a member without leader ending the watch): opened
///   again on the next endpoint from the last revision seen, after one check of the store (below) so an outage is
///   said at once.
/// - **Compacted** start revision: the journal is read afresh (`EtcdTail.poll`, from the last seq), `keys` too,
///   then watched from after that read.
/// - **Silence**: after `stallMs` without a word from the stream, one check — a read of `PREFIX/head` with a
///   leader required, on every endpoint at once (`EtcdClient.probe`: one client deadline however many members hang). It fails: STORE UNREACHABLE (`.outage`), checked again
///   every `retryMs` until it answers (`.reachable`). It shows the head beyond what the stream delivered, twice in
///   a row: the stream is stalled (a hung member holding the connection); the entries are read and the watch
///   opened anew on another endpoint. The stream also asks for etcd's progress notifications, which count as words.
/// - **No watch** (the gateway refuses `/v3/watch`, or answers something that is not a watch): polling every
///   `pollMs` (a look at the journal's tip and `keys`), said once as `.log`.
///
/// Runs on a thread of its own; `onUpdate` is called there. Not reentrant: `start` once, `stop` once.
public final class EtcdTailWatcher: @unchecked Sendable {
    public enum Update: Sendable {
        /// New entries, verified, in order.
        case entries([JournalEvent])
        /// One of the watched `keys` changed (or was read afresh).
        case key(EtcdKV)
        /// The journal does not verify: no more entries from it.
        case damaged(JournalError)
        /// etcd cannot be reached or has no quorum (said once per outage).
        case outage(EtcdStoreError)
        /// It answers again after an outage.
        case reachable
        /// A line for the log: the watch opened, reopened, stalled.
        case log(String)
        /// The watch cannot be used: polling from now on (why, for the log and the screen).
        case polling(String)
    }

    public struct Timing: Sendable {
        public var stallMs: Int64 = 1_000
        public var retryMs: Int64 = 500
        public var openTimeoutMs: Int64 = 2_000
        public var pollMs: Int64 = 250
        public init() {}
    }

    public let tail: EtcdTail
    /// For the checks and reads (its `timeoutMs` bounds a check), and for the stream's connection (its TLS).
    public let client: EtcdClient
    public let keys: [[UInt8]]
    public let timing: Timing

    private enum Item {
        case message(EtcdWatchMessage)
        case ended(EtcdError)
    }

    private let condition = NSCondition()
    // Under `condition`:
    private var inbox: [(generation: Int, item: Item)] = []
    private var stopped = false
    private var stream: EtcdWatchStream?
    private let done = DispatchSemaphore(value: 0)
    private var running = false

    // The watcher thread's own:
    private var onUpdate: @Sendable (Update) -> Void = { _ in }
    private var generation = 0
    private var created = false
    private var endpointIndex = 0
    private var lastHeard: UInt64 = 0
    private var outage: EtcdStoreError?
    private var suspect: Int64?
    private var needRead = false
    private var polling = false
    private var damaged = false
    private var opens = 0
    /// Streams in a row that ended before etcd said the watch was created.
    private var failedOpens = 0

    /// `tail` has been read once (`poll()`); `keys`: other keys of the run to hand over when they change.
    public init(tail: EtcdTail, client: EtcdClient, keys: [[UInt8]] = [], timing: Timing = Timing()) {
        self.tail = tail
        self.client = client
        self.keys = keys
        self.timing = timing
        damaged = tail.damage != nil
        needRead = tail.revision == 0
    }

    /// Whether the watcher gave up the watch and polls (for tests and the log).
    public var isPolling: Bool {
        condition.lock()
        defer { condition.unlock() }
        return pollingShared
    }
    private var pollingShared = false
    /// Watch streams opened so far (for tests: a reopen after a stall or a broken stream counts).
    public var streamsOpened: Int {
        condition.lock()
        defer { condition.unlock() }
        return opensShared
    }
    private var opensShared = 0

    public func start(onUpdate: @escaping @Sendable (Update) -> Void) {
        self.onUpdate = onUpdate
        running = true
        let t = Thread { [self] in
            loop()
            done.signal()
        }
        t.name = "warroom.etcd-watch"
        t.start()
    }

    /// Ends the watch and waits for the thread (a check under way ends within the client's timeout).
    public func stop() {
        condition.lock()
        stopped = true
        let s = stream
        stream = nil
        condition.signal()
        condition.unlock()
        s?.cancel()
        if running {
            done.wait()
            running = false
        }
    }

    // MARK: the thread

    private static func nowNs() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    private var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    private func loop() {
        lastHeard = Self.nowNs()
        while !isStopped {
            if polling {
                pollOnce()
                wait(ms: timing.pollMs)
                continue
            }
            if needRead {
                guard readAfresh() else {
                    wait(ms: timing.retryMs)
                    continue
                }
            }
            condition.lock()
            let open = stream == nil
            condition.unlock()
            if open, !openStream() {
                wait(ms: timing.retryMs)
                continue
            }
            // Wait for the stream's next word, or until the silence asks for a check.
            let silentMs = Int64((Self.nowNs() &- lastHeard) / 1_000_000)
            let limit = outage != nil ? timing.retryMs : timing.stallMs
            for (g, item) in waitForItems(ms: max(0, limit - silentMs)) where g == generation { handle(item) }
            if isStopped { break }
            if Int64((Self.nowNs() &- lastHeard) / 1_000_000) >= limit { check() }
        }
        condition.lock()
        let s = stream
        stream = nil
        condition.unlock()
        s?.cancel()
    }

    /// Sleeps `ms` (or until `stop`).
    private func wait(ms: Int64) {
        condition.lock()
        if !stopped { _ = condition.wait(until: Date().addingTimeInterval(Double(ms) / 1000)) }
        condition.unlock()
    }

    /// The stream's items of the current generation (those of a stream given up are dropped), waiting up to `ms`.
    private func waitForItems(ms: Int64) -> [(generation: Int, item: Item)] {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(Double(ms) / 1000)
        while !stopped, !inbox.contains(where: { $0.generation == generation }) {
            if !condition.wait(until: deadline) { break }
        }
        let mine = inbox.filter { $0.generation == generation }
        inbox.removeAll()
        return mine
    }

    private func openStream() -> Bool {
        let endpoints = client.url.endpoints
        guard !endpoints.isEmpty else { return false }
        generation += 1
        let g = generation
        created = false
        let endpoint = endpoints[endpointIndex % endpoints.count]
        let result = EtcdWatchStream.open(client, endpoint: endpoint, key: tail.watchKey, rangeEnd: EtcdClient.prefixEnd(tail.watchKey),
                                          startRevision: tail.revision + 1, timeoutMs: timing.openTimeoutMs,
                                          onMessage: { [weak self] m in self?.post(g, .message(m)) },
                                          onEnd: { [weak self] e in self?.post(g, .ended(e)) })
        switch result {
        case .success(let s):
            condition.lock()
            if stopped {
                condition.unlock()
                s.cancel()
                return false
            }
            stream = s
            opens += 1
            opensShared = opens
            condition.unlock()
            lastHeard = Self.nowNs()
            return true
        case .failure(let e):
            endpointIndex += 1
            storeFailed(EtcdStoreError(url: tail.url, action: "watch the journal", cause: e))
            return false
        }
    }

    private func post(_ generation: Int, _ item: Item) {
        condition.lock()
        inbox.append((generation, item))
        condition.signal()
        condition.unlock()
    }

    /// Drops the stream (cancelled); the loop opens the next one on another endpoint.
    private func dropStream() {
        condition.lock()
        let s = stream
        stream = nil
        condition.unlock()
        s?.cancel()
        generation += 1
        endpointIndex += 1
    }

    private func handle(_ item: Item) {
        switch item {
        case .message(.created):
            lastHeard = Self.nowNs()
            failedOpens = 0
            if !created, opens > 1 { onUpdate(.log("etcd watch opened again on \(endpointOf()) from revision \(tail.revision + 1)")) }
            if !created, opens == 1 { onUpdate(.log("following \(tail.url) by an etcd watch (from revision \(tail.revision + 1), on \(endpointOf()))")) }
            created = true
        case .message(.events(let changes)):
            lastHeard = Self.nowNs()
            storeAnswered()
            take(changes)
        case .message(.progress(let revision)):
            lastHeard = Self.nowNs()
            if !damaged { tail.seen(upTo: revision) }
        case .message(.compacted(let revision)):
            onUpdate(.log("etcd watch: revision \(tail.revision + 1) was compacted (etcd keeps from \(revision)): reading the journal afresh"))
            dropStream()
            needRead = true
        case .message(.failed(let e)), .ended(let e):
            if !created { failedOpens += 1 }
            if !created, !e.isTransient || failedOpens >= 3 && outage == nil && e.kind == .unreachable {
                // The gateway does not serve the watch (or not as etcd does: it refused it, answered something else,
                // or ended it before it began three times while the store answered): poll instead, and say so.
                dropStream()
                polling = true
                condition.lock()
                pollingShared = true
                condition.unlock()
                onUpdate(.polling("the etcd watch cannot be opened (\(e)): following \(tail.url) by polling every \(timing.pollMs) ms instead"))
                return
            }
            if created || outage == nil { onUpdate(.log("etcd watch on \(endpointOf()) ended: \(e); opening it again")) }
            let quick = !created
            dropStream()
            check()  // an outage is said at once, not at the next silence
            if quick || outage != nil { wait(ms: timing.retryMs) }  // no busy loop against a refusing endpoint
        }
    }

    private func endpointOf() -> String {
        condition.lock()
        defer { condition.unlock() }
        return stream?.endpoint.description ?? "?"
    }

    /// Journal changes through the tail; the watched keys handed over.
    private func take(_ changes: [EtcdWatchEvent]) {
        for c in changes where c.kind == .put && keys.contains(c.kv.key) { onUpdate(.key(c.kv)) }
        guard !damaged else { return }
        do throws(JournalError) {
            let r = try tail.take(changes)
            if !r.events.isEmpty { onUpdate(.entries(r.events)) }
            if r.gap { needRead = true }
        } catch {
            damaged = true
            onUpdate(.damaged(error))
        }
    }

    /// The journal from the last seq on (a range read) and the watched keys; false when etcd did not answer.
    private func readAfresh() -> Bool {
        do {
            if !damaged {
                let events = try tail.poll()
                if !events.isEmpty { onUpdate(.entries(events)) }
            }
            for key in keys {
                if let kv = try readKey(key) { onUpdate(.key(kv)) }
            }
            needRead = false
            suspect = nil
            storeAnswered()
            return true
        } catch let e as JournalError {
            damaged = true
            onUpdate(.damaged(e))
            needRead = false
            return true
        } catch let e as EtcdStoreError {
            storeFailed(e)
            return false
        } catch {
            return false
        }
    }

    private func readKey(_ key: [UInt8]) throws -> EtcdKV? {
        do throws(EtcdError) { return try client.range(key).kvs.first } catch {
            throw EtcdStoreError(url: tail.url, action: "read \(String(decoding: key, as: UTF8.self))", cause: error)
        }
    }

    /// One look at `PREFIX/head` (a leader required): reachable or not, and whether the stream fell behind it.
    private func check() {
        lastHeard = Self.nowNs()
        let head: EtcdKV?
        do throws(EtcdError) {
            head = try client.probe(tail.keys.head).kvs.first
        } catch {
            storeFailed(EtcdStoreError(url: tail.url, action: "read the journal", cause: error))
            return
        }
        storeAnswered()
        let at = head?.modRevision ?? 0
        guard at > tail.revision, !damaged else {
            suspect = nil
            return
        }
        if let s = suspect, s <= at {
            // The head moved and the stream said nothing of it for a whole silence: it is stalled.
            onUpdate(.log("etcd watch on \(endpointOf()) stalled (the head is at revision \(at), the watch at \(tail.revision)): reading and watching again"))
            suspect = nil
            dropStream()
            needRead = true
        } else {
            suspect = at
        }
    }

    private func pollOnce() {
        _ = readAfresh()
    }

    private func storeFailed(_ e: EtcdStoreError) {
        guard e.isOutage else {
            onUpdate(.log("etcd: \(e)"))
            return
        }
        if outage == nil { onUpdate(.outage(e)) }
        outage = e
    }

    private func storeAnswered() {
        guard outage != nil else { return }
        outage = nil
        onUpdate(.reachable)
    }
}
