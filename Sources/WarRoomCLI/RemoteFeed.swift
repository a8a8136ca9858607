import Foundation
import WarRoomCore
import WarRoomEtcd
import WarRoomStore
import WarRoomTerminal

/// A follower's looks at a run in etcd, off the screen thread (a look is a network round trip, and an unreachable
/// etcd would otherwise hold the screen for the client's timeout): four times a second, one read-only txn for the
/// journal's new entries (`EtcdTail.poll`) and one read of `PREFIX/view`. The screen thread takes what arrived.
/// An outage is said once (STORE UNREACHABLE) and its end once; damage stops the journal's looks (it stays on
/// screen, as with a state directory).
final class RemoteFeed: @unchecked Sendable {
    private let tail: EtcdTail
    private let url: EtcdURL
    private let client: EtcdClient
    private let store: StoreLocation
    private let wakeup: Wakeup
    private let queue = DispatchQueue(label: "warroom.follow-etcd")
    private var timer: DispatchSourceTimer?
    private let lock = NSLock()
    // Under `lock`:
    private var events: [JournalEvent] = []
    private var view: PublishedView?
    private var notices: [Notice] = []
    // The queue's own:
    private var lastViewAt: Millis?
    private var outage: String?
    private var damaged = false

    init(tail: EtcdTail, url: EtcdURL, store: StoreLocation, wakeup: Wakeup) {
        self.tail = tail
        self.url = url
        self.store = store
        self.wakeup = wakeup
        client = EtcdClient(url: url, timeoutMs: 2_000)
    }

    func start(everyMs: Int = 250) {
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now(), repeating: .milliseconds(everyMs), leeway: .milliseconds(50))
        t.setEventHandler { [weak self] in self?.look() }
        timer = t
        t.resume()
    }

    func stop() {
        timer?.cancel()
        timer = nil
        queue.sync {}
    }

    private func look() {
        var new: [JournalEvent] = []
        var said: [Notice] = []
        var failed: String?
        if !damaged {
            do { new = try tail.poll() } catch let e as JournalError {
                damaged = true
                said.append(Notice("journal unreadable: \(e) — showing the last good state", .error, sticky: true))
            } catch {
                failed = "\(error)"
            }
        }
        var published: PublishedView?
        if failed == nil {
            do throws(EtcdError) {
                if let bytes = try client.range(Array((url.prefix + "/view").utf8)).kvs.first?.value {
                    let d = JSONDecoder()
                    d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
                    if let v = try? d.decode(PublishedView.self, from: Data(bytes)), v.publishedAt != lastViewAt {
                        lastViewAt = v.publishedAt
                        published = v
                    }
                }
            } catch {
                failed = "\(EtcdStoreError(url: url, action: "read the driver's view", cause: error))"
            }
        }
        if let failed {
            if outage == nil {
                said.append(Notice("STORE UNREACHABLE: \(failed) — showing the last state read; retrying", .error, sticky: true))
            }
            outage = failed
        } else if outage != nil {
            outage = nil
            said.append(Notice("STORE REACHABLE again: following \(url)", .info, sticky: true))
        }
        guard !new.isEmpty || published != nil || !said.isEmpty else { return }
        lock.lock()
        events += new
        if let published { view = published }
        notices += said
        lock.unlock()
        wakeup.wake()
    }

    /// What arrived since the last take. `events: false` leaves the journal's entries for later (a crew console's
    /// own append is on its way: its line arrives as its acknowledgement first).
    func take(events takeEvents: Bool) -> (events: [JournalEvent], view: PublishedView?, notices: [Notice]) {
        lock.lock()
        defer { lock.unlock() }
        let out = (takeEvents ? events : [], view, notices)
        if takeEvents { events = [] }
        view = nil
        notices = []
        return out
    }
}
