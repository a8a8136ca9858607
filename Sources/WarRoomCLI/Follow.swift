import ArgumentParser
import Foundation
import WarRoomConfig
import WarRoomCore
import WarRoomStore
import WarRoomTerminal
import WarRoomUI

/// The driver's current view of sources, gauges and lights, published for followers (`view.json` in the state
/// directory), replaced atomically at most once a second.
struct PublishedView: Codable {
    var publishedAt: Millis
    var driver: String
    var pid: Int32
    /// The config the driver runs (absolute), so `warroom follow --state DIR` needs nothing else.
    var config: String?
    var checklist: String
    var telemetry: TelemetryView
}

enum ViewFile {
    static let name = "view.json"

    static func path(_ stateDir: String) -> String { (stateDir as NSString).appendingPathComponent(name) }

    /// Write to a temporary file, fsync it, rename it over the old one: a reader sees the old view or the new one.
    static func publish(_ view: PublishedView, stateDir: String) throws {
        let data = try JSONEncoder().encode(view)
        let final = path(stateDir)
        let tmp = final + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure("cannot write \(tmp): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var off = 0
        let ok: Bool = data.withUnsafeBytes { raw in
            while off < raw.count {
                let n = write(fd, raw.baseAddress! + off, raw.count - off)
                if n > 0 { off += n } else if n < 0, errno == EINTR { continue } else { return false }
            }
            return true
        }
        guard ok, fsync(fd) == 0 else { throw Failure("cannot write \(tmp): \(String(cString: strerror(errno)))") }
        guard rename(tmp, final) == 0 else { throw Failure("cannot rename \(tmp): \(String(cString: strerror(errno)))") }
    }

    static func read(stateDir: String) -> PublishedView? {
        guard let data = FileManager.default.contents(atPath: path(stateDir)) else { return nil }
        return try? JSONDecoder().decode(PublishedView.self, from: data)
    }
}

/// A file's identity for "has it changed": size and modification time.
struct FileStamp: Equatable {
    var size: Int64
    var mtimeNS: Int64

    init?(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        size = Int64(st.st_size)
        mtimeNS = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }
}

struct Follow: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch a run read-only: the same panes, live, for anyone who is not driving.",
        discussion: """
        Opens the journal read-only and never takes the writer's lock, so it cannot write, even by accident: keys that
        would change the run answer "read-only — <actor> is driving". Gauges and lights come from the view the driving
        console publishes in the state directory (view.json, at most once a second); the header shows its age and
        turns grey when the driver stops publishing. Works over a shared filesystem and over ssh (ssh -t host warroom
        follow --state DIR). The config and checklist default to the ones the driver runs.
        """
    )

    @Option(help: "The run's state directory.") var state: String
    @Option(help: "The run's warroom.yaml (default: the one the driver publishes).") var config: String?
    @Option(help: "The checklist, when there is no config.") var checklist: String?
    @Option(help: "Theme name or file.") var theme: String?
    @Flag(help: "Draw with ASCII only.") var ascii = false

    func run() throws {
        guard Journal.exists(in: state) else { throw Failure("\(state): no journal here yet (is the driver running with --state \(state)?)") }
        let published = ViewFile.read(stateDir: state)
        let replay: Replay
        do { replay = try Journal.replay(stateDir: state) } catch { throw Failure("\(error)") }
        let setup: LoadedRun
        if let config { setup = try loadRunConfig(config) } else if let checklist { setup = try deriveRunConfig(checklistPath: checklist) }
        else if let c = published?.config { setup = try loadRunConfig(c) }
        else if let c = published?.checklist ?? replay.state.started?.checklist { setup = try deriveRunConfig(checklistPath: c) }
        else { throw Failure("give --config or --checklist: the journal names no checklist") }
        let startTheme: Theme
        switch ThemeLoader.resolve(theme, environment: ProcessInfo.processInfo.environment, searchDirs: themeSearchDirs()) {
        case .success(let t): startTheme = t
        case .failure(let e): throw Failure("\(e)")
        }
        guard Terminal.isTTY else { throw Failure("warroom follow needs a terminal (stdin and stdout must be a tty)") }
        let driver = published?.driver ?? replay.events.last?.actor ?? replay.state.startedBy
        let follower = Follower(setup: setup, stateDir: state, run: replay.state, driver: driver)
        let wakeup: Wakeup
        do { wakeup = try Wakeup() } catch { throw Failure("cannot create the wake-up pipe: \(error)") }
        // A follower's log stays out of the driver's warroom.log: stderr is the screen, so it is silenced instead.
        try? ErrorLog.redirectStderr(to: "/dev/null")
        let exit = try ScreenLoop.run(follower, theme: startTheme, forceASCII: ascii, wakeup: wakeup)
        print("warroom: stopped following \(state)")
        if case .signal(let sig) = exit { Foundation.exit(128 + sig) }
    }
}

/// A read-only session: re-reads the journal when it grows and the driver's view file when it is replaced.
final class Follower: ScreenSession {
    var state: ConsoleState
    let stateDir: String
    var journalStamp: FileStamp?
    var viewStamp: FileStamp?

    init(setup: LoadedRun, stateDir: String, run: RunState, driver: String?) {
        self.stateDir = stateDir
        let engine = Engine(config: setup.config, session: Session(actor: "", role: .follower(driver: driver), stateDir: stateDir),
                            checklist: setup.checklist.checklist, run: run, now: Clock.now())
        state = ConsoleState(engine: engine, size: Size(width: 80, height: 24))
        journalStamp = FileStamp((stateDir as NSString).appendingPathComponent(Journal.fileName))
    }

    /// Four looks a second: a change shows within a second of the driver writing it.
    var waitCapMs: Int32 { 250 }

    func turn(now: Millis) {
        let js = FileStamp((stateDir as NSString).appendingPathComponent(Journal.fileName))
        if js != journalStamp {
            journalStamp = js
            if let r = try? Journal.replay(stateDir: stateDir) {
                _ = state.update(.engine(.reset(r.state, latest: r.events.last)))
            }
        }
        let vs = FileStamp(ViewFile.path(stateDir))
        if vs != viewStamp {
            viewStamp = vs
            if let v = ViewFile.read(stateDir: stateDir) {
                _ = state.update(.engine(.remoteView(v.telemetry, publishedAt: v.publishedAt)))
            }
        }
    }

    func intercept(_ key: Key) -> Bool { false }
    func perform(_ effect: ConsoleEffect) {}
    func log(_ line: String) {} // a follower writes nothing, its log included
}
