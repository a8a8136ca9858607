import Dispatch
import WarRoomCore
import WarRoomTelemetry

/// `ramp.traffic`: the adapter's calls, one at a time on their own queue (a decision's set and the timer's read-backs
/// never interleave), off the screen thread; each answers `.trafficRead`.
final class TrafficRunner: @unchecked Sendable {
    let adapter: any TrafficAdapter
    private let everyMs: Millis
    private let queue = DispatchQueue(label: "warroom.traffic")
    private var timer: DispatchSourceTimer?
    private let answer: @Sendable (Action) -> Void

    init(adapter: any TrafficAdapter, everyMs: Millis, answer: @escaping @Sendable (Action) -> Void) {
        self.adapter = adapter
        self.everyMs = everyMs
        self.answer = answer
    }

    /// A decision's move: set, then read back.
    func set(_ request: TrafficRequest) {
        queue.async { [adapter, answer] in answer(.trafficRead(Traffic.setAndReadBack(adapter, request))) }
    }

    /// Reads the weight back at once, then every `everyMs` (a weight changed behind warroom's back shows as DRIFT).
    func start() {
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now(), repeating: .milliseconds(Int(everyMs)), leeway: .milliseconds(100))
        t.setEventHandler { [adapter, answer] in answer(.trafficRead(Traffic.readBack(adapter))) }
        timer = t
        t.resume()
    }

    func stop() {
        timer?.cancel()
        timer = nil
    }

    /// Waits for the call under way (a set's answer must reach the journal before the console closes).
    func drain() { queue.sync {} }
}
