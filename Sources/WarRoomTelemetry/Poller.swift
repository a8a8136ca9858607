import Dispatch
import Foundation
import WarRoomCore

/// Reads every source on its own timer and delivers one `Sample` per probe per completed read.
///
/// Scheduling: one `DispatchSourceTimer` per source (only for sources some probe reads), each on the source's
/// own serial queue; the first read is immediate, then every `intervalMs`. All I/O is asynchronous
/// (the socket HTTP client, `ProcessRunner`, file reads on a global queue); the source's queue only starts reads, applies
/// deadlines and delivers. So a hung server delays nothing but its own source.
///
/// Per tick, a source is read once per distinct request: one GET per distinct Prometheus query, one GET of the
/// alert list for all Alertmanager probes, one request / run / file read for an http, command or file source.
/// Each read has the source's timeout, enforced here with a deadline (the HTTP client's own deadline also applies):
/// at the deadline its probes get `.failure("timed out after 2 s")` and the request is cancelled. When a tick
/// comes while the previous tick's reads are still running (a command still being killed, a file read on a
/// stuck filesystem), the tick is skipped: no pile-up, at most one read of each request at a time.
///
/// Delivery: `deliver` runs on the sources' queues, serialized by one lock (so it must be quick: hand the sample
/// to the console's queue and return). It may call `stop()`. Probes naming an unknown source get one
/// `.failure("unknown source …")` sample each at `start()`.
///
/// Idle cost: a timer wake-up per source per interval (with 5 % leeway, at most 100 ms, so wake-ups coalesce)
/// and nothing else; connections are kept alive between reads.
public final class Poller: @unchecked Sendable {
    private let runners: [SourceRunner]
    private let orphans: [Probe]
    private let gate: DeliveryGate
    private let clock: @Sendable () -> Int64
    private let stateLock = NSLock()
    private var started = false

    /// `clock` gives the wall time (ms since the epoch) stamped on samples; `deliver` receives them.
    /// Sources no probe reads are never polled. Source names should be unique (the first one wins).
    /// `children`: the environment `command` sources get, and the secrets redacted from every text a source sends
    /// back (failures, warnings, alert summaries and labels) besides the source's own token.
    public init(sources: [SourceSpec], probes: [Probe], children: ChildProcesses = ChildProcesses(),
                clock: @escaping @Sendable () -> Int64, deliver: @escaping @Sendable (Sample) -> Void) {
        self.clock = clock
        let gate = DeliveryGate(deliver)
        self.gate = gate
        var byName: [String: SourceSpec] = [:]
        var order: [String] = []
        for source in sources where byName[source.name] == nil {
            byName[source.name] = source
            order.append(source.name)
        }
        var probesBySource: [String: [Probe]] = [:]
        var orphans: [Probe] = []
        for probe in probes {
            if byName[probe.source] != nil {
                probesBySource[probe.source, default: []].append(probe)
            } else {
                orphans.append(probe)
            }
        }
        self.orphans = orphans
        runners = order.compactMap { name in
            guard let spec = byName[name], let probes = probesBySource[name], !probes.isEmpty else { return nil }
            return SourceRunner(spec: spec, probes: probes, children: children, clock: clock, gate: gate)
        }
    }

    deinit {
        stop()
    }

    /// Starts the timers; the first read of every source is immediate. Calling it again, or after `stop()`,
    /// does nothing.
    public func start() {
        stateLock.lock()
        defer { stateLock.unlock() }
        guard !started, !gate.isStopped else { return }
        started = true
        for runner in runners { runner.start() }
        if !orphans.isEmpty {
            let orphans = self.orphans, gate = self.gate, clock = self.clock
            DispatchQueue.global(qos: .utility).async {
                for probe in orphans {
                    gate.deliver(Sample(probe: probe.id, source: probe.source,
                                        reading: .failure("unknown source \(probe.source)"),
                                        time: clock(), latencyMs: 0))
                }
            }
        }
    }

    /// Stops for good: after it returns, `deliver` is never called again (a delivery running on another thread
    /// is waited for). Timers are cancelled at once; in-flight requests are cancelled and commands' process
    /// groups terminated right after, asynchronously. Safe to call twice, from any thread, including from
    /// `deliver`.
    public func stop() {
        gate.stop()
        for runner in runners { runner.stop() }
    }

    /// Ticks skipped so far because the previous read was still running, per source (for tests and diagnostics).
    public func skippedTicks() -> [String: Int] {
        var result: [String: Int] = [:]
        for runner in runners { result[runner.spec.name] = runner.skippedCount() }
        return result
    }
}

/// Serializes deliveries and guarantees none happens after `stop()` returns.
final class DeliveryGate: @unchecked Sendable {
    private let lock = NSRecursiveLock()
    private var stopped = false
    private let deliverFunction: @Sendable (Sample) -> Void

    init(_ deliver: @escaping @Sendable (Sample) -> Void) {
        deliverFunction = deliver
    }

    var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    func deliver(_ sample: Sample) {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        deliverFunction(sample)
    }

    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
    }
}

/// What one read fetches; probes sharing it are decoded from the same answer.
enum FetchRequest: Equatable {
    case prometheus(url: String)
    case alertmanager(url: String)
    case http(url: String, expect: Int)
    case command(argv: [String])
    case file(path: String, field: String?)
    /// Known to fail without any I/O (a bad URL, a probe without a query).
    case invalid(String)
}

struct FetchUnit {
    var request: FetchRequest
    var probes: [Probe]
}

/// What came back from one fetch, before decoding per probe.
enum FetchResult: Sendable {
    case http(HTTPOutcome)
    case reading(Reading)
}

/// One source: its timer, its queue and its in-flight reads. All mutable state is confined to `queue`,
/// except `skipped`, which is also read by `skippedCount()` (under `counterLock`).
final class SourceRunner: @unchecked Sendable {
    let spec: SourceSpec
    let children: ChildProcesses
    let units: [FetchUnit]
    let queue: DispatchQueue
    private let clock: @Sendable () -> Int64
    private let gate: DeliveryGate
    private let intervalMs: Int64
    private let timeoutMs: Int64
    private var timer: DispatchSourceTimer?
    private let timerLock = NSLock()
    private var http: HTTPClient?

    // Confined to `queue`:
    private var stopped = false
    private var generation: UInt64 = 0
    private var tickStart: UInt64 = 0
    /// Units of the current tick not yet delivered.
    private var pendingUnits = Set<Int>()
    /// Operations started and not yet returned: op id → (unit index, how to cancel, does cancelling end it at once).
    private var operations: [UInt64: Operation] = [:]
    private var nextOperation: UInt64 = 0
    private var deadline: DispatchWorkItem?

    private let counterLock = NSLock()
    private var skipped = 0

    private struct Operation {
        var unit: Int
        var cancel: () -> Void
        /// HTTP requests end when cancelled (the connection is closed); commands and file reads only when
        /// they return, so they keep the source busy until then.
        var endsOnCancel: Bool
    }

    init(spec: SourceSpec, probes: [Probe], children: ChildProcesses = ChildProcesses(),
         clock: @escaping @Sendable () -> Int64, gate: DeliveryGate) {
        self.spec = spec
        self.children = children
        self.clock = clock
        self.gate = gate
        intervalMs = max(10, spec.intervalMs)
        timeoutMs = max(1, spec.timeoutMs)
        queue = DispatchQueue(label: "warroom.telemetry.source", qos: .utility)
        units = Self.plan(spec: spec, probes: probes)
        switch spec.kind {
        case .prometheus, .alertmanager, .http:
            if units.contains(where: { if case .invalid = $0.request { return false } else { return true } }) {
                http = HTTPClient(token: spec.token)
            }
        case .command, .file:
            break
        }
    }

    /// Groups the probes into fetches.
    static func plan(spec: SourceSpec, probes: [Probe]) -> [FetchUnit] {
        switch spec.kind {
        case .prometheus(let base):
            var units: [FetchUnit] = []
            var index: [String: Int] = [:]
            for probe in probes {
                let request: FetchRequest
                if let query = probe.query, !query.trimmingASCIIWhitespace().isEmpty {
                    if let url = PrometheusDecoder.queryURL(base: base, query: query) {
                        request = .prometheus(url: url)
                    } else {
                        request = .invalid("invalid prometheus URL (expected http:// or https://)")
                    }
                } else {
                    request = .invalid("no query for a prometheus source")
                }
                let key: String
                switch request {
                case .prometheus(let url): key = url
                default: key = "invalid \(probe.id)"
                }
                if let i = index[key] {
                    units[i].probes.append(probe)
                } else {
                    index[key] = units.count
                    units.append(FetchUnit(request: request, probes: [probe]))
                }
            }
            return units
        case .alertmanager(let base):
            let request: FetchRequest = AlertmanagerDecoder.alertsURL(base: base).map { .alertmanager(url: $0) }
                ?? .invalid("invalid alertmanager URL (expected http:// or https://)")
            return [FetchUnit(request: request, probes: probes)]
        case .http(let url, let expect):
            let request: FetchRequest = HTTPText.baseURL(url) != nil
                ? .http(url: url.trimmingASCIIWhitespace(), expect: expect)
                : .invalid("invalid URL (expected http:// or https://)")
            return [FetchUnit(request: request, probes: probes)]
        case .command(let argv):
            let request: FetchRequest = argv.isEmpty ? .invalid("empty command") : .command(argv: argv)
            return [FetchUnit(request: request, probes: probes)]
        case .file(let path, let field):
            return [FetchUnit(request: .file(path: path, field: field), probes: probes)]
        }
    }

    func start() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let leeway = min(100, max(1, intervalMs / 20))
        timer.schedule(deadline: .now(), repeating: .milliseconds(Int(intervalMs)), leeway: .milliseconds(Int(leeway)))
        timer.setEventHandler { [weak self] in self?.tick() }
        timerLock.lock()
        self.timer = timer
        timerLock.unlock()
        timer.resume()
    }

    func stop() {
        timerLock.lock()
        let timer = self.timer
        self.timer = nil
        timerLock.unlock()
        timer?.cancel()
        queue.async { [self] in
            stopped = true
            deadline?.cancel()
            deadline = nil
            pendingUnits.removeAll()
            let ops = operations
            operations.removeAll()
            for op in ops.values { op.cancel() }
            http?.invalidate()
            http = nil
        }
    }

    func skippedCount() -> Int {
        counterLock.lock()
        defer { counterLock.unlock() }
        return skipped
    }

    // MARK: On `queue`

    private func tick() {
        guard !stopped else { return }
        if !operations.isEmpty {
            counterLock.lock()
            skipped += 1
            counterLock.unlock()
            return
        }
        generation &+= 1
        let gen = generation
        tickStart = DispatchTime.now().uptimeNanoseconds
        pendingUnits = Set(units.indices)
        for index in units.indices {
            startFetch(unit: index, generation: gen)
        }
        guard !pendingUnits.isEmpty else { return }
        let item = DispatchWorkItem { [weak self] in self?.expire(generation: gen) }
        deadline = item
        queue.asyncAfter(deadline: .now() + .milliseconds(Int(timeoutMs)), execute: item)
    }

    private func startFetch(unit index: Int, generation gen: UInt64) {
        nextOperation &+= 1
        let op = nextOperation
        let finish: @Sendable (FetchResult) -> Void = { [weak self] result in
            guard let self else { return }
            self.queue.async { self.finished(operation: op, unit: index, generation: gen, result: result) }
        }
        switch units[index].request {
        case .invalid(let message):
            complete(unit: index, result: .reading(.failure(message)))
        case .prometheus(let url), .alertmanager(let url):
            startHTTP(url: url, accept: "application/json", keepBody: true, op: op, unit: index, finish: finish)
        case .http(let url, _):
            startHTTP(url: url, accept: "*/*", keepBody: false, op: op, unit: index, finish: finish)
        case .command(let argv):
            let task = CommandSourceReader.start(argv: argv, timeoutMs: timeoutMs, children: children) { reading in
                finish(.reading(reading))
            }
            operations[op] = Operation(unit: index, cancel: { task.cancel() }, endsOnCancel: false)
        case .file(let path, let field):
            operations[op] = Operation(unit: index, cancel: {}, endsOnCancel: false)
            DispatchQueue.global(qos: .utility).async {
                finish(.reading(FileSourceReader.read(path: path, field: field)))
            }
        }
    }

    private func startHTTP(url: String, accept: String, keepBody: Bool, op: UInt64, unit index: Int,
                           finish: @escaping @Sendable (FetchResult) -> Void) {
        guard let http else {
            complete(unit: index, result: .reading(.failure("stopped")))
            return
        }
        switch http.get(url, accept: accept, timeoutMs: timeoutMs, keepBody: keepBody, completion: { outcome in
            finish(.http(outcome))
        }) {
        case .failure(let error):
            complete(unit: index, result: .reading(.failure(error.message)))
        case .success(let id):
            operations[op] = Operation(unit: index, cancel: { [weak http] in http?.cancel(id) }, endsOnCancel: true)
        }
    }

    private func finished(operation op: UInt64, unit index: Int, generation gen: UInt64, result: FetchResult) {
        guard operations.removeValue(forKey: op) != nil else { return }  // cancelled, or stopped
        guard !stopped, gen == generation else { return }
        complete(unit: index, result: result)
    }

    /// Delivers unit `index`'s samples for the current tick, once.
    private func complete(unit index: Int, result: FetchResult) {
        guard pendingUnits.remove(index) != nil else { return }
        let elapsedNs = DispatchTime.now().uptimeNanoseconds &- tickStart
        let latencyMs = Double(elapsedNs) / 1_000_000
        let time = clock()
        let unit = units[index]
        for probe in unit.probes {
            let (reading, warnings) = decode(result, request: unit.request, probe: probe, latencyMs: latencyMs)
            gate.deliver(Sample(probe: probe.id, source: spec.name, reading: redacted(reading), time: time,
                                latencyMs: latencyMs, warnings: warnings.map(redacted)))
        }
        if pendingUnits.isEmpty {
            deadline?.cancel()
            deadline = nil
        }
    }

    private func expire(generation gen: UInt64) {
        guard !stopped, gen == generation, !pendingUnits.isEmpty else { return }
        deadline = nil
        let message = "timed out after \(DurationText.seconds(timeoutMs))"
        for (op, operation) in operations where pendingUnits.contains(operation.unit) {
            operation.cancel()
            if operation.endsOnCancel { operations.removeValue(forKey: op) }
        }
        for index in pendingUnits.sorted() {
            complete(unit: index, result: .reading(.failure(message)))
        }
    }

    /// Every text a source sends back, without the source's token or any other secret warroom knows.
    private func redacted(_ text: String) -> String {
        children.redactor.redact(TelemetryText.redact(text, spec.token))
    }

    private func redacted(_ reading: Reading) -> Reading {
        switch reading {
        case .failure(let text):
            return .failure(redacted(text))
        case .alerts(let alerts) where !children.redactor.isEmpty:
            return .alerts(alerts.map { a in
                var a = a
                a.summary = a.summary.map(redacted)
                a.labels = Dictionary(uniqueKeysWithValues: a.labels.map { ($0.key, children.redactor.redact($0.value)) })
                return a
            })
        default:
            return reading
        }
    }

    private func decode(_ result: FetchResult, request: FetchRequest, probe: Probe,
                        latencyMs: Double) -> (Reading, [String]) {
        switch result {
        case .reading(let reading):
            return (reading, [])
        case .http(.failure(let message)):
            return (.failure(message), [])
        case .http(.response(let response)):
            switch request {
            case .prometheus:
                let r = PrometheusDecoder.decodeResult(status: response.status, contentType: response.contentType,
                                                       body: response.body, pick: probe.pick)
                return (r.reading, r.warnings)
            case .alertmanager:
                return (AlertmanagerDecoder.decode(status: response.status, contentType: response.contentType,
                                                   body: response.body, match: probe.match), [])
            case .http(_, let expect):
                if response.status == expect { return (.value(latencyMs / 1000), []) }
                return (.failure("HTTP \(response.status) (expected \(expect))"), [])
            default:
                return (.failure("unexpected HTTP response"), [])
            }
        }
    }
}
