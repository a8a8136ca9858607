import ArgumentParser
import Foundation
import WarRoomConfig
import WarRoomCore
import WarRoomEtcd
import WarRoomStore
import WarRoomTerminal
import WarRoomUI

/// The driver's current view of sources, gauges and lights, published for followers (`ViewFile`: `view.json` in
/// the state directory), replaced atomically at most once a second.
struct PublishedView: Codable {
    var publishedAt: Millis
    var driver: String
    var pid: Int32
    /// The config the driver runs (absolute), so `warroom follow --state DIR` needs nothing else.
    var config: String?
    var checklist: String
    var telemetry: TelemetryView
}

struct Follow: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch a run (read-only, or --crew to tick items): the same panes, live, for anyone who is not driving.",
        discussion: """
        Opens the journal read-only and never takes the writer's lock, so it cannot write, even by accident: keys that
        would change the run answer "read-only — <actor> is driving". Gauges and lights come from the view the driving
        console publishes in the state directory (view.json, at most once a second); the header shows its age and
        turns grey when the driver stops publishing. Works over a shared filesystem and over ssh (ssh -t host warroom
        follow --state DIR). The config and checklist default to the ones the driver runs.
        With --crew (and --actor NAME, default $SUDO_USER, else your account name, else $USER) the console works the
        checklist beside the driver: space, s, b, u and S (sign off) append to the journal like `warroom check` (no lease needed),
        each shown once it is saved; ramp decisions and criteria answer "<driver> drives — crew can tick items, not
        decide". The header says CREW · NAME.
        """
    )

    @Option(help: "The run's state directory.") var state: String?
    @Option(help: storeHelp) var store: String?
    @OptionGroup(title: "etcd access") var access: StoreAccessOptions
    @Option(help: "The run's warroom.yaml (default: the one the driver publishes).") var config: String?
    @Option(help: "The checklist, when there is no config.") var checklist: String?
    @Option(help: "Theme name or file.") var theme: String?
    @Flag(help: "Draw with ASCII only.") var ascii = false
    @Flag(help: "Work the checklist as crew: tick, skip, block and undo items (journaled, no lease); ramp decisions and criteria stay the driver's.")
    var crew = false
    @OptionGroup var head: HeadAcceptance
    @Option(help: "With --crew: who you are (default: $SUDO_USER, else your account name, else $USER).") var actor: String?

    func validate() throws {
        if actor != nil, !crew { throw ValidationError("--actor goes with --crew (a read-only follower writes nothing)") }
        try validateActor(actor)
        if state == nil, store == nil { throw ValidationError("give --state DIR or --store etcd://HOST:PORT/PREFIX") }
    }

    func run() throws {
        let location = try StoreLocation.resolve(state: state, store: store, access: access)
        let state = location.label
        guard try location.hasRun() else {
            throw Failure("\(state): no journal here yet (is the driver running with \(location.isEtcd ? "--store" : "--state") \(state)?)")
        }
        let published = location.readView()
        // Crew: the writer opens first, so the tail opened next starts at or after it (the console's run is then
        // never behind what the writer hands back with its acknowledgements).
        let who = actor ?? defaultActor()
        var writer: RunJournal?
        if crew {
            writer = try location.openWriter(actor: who, now: Clock.now(), acceptDamagedHead: head.reason)
        }
        defer { writer?.close() }
        let opened = try location.openTail()
        let replay = opened.read
        let setup: LoadedRun
        if let config { setup = try loadRunConfig(config) } else if let checklist { setup = try deriveRunConfig(checklistPath: checklist) }
        else if let recorded = try recordedRun(store: location, run: replay.state) { setup = recorded }
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
        let wakeup: Wakeup
        do { wakeup = try Wakeup() } catch { throw Failure("cannot create the wake-up pipe: \(error)") }
        let follower = Follower(setup: setup, stateDir: state, run: replay.state, driver: driver, tail: opened.tail as? JournalTail,
                                crew: writer.map { (writer: $0, actor: who, wakeup: wakeup) })
        if case .etcd(let url, let local) = location, let tail = opened.tail as? EtcdTail {
            // etcd: a watch off the screen thread; the first view is the one read above. Its log (the watch opened,
            // reopened, given up for polling, outages) goes to LOCAL/follow.log: a follower's stderr is the screen.
            follower.remote = RemoteFeed(tail: tail, url: url, store: location, wakeup: wakeup, log: RemoteFeed.logFile(localDir: local))
            if let published { _ = follower.state.update(.engine(.remoteView(published.telemetry, publishedAt: published.publishedAt, driver: published.driver))) }
            follower.remote?.start()
        }
        defer { follower.remote?.stop() }
        // A follower's log stays out of the driver's warroom.log: stderr is the screen, so it is silenced instead.
        try? ErrorLog.redirectStderr(to: "/dev/null")
        let exit = try ScreenLoop.run(follower, theme: startTheme, forceASCII: ascii, wakeup: wakeup)
        follower.runner?.drain() // every append handed over is written before the journal closes
        say("warroom: stopped following \(state)")
        if case .signal(let sig) = exit { Foundation.exit(128 + sig) }
    }
}

/// A follower: reads the lines appended to the journal (`JournalTail`) and the driver's view file when it is
/// replaced. Read-only, or crew (`--crew`): then checklist changes go to an effect runner that appends them (crew
/// entries need no lease) off the screen thread and answers through the inbox, as the driver's console does.
final class Follower: ScreenSession {
    var state: ConsoleState
    let stateDir: String
    /// Where the journal was read up to; nil after damage (or with no reader yet): then the whole journal is read
    /// again, once its file changes.
    var tail: JournalTail?
    var journalStamp: FileStamp?
    var viewStamp: FileStamp?
    /// The journal failed to verify: its damage is on screen until it reads again.
    var damaged = false
    /// Crew only: the runner that appends, and the inbox its answers come back through.
    var runner: EffectRunner?
    var inbox: Inbox<Action>?
    /// A run in etcd: its looks (journal and view), taken from a background reader.
    var remote: RemoteFeed?

    init(setup: LoadedRun, stateDir: String, run: RunState, driver: String?, tail: JournalTail? = nil,
         crew: (writer: RunJournal, actor: String, wakeup: Wakeup)? = nil) {
        self.stateDir = stateDir
        self.tail = tail
        let session = crew.map { Session(actor: $0.actor, role: .crew(driver: driver), stateDir: stateDir) }
            ?? Session(actor: "", role: .follower(driver: driver), stateDir: stateDir)
        if let crew {
            let inbox = Inbox<Action>(wakeup: crew.wakeup)
            self.inbox = inbox
            runner = EffectRunner(writer: crew.writer, actor: crew.actor, view: nil) { inbox.post($0) }
        }
        let engine = Engine(config: setup.config, session: session,
                            checklist: setup.checklist.checklist, run: run, now: Clock.now())
        state = ConsoleState(engine: engine, size: Size(width: 80, height: 24))
        journalStamp = FileStamp(Journal.path(in: stateDir))
    }

    /// Four looks a second: a change shows within a second of the driver writing it.
    var waitCapMs: Int32 { 250 }

    func turn(now: Millis) {
        // Crew: acknowledgements first (each after the other writers' entries its append caught up on). While an
        // own append is on its way the tail waits, so the console's own line arrives as its acknowledgement, not
        // as another writer's entry; the engine skips what it already has, by seq.
        for action in inbox?.take() ?? [] {
            for e in state.update(.engine(action)) { perform(e) }
        }
        if let remote {
            let got = remote.take(events: !state.saving)
            if !got.events.isEmpty { _ = state.update(.engine(.merged(got.events))) }
            if let v = got.view { _ = state.update(.engine(.remoteView(v.telemetry, publishedAt: v.publishedAt, driver: v.driver))) }
            for n in got.notices { _ = state.update(.engine(.notice(n))) }
            return
        }
        if !state.saving { followJournal() }
        let lease = Self.leaseText((try? DriverLease.read(stateDir: stateDir)) ?? nil, now: now)
        if lease != state.leaseDriver { _ = state.update(.driverLease(lease)) }
        let vs = FileStamp(ViewFile.path(in: stateDir))
        if vs != viewStamp {
            viewStamp = vs
            if let v = ViewFile.read(PublishedView.self, stateDir: stateDir) {
                _ = state.update(.engine(.remoteView(v.telemetry, publishedAt: v.publishedAt, driver: v.driver)))
            }
        }
    }

    /// New lines: only those appended since the last look. Damage (the journal cut or rewritten under us): read
    /// the whole journal again once the file changes, and keep showing the last good state until it verifies.
    func followJournal() {
        if let t = tail {
            do {
                let new = try t.poll()
                // The engine applies the new entries itself: the cost of a look does not grow with the journal.
                if !new.isEmpty { _ = state.update(.engine(.merged(new))) }
                return
            } catch {
                // Read again only once the file changes after this: the damage stays on screen until then.
                tail = nil
                journalStamp = FileStamp(Journal.path(in: stateDir))
                damaged = true
                _ = state.update(.engine(.notice(Notice("journal unreadable: \(error) — showing the last good state", .error,
                                                        sticky: true))))
                return
            }
        }
        let js = FileStamp(Journal.path(in: stateDir))
        guard js != journalStamp else { return }
        journalStamp = js
        if let opened = try? JournalTail.open(stateDir: stateDir) {
            tail = opened.tail
            let before = state.run.lastSeq
            _ = state.update(.engine(.reset(opened.replay.state, latest: opened.replay.events.last)))
            if damaged, opened.replay.state.lastSeq >= before {
                _ = state.update(.engine(.notice(Notice("journal readable again (\(opened.replay.lineCount) entries)", .info))))
            }
            damaged = false
        }
    }

    /// The header's words for the lease: "dana drives", "nobody drives (dana quit at 12:00:03Z)", or for a lease
    /// nobody renews "nobody drives (dana's lease lapsed at …)"; nil without a lease file.
    static func leaseText(_ lease: LeaseRecord?, now: Millis) -> String? {
        guard let l = lease else { return nil }
        if l.released { return "nobody drives (\(l.actor) quit at \(Timestamp.hms(l.heartbeat))Z)" }
        if l.heartbeat + l.ttlMs < now {
            return "nobody drives (\(l.actor)'s lease lapsed at \(Timestamp.hms(l.heartbeat + l.ttlMs))Z)"
        }
        return "\(l.actor) drives"
    }

    func intercept(_ key: Key) -> Bool { false }

    func perform(_ effect: ConsoleEffect) {
        // Read-only: there is no runner, and the engine asks for no append (it refuses every change first).
        if case .command(let c) = effect, case .append = c { runner?.run(c) }
    }

    func log(_ line: String) {} // a follower's log goes nowhere: its stderr is the screen
}
