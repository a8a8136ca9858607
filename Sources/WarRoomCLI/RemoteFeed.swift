import Foundation
import WarRoomCore
import WarRoomEtcd
import WarRoomStore
import WarRoomTerminal

/// A follower's feed of a run in etcd, off the screen thread: an `EtcdTailWatcher` — one watch of the run's prefix
/// from the revision first read, its journal entries verified by the tail's chain check, the driver's view
/// (`PREFIX/view`) as it is put — so nothing is asked while the driver is quiet and a change is on screen within
/// milliseconds of its commit. When the watch cannot be opened at all, the watcher polls (four looks a second, as
/// before the watch) and the log says so. The screen thread takes what arrived. An outage is said once (STORE
/// UNREACHABLE) and its end once; damage stops the journal's entries (it stays on screen, as with a state directory).
final class RemoteFeed: @unchecked Sendable {
    private let url: EtcdURL
    private let wakeup: Wakeup
    private let watcher: EtcdTailWatcher
    private let viewKey: [UInt8]
    private let log: @Sendable (String) -> Void
    private let lock = NSLock()
    // Under `lock`:
    private var events: [JournalEvent] = []
    private var view: PublishedView?
    private var notices: [Notice] = []
    private var lastViewAt: Millis?

    init(tail: EtcdTail, url: EtcdURL, store: StoreLocation, wakeup: Wakeup, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.url = url
        self.wakeup = wakeup
        self.log = log
        viewKey = Array((url.prefix + "/view").utf8)
        watcher = EtcdTailWatcher(tail: tail, client: EtcdClient(url: url, timeoutMs: 2_000), keys: [viewKey])
    }

    func start() {
        watcher.start { [weak self] update in self?.take(update) }
    }

    func stop() {
        watcher.stop()
    }

    /// One update of the watcher (its thread).
    private func take(_ update: EtcdTailWatcher.Update) {
        var new: [JournalEvent] = []
        var published: PublishedView?
        var said: [Notice] = []
        switch update {
        case .entries(let e): new = e
        case .key(let kv):
            guard kv.key == viewKey else { return }
            let d = JSONDecoder()
            d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
            guard let v = try? d.decode(PublishedView.self, from: Data(kv.value)) else { return }
            published = v
        case .damaged(let e):
            log("journal unreadable: \(e)")
            said.append(Notice("journal unreadable: \(e) — showing the last good state", .error, sticky: true))
        case .outage(let e):
            log("STORE UNREACHABLE: \(e)")
            said.append(Notice("STORE UNREACHABLE: \(e) — showing the last state read; retrying", .error, sticky: true))
        case .reachable:
            log("store reachable again")
            said.append(Notice("STORE REACHABLE again: following \(url)", .info, sticky: true))
        case .log(let line):
            log(line)
            return
        case .polling(let why):
            log(why)
            said.append(Notice("following by polling: \(why)", .warn))
        }
        lock.lock()
        events += new
        if let published, published.publishedAt != lastViewAt {
            lastViewAt = published.publishedAt
            view = published
        }
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

extension RemoteFeed {
    static let logName = "follow.log"

    /// Appends lines to `DIR/follow.log` (the directory made 0700 if missing); nothing when it cannot be opened.
    static func logFile(localDir: String) -> @Sendable (String) -> Void {
        try? FileManager.default.createDirectory(atPath: localDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let fd = open((localDir as NSString).appendingPathComponent(logName), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return { _ in } }
        return { text in
            let bytes = Array((LogFile.line(text, at: Clock.now()) + "\n").utf8)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
    }
}
