import Foundation
import WarRoomCore
import WarRoomStore
import WarRoomTelemetry

/// The one effect runner: carries out the engine's commands off the screen thread and answers with actions. Journal
/// appends run in order on one serial queue (the journal writer is only touched there); the view for followers and
/// log lines on another, so a slow disk under the journal never stalls the view (or the reverse); hooks run in their
/// own process groups and answer when they end.
final class EffectRunner: @unchecked Sendable {
    private let queue = DispatchQueue(label: "warroom.journal")
    private let side = DispatchQueue(label: "warroom.view-and-log")
    private let lock = NSLock()
    /// The newest view waiting to be published: a publish still waiting is replaced, never queued behind.
    private var nextView: TelemetryView?
    /// Hooks still running, by decision seq.
    private var hooks: [Int: Task<Void, Never>] = [:]
    /// `ramp.traffic`: the adapter that carries out `.setTraffic` (set before the console starts).
    var traffic: TrafficRunner?

    /// Whether a hook is still running.
    var hooksRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return !hooks.isEmpty
    }

    /// Ends every running hook's process group (TERM, then KILL): the console is closing and nobody would watch it.
    /// Each answers `.hookFinished` as it ends, so the journal records how.
    func cancelHooks() {
        lock.lock()
        let running = Array(hooks.values)
        lock.unlock()
        for t in running { t.cancel() }
    }
    private let writer: RunJournal
    private let actor: String
    /// Nil for a crew console: only the driver publishes a view (the engine asks no crew console to).
    private let publishView: (@Sendable (TelemetryView, Millis) throws -> Void)?
    private let answer: @Sendable (Action) -> Void
    private var publishFailed = false
    /// Hooks' environment (an allow-list) and the secrets taken out of what they print.
    private let children: ChildProcesses

    /// The driver lease, renewed on its own queue (`leaseQueue`) so a heartbeat never waits behind an append.
    private let lease: LeaseKeeper?
    private let leaseQueue = DispatchQueue(label: "warroom.lease")
    /// The `notify:` targets (nil: none configured).
    var notifier: Notifier?

    /// The head kept as a witness every `witnessEveryMs` while it moves, where the writer's store keeps witnesses
    /// (`WitnessKeeper`: etcd, `PREFIX/witness/…`; the file store keeps none).
    private var lastWitnessed = 0
    private var lastWitnessAt: Millis = 0
    private var witnessFailed = false
    static let witnessEveryMs: Millis = ProcessInfo.processInfo.environment["WARROOM_WITNESS_EVERY_MS"].flatMap { Millis($0) } ?? 60_000

    init(writer: RunJournal, actor: String, lease: LeaseKeeper? = nil, children: ChildProcesses = ChildProcesses(),
         view: (@Sendable (TelemetryView, Millis) throws -> Void)?, answer: @escaping @Sendable (Action) -> Void) {
        self.writer = writer
        self.children = children
        self.lease = lease
        self.actor = actor
        publishView = view
        self.answer = answer
    }

    func run(_ command: Command) {
        switch command {
        case .append(let id, .driverOffer(let offer)):
            queue.async { [self] in offerDriving(id: id, offer) }
        case .append(let id, let body):
            queue.async { [self] in
                let sent = StoreHealth.now()
                do {
                    // The telemetry's own entries (automatic trips, verdict changes) are journaled as `warroom`, under
                    // this console's driver lease (the token rules are the writer's, unchanged).
                    let r = try writer.appendCatchingUp(body, actor: body.author(console: actor), time: Clock.now(), token: nil)
                    // Other writers' entries first: the engine applies them in journal order, then ours.
                    if !r.foreign.isEmpty { answer(.merged(r.foreign)) }
                    storeAnswered(sent: sent)
                    answer(.appended(id: id, r.event))
                } catch {
                    let foreign = writer.takeCaughtUp()
                    if !foreign.isEmpty { answer(.merged(foreign)) }
                    storeFailed(error, sent: sent)
                    answer(.appendFailed(id: id, "\(error)"))
                }
            }
        case .runHook(let r):
            let spec = children.spec(argv: r.argv, variables: HookTemplate.environment(values: r.values),
                                     workingDirectory: r.directory, timeoutMs: r.timeoutMs, endLeftBehind: true)
            let answer = answer
            lock.lock()
            let task = ProcessRunner.start(spec) { [self] o in
                lock.lock()
                hooks[r.decision] = nil
                lock.unlock()
                answer(.hookFinished(HookResult(decision: r.decision, ok: o.ok, summary: o.summary, tail: Array(o.tail.suffix(5)),
                                                durationMs: o.durationMs)))
            }
            hooks[r.decision] = task
            lock.unlock()
        case .setTraffic(let r):
            if let traffic { traffic.set(r) } else {
                answer(.trafficRead(TrafficReading(adapter: "none", decision: r.decision, intended: r.percent, observed: nil,
                                                   error: "this console has no traffic adapter")))
            }
        case .publish(let view):
            guard let publishView else { return }
            lock.lock()
            let waiting = nextView != nil
            nextView = view
            lock.unlock()
            guard !waiting else { return }
            side.async { [self] in
                lock.lock()
                let latest = nextView
                nextView = nil
                lock.unlock()
                guard let latest else { return }
                do {
                    try publishView(latest, Clock.now())
                    if publishFailed { log("view for followers published again") }
                    publishFailed = false
                } catch {
                    if !publishFailed {
                        log("cannot publish the view for followers: \(error)")
                        answer(.notice(Notice("followers see DRIVER SILENT: cannot publish the view (\(error))", .warn)))
                    }
                    publishFailed = true
                }
            }
        case .log(let line):
            let stamp = Clock.now()
            side.async { writeStderr("\(Timestamp.iso8601(stamp)) \(line)") }
        case .show:
            break // the console's message line
        case .notify(let n):
            guard let notifier else { return }
            // On the journal queue (the entry it reports is journaled by now): the head as a witness goes with it, so
            // every message keeps one outside the state directory. Delivery then goes on the notifier's own queue.
            queue.async { [self] in
                var n = n
                if let hash = writer.lastHash {
                    n.witness = Witness(runID: writer.state.runID, seq: writer.state.lastSeq, hash: hash, at: Clock.now()).line
                }
                notifier.send(n)
            }
        }
    }

    /// A hand-over offer (on the journal queue): the lease first, on the lease queue (a take-over by the named
    /// driver is accepted from then on), then the journal, so nobody reads the offer before the lease honours it. If
    /// the journal cannot take it, the lease's previous offer is put back; either failure answers `.appendFailed`.
    private func offerDriving(id: Int, _ offer: DriverOffer) {
        guard let lease else { return answer(.appendFailed(id: id, "this console holds no driver lease: nothing offered")) }
        /// On the lease queue; a lease taken over meanwhile turns the console read-only, as the heartbeat would.
        func onLease(_ to: String?) throws {
            try leaseQueue.sync {
                do { try lease.offer(to: to, now: wallClockNow()) } catch {
                    if case LeaseError.lost(_, _, let current, _) = error { leaseTrouble = "\(error)"; answer(.deposed(by: current?.actor)) }
                    throw error
                }
            }
        }
        let before = leaseQueue.sync { lease.lease?.offeredTo }
        do { try onLease(offer.to) } catch { return answer(.appendFailed(id: id, "driver lease: \(error); nothing offered")) }
        do {
            let r = try writer.appendCatchingUp(.driverOffer(offer), actor: actor, time: Clock.now(), token: nil)
            if !r.foreign.isEmpty { answer(.merged(r.foreign)) }
            answer(.appended(id: id, r.event))
        } catch {
            let foreign = writer.takeCaughtUp()
            if !foreign.isEmpty { answer(.merged(foreign)) }
            var undone = "the lease's offer was put back"
            do { try onLease(before) } catch { undone = "the lease's offer could not be put back: \(error)" }
            writeStderr("\(Timestamp.iso8601(Clock.now())) driver offer not journaled (\(undone)): \(error)")
            answer(.appendFailed(id: id, "\(error) (\(undone))"))
        }
    }

    private var catchUpTimer: DispatchSourceTimer?
    private var heartbeat: DispatchSourceTimer?
    private var leaseTrouble: String?

    /// Every second on the journal queue: reads what other writers (`warroom check`, the crew) appended and answers
    /// `.merged`. Every `DriverLease.heartbeatMs` (a third of a shorter lease's life) on the lease queue: renews the
    /// driver lease; a lost lease (another driver took over) or a failed renewal is shown once and logged.
    func startHeartbeat() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .seconds(1), repeating: .seconds(1), leeway: .milliseconds(100))
        timer.setEventHandler { [self] in
            let sent = StoreHealth.now()
            do {
                let foreign = try writer.catchUp(now: Clock.now())
                if !foreign.isEmpty { answer(.merged(foreign)) }
                storeAnswered(sent: sent)
                witnessHead()
            } catch {
                if !storeFailed(error, sent: sent) {
                    writeStderr("\(Timestamp.iso8601(Clock.now())) cannot read other writers' entries: \(error)")
                }
            }
        }
        catchUpTimer = timer
        timer.resume()

        guard let lease, let held = lease.lease else { return }
        let every = Int(min(DriverLease.heartbeatMs, held.ttlMs / 3))
        let beat = DispatchSource.makeTimerSource(queue: leaseQueue)
        beat.schedule(deadline: .now() + .milliseconds(every), repeating: .milliseconds(every), leeway: .milliseconds(100))
        beat.setEventHandler { [self] in
            guard lease.lease != nil || leaseTrouble == nil else { return }
            let sent = StoreHealth.now()
            do {
                try lease.renew(now: wallClockNow())
                // After an outage the store's return is the news; after other trouble, the renewal.
                if !storeAnswered(sent: sent), leaseTrouble != nil { answer(.notice(Notice("driver lease renewed", .info))) }
                leaseTrouble = nil
            } catch {
                let text = "\(error)"
                if case LeaseError.lost(_, _, let current, _) = error {
                    // Another driver took over (this one was presumed dead): read-only from now on, and say who.
                    if leaseTrouble != text { answer(.deposed(by: current?.actor)) }
                    leaseTrouble = text
                    return
                }
                // The store itself unreachable: one outage with the journal's failures, said by whichever sees it first.
                if !storeFailed(error, sent: sent), leaseTrouble != text {
                    writeStderr("\(Timestamp.iso8601(Clock.now())) driver lease: \(text)")
                    answer(.notice(Notice("DRIVER LEASE: \(text)", .error, sticky: true)))
                }
                leaseTrouble = text
            }
        }
        heartbeat = beat
        beat.resume()
    }

    /// On the journal queue, each catch-up: the head kept as a witness where the writer's store keeps them, when it
    /// moved and the last was kept `witnessEveryMs` ago; a failure is logged once (the next tick tries again).
    private func witnessHead() {
        guard let keeper = writer as? WitnessKeeper, let hash = writer.lastHash, writer.state.lastSeq > lastWitnessed else { return }
        let now = Clock.now()
        guard now - lastWitnessAt >= Self.witnessEveryMs else { return }
        let w = Witness(runID: writer.state.runID, seq: writer.state.lastSeq, hash: hash, at: now)
        do {
            try keeper.keep(w)
            lastWitnessed = w.seq ?? 0
            lastWitnessAt = now
            if witnessFailed { writeStderr("\(Timestamp.iso8601(now)) witness kept again (seq \(w.seq ?? 0))") }
            witnessFailed = false
        } catch {
            if !witnessFailed { writeStderr("\(Timestamp.iso8601(now)) cannot keep the witness: \(error)") }
            witnessFailed = true
        }
    }

    /// The store's outage, as every queue's calls see it (etcd unreachable or without quorum).
    private let health = StoreHealth()

    /// After a failed store call sent at `sent` (any queue): an outage (etcd unreachable, no quorum) is said at once,
    /// as a sticky STORE UNREACHABLE notice, and logged once. True when it was an outage.
    @discardableResult
    private func storeFailed(_ error: Error, sent: UInt64) -> Bool {
        guard isStoreOutage(error) else { return false }
        if let text = health.failed("\(error)", sent: sent) {
            writeStderr("\(Timestamp.iso8601(Clock.now())) STORE UNREACHABLE: \(text)")
            answer(.notice(Notice("STORE UNREACHABLE: \(text) — changes are NOT SAVED until it is back; retrying every second", .error, sticky: true)))
        }
        return true
    }

    /// After a store call sent at `sent` succeeded (any queue): ends an outage, saying so. True when it did.
    @discardableResult
    private func storeAnswered(sent: UInt64) -> Bool {
        guard health.answered(sent: sent) else { return false }
        writeStderr("\(Timestamp.iso8601(Clock.now())) store reachable again")
        answer(.notice(Notice("STORE REACHABLE again: changes save again (those refused meanwhile were NOT SAVED)", .info, sticky: true)))
        return true
    }

    /// Stops both timers (and waits for a beat under way).
    func stopHeartbeat() {
        catchUpTimer?.cancel()
        catchUpTimer = nil
        heartbeat?.cancel()
        heartbeat = nil
        queue.sync {}
        leaseQueue.sync {}
    }

    /// Waits until every append, publish and log line handed over so far has been carried out.
    func drain() {
        traffic?.drain()
        queue.sync {}
        side.sync {}
    }
}
