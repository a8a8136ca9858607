import ArgumentParser
import Foundation
import WarRoomConfig
import WarRoomCore
import WarRoomEtcd
import WarRoomStore
import WarRoomTelemetry
import WarRoomTerminal
import WarRoomUI

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the war-room console (the incident commander's screen) on a config or a checklist.",
        discussion: """
        warroom run warroom.yaml uses the config's ramp, hooks, rollback criteria and SLOs; warroom run --checklist FILE
        derives them from the checklist's text (as warroom init --from writes them), with no hooks: a tracker.
        Ramp keys: g GO, n NO-GO, R rollback, G override (asks a reason), V rollback verified, x trip/clear a criterion,
        D hand over driving (asks the next driver's name; they accept with --take-over).
        Keys: j/k move, space done/open, s skip, b block, u undo, / search, tab next pane, t theme, ? help, q quit.
        Every change is written to the journal and fsync'd before the screen shows it. Only one console drives a
        state directory: it holds the driver lease (renewed every 2 s, expiring 10 s after the last renewal); a
        second one fails naming the holder. `warroom check` may append while it runs. Logs and stderr go to
        warroom.log in the state directory. The state directory is printed on exit.
        """
    )

    @Argument(help: "A warroom.yaml config.") var config: String?
    @Option(help: "The checklist (Markdown), when there is no config.") var checklist: String?
    @Option(help: "The run's state directory (default: .warroom/ beside the config or checklist); with --store etcd://…, the local directory for the log (default ./.warroom-etcd-PREFIX).") var state: String?
    @Option(help: storeHelp) var store: String?
    @OptionGroup(title: "etcd access") var access: StoreAccessOptions
    @Option(help: "Who is driving (default: $SUDO_USER, else your account name, else $USER).") var actor: String?
    @Option(help: "Theme name (default, light, high-contrast, monochrome) or a theme file. Also WARROOM_THEME; NO_COLOR forces monochrome.")
    var theme: String?
    @Flag(help: "Draw with ASCII only (automatic when the locale is not UTF-8).") var ascii = false
    @Option(name: .customLong("take-over"), help: ArgumentHelp(
        "Drive a run whose driver's lease has expired (its laptop died, kill -9), or whose driver offered you driving (D in its console): the reason is journaled with the hand-over.",
        valueName: "REASON"))
    var takeOver: String?
    @Option(help: "Share a new state directory with this Unix group (directory 2770, files 0660), so its members can `check` and `sign`.")
    var group: String?
    @OptionGroup var head: HeadAcceptance

    func validate() throws {
        if config == nil, checklist == nil { throw ValidationError("give a config or a checklist: warroom run warroom.yaml, or warroom run --checklist FILE") }
        if config != nil, checklist != nil { throw ValidationError("give a config or a checklist, not both (the config names its checklist)") }
        try validateActor(actor)
        if let r = takeOver, r.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--take-over needs a reason") }
    }

    func run() throws {
        let setup: LoadedRun
        if let config { setup = try loadRunConfig(config) } else if let checklist { setup = try deriveRunConfig(checklistPath: checklist) } else {
            throw Failure("no checklist given")
        }
        // --group wins over the config's `group:`.
        let sharing = try groupSharing(group ?? setup.config.group)
        // --store wins over the config's `store:`; a state directory stays the default.
        let store = self.store ?? setup.config.store
        // The config's store settings (TLS files, user) go with the config's store.
        let location = try StoreLocation.resolve(state: state ?? (store == nil ? defaultStateDir(beside: config ?? checklist ?? ".") : nil), store: store,
                                                 access: access, config: self.store == nil ? setup.config.storeAccess : nil)
        try runConsole(setup, store: location, actor: actor ?? defaultActor(),
                       theme: theme, ascii: ascii, sharing: sharing, takeOver: takeOver,
                       acceptDamagedHead: head.reason)
    }
}

/// Opens the console on a loaded run: the journal (taking the writer's lock), the terminal, the loop.
func runConsole(_ setup: LoadedRun, stateDir: String, actor who: String, theme: String?, ascii: Bool, demo: DemoHooks? = nil,
                sharing: gid_t? = nil, takeOver: String? = nil, acceptDamagedHead: String? = nil) throws {
    try runConsole(setup, store: .directory(stateDir), actor: who, theme: theme, ascii: ascii, demo: demo, sharing: sharing,
                   takeOver: takeOver, acceptDamagedHead: acceptDamagedHead)
}

/// `runConsole` on any store: on etcd the journal, lease, view and checklist copies are under the prefix, and the
/// log is in the store's local directory.
func runConsole(_ setup: LoadedRun, store: StoreLocation, actor who: String, theme: String?, ascii: Bool, demo: DemoHooks? = nil,
                sharing: gid_t? = nil, takeOver: String? = nil, acceptDamagedHead: String? = nil) throws {
    let stateDir = store.label
    let logDir = store.localDir
    do {
        let loaded = setup.checklist
        let checklistPath = setup.config.checklist
        let env = ProcessInfo.processInfo.environment

        let startTheme: Theme
        switch ThemeLoader.resolve(theme, environment: env, searchDirs: themeSearchDirs()) {
        case .success(let t): startTheme = t
        case .failure(let e): throw Failure("\(e)")
        }
        let writer = try store.openWriter(actor: who, now: Clock.now(), sharing: sharing, acceptDamagedHead: acceptDamagedHead)
        var holder: LeaseKeeper?
        defer {
            if let holder, holder.lease != nil { try? holder.release(now: wallClockNow()) }
            writer.close()
        }
        let grant: LeaseGrant
        // Whoever drove last (released or not): phases overdue by its last heartbeat were its to announce.
        let lastHeartbeat = (try? lastDriver(store, writer: writer))??.heartbeat
        // WARROOM_LEASE_TTL_MS: a shorter lease life, for tests of take-over after a driver dies.
        let ttl = env["WARROOM_LEASE_TTL_MS"].flatMap { Int64($0) }.flatMap { $0 >= 1000 ? $0 : nil } ?? DriverLease.defaultTTLMs
        do {
            // A driver whose lease expired without being released (its laptop died, kill -9) is replaced only on
            // purpose, with a reason the journal keeps.
            if takeOver == nil, let last = try lastDriver(store, writer: writer), !last.released {
                if store.isEtcd || !last.isLive(at: wallClockNow()) { // on etcd: its lease key is gone
                    throw Failure("\(stateDir): \(last.holderText(at: wallClockNow())) stopped renewing the driver lease; nobody drives. "
                                  + "To drive this run: warroom run … --take-over \"REASON\"")
                }
                if last.isOffered(to: who) {
                    throw Failure("\(stateDir): \(last.actor) offers you driving: add --take-over REASON to accept "
                                  + "(warroom run … --take-over \"REASON\"); \(last.actor) drives until you do")
                }
            }
            if let takeOver {
                grant = try writer.takeOverLease(reason: takeOver, now: wallClockNow(), ttlMs: ttl)
            } else {
                grant = try writer.acquireLease(now: wallClockNow(), ttlMs: ttl)
            }
            if let etcd = writer as? EtcdJournal { holder = EtcdLeaseKeeper(journal: etcd) } else {
                holder = try LeaseHolder(stateDir: stateDir, actor: who, lease: grant.lease)
            }
        } catch let f as Failure { throw f } catch { throw Failure("cannot drive: \(error)") }
        guard Terminal.isTTY else { throw Failure("warroom run needs a terminal (stdin and stdout must be a tty)") }
        if writer.state.started == nil {
            do {
                try writer.append(.runStarted(RunStarted(checklist: checklistPath, checklistSHA256: loaded.sha256,
                                                         items: loaded.checklist.items.count, host: hostName(),
                                                         pid: Int32(ProcessInfo.processInfo.processIdentifier))),
                                  actor: who, time: Clock.now())
            } catch is ReduceError where writer.state.started != nil {
                // A `warroom check` started the run between our look and our append: it is started.
            } catch { throw Failure("cannot start the run: \(error)") }
        }

        if store.isEtcd {
            // The local directory for the log, as private as a state directory.
            do { try FileManager.default.createDirectory(atPath: logDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
                throw Failure("cannot create \(logDir) (the console's log directory): \(error.localizedDescription)")
            }
        }
        do { try ErrorLog.redirectStderr(fd: try LogFile.open(stateDir: logDir), name: LogFile.path(in: logDir)) } catch {
            throw Failure("cannot open \(LogFile.path(in: logDir)): \(error)")
        }
        log("console started: actor \(who), checklist \(checklistPath), pid \(ProcessInfo.processInfo.processIdentifier)"
            + (store.isEtcd ? ", store \(stateDir)" : ""))
        for w in (writer as? JournalWriter)?.warnings ?? [] { log("journal warning: \(w)") }
        if let torn = (writer as? JournalWriter)?.recovered {
            log("cut off a torn last journal line \(torn.line) (\(torn.bytes) bytes)\(torn.savedTo.map { ", saved to \($0)" } ?? "")")
        }
        if let started = writer.state.started, started.checklistSHA256 != loaded.sha256 {
            log("checklist changed since the run started; orphaned state: \(writer.state.orphans(in: loaded.checklist))")
        }

        log("driver lease token \(grant.lease.token) taken")
        if let previous = grant.previous {
            log("took the driver lease over from \(previous.holderText(at: grant.lease.since)) ("
                + (grant.offered ? "offered to \(who); " : "expired; ")
                + "\(grant.gapMs.map { "\($0 / 1000) s" } ?? "?") without a driver)")
        }
        var news: JournalEvent? // the hand-over, or the offer that lapsed: the console opens saying so
        if let takeOver {
            // The hand-over, journaled under the new lease: who drove, who drives, why, and how long nobody did.
            do {
                news = try writer.append(.handover(Handover(from: grant.previous?.actor, to: who, reason: takeOver, gapMs: grant.gapMs,
                                                                offered: grant.offered ? true : nil)),
                                  actor: who, time: Clock.now())
            } catch { throw Failure("cannot journal the hand-over: \(error)") }
        }
        if news == nil, let offer = writer.state.driverOffer {
            // An offer lives on the lease it was made on: a new lease (its driver quit, or restarted) lapses it.
            do {
                news = try writer.append(.driverOffer(DriverOffer(to: nil, note: "\(offer.from)'s offer to \(offer.to) lapsed: a new driver lease")),
                                  actor: who, time: Clock.now())
            } catch { throw Failure("cannot journal that the offer to \(offer.to) lapsed: \(error)") }
        }
        for n in setup.notes { log("derivation: \(n)") }
        try recordConfig(setup, writer: writer, store: store, actor: who)
        let console = Console(writer: writer, lease: holder, setup: setup, store: store, actor: who, theme: startTheme,
                              forceASCII: ascii, demo: demo, announcedUntil: grant.previous?.heartbeat ?? lastHeartbeat)
        if let news {
            _ = console.state.update(.engine(.notice(Notice(console.state.engine.describe(news), .warn))))
            console.announce = news // the hand-over goes to the notify: targets once the effect runner is up
        }
        let exit = try console.run()
        log("console stopped: \(exit)")
        // The follow-up commands as they can be pasted: the binary as it was invoked (it may not be on PATH).
        let me = CommandLine.arguments.first.map { $0.contains("/") ? $0 : "warroom" } ?? "warroom"
        if store.isEtcd {
            say("warroom: store \(stateDir) (log in \(LogFile.path(in: logDir)))")
            say("  \(me) status --store \(stateDir)")
            say("  \(me) verify --store \(stateDir)")
        } else {
            say("warroom: state directory \(stateDir)")
            say("  \(me) status --checklist \(checklistPath) --state \(stateDir)")
            say("  \(me) verify --state \(stateDir)")
        }
        if case .signal(let sig) = exit {
            if let holder, holder.lease != nil { try? holder.release(now: wallClockNow()) }
            writer.close()
            Foundation.exit(128 + sig)
        }
    }
}

func defaultStateDir(beside path: String) -> String {
    let dir = (path as NSString).deletingLastPathComponent
    return ((dir.isEmpty ? "." : dir) as NSString).appendingPathComponent(".warroom")
}

func themeSearchDirs() -> [String] {
    var dirs = ["themes"]
    let env = ProcessInfo.processInfo.environment
    let config = env["XDG_CONFIG_HOME"] ?? ((env["HOME"] ?? "") + "/.config")
    dirs.append(config + "/warroom/themes")
    return dirs
}

func log(_ line: String) {
    writeStderr(LogFile.line(line, at: Clock.now()))
}

/// Journals the effective config when it is new to the run (at its start, or changed since the last console), so the
/// state directory describes its own run.
func recordConfig(_ setup: LoadedRun, writer: RunJournal, store: StoreLocation, actor: String) throws {
    let record = RunConfigRecord(config: setup.config.redactingCredentials(), checklistSHA256: setup.checklist.sha256)
    do { try store.keepChecklist(setup.checklist.bytes) } catch {
        throw Failure("cannot keep a copy of the checklist \(store.isEtcd ? "in etcd" : "in the state directory"): \(error)")
    }
    guard writer.state.config != record else { return }
    do { try writer.append(.runConfig(record), actor: actor, time: Clock.now()) } catch {
        throw Failure("cannot record the run's config: \(error)")
    }
}

/// Results that arrive on other threads (journal acknowledgements, hook exits, poll readings): queued here, taken by
/// the loop after a wake-up.
final class Inbox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T] = []
    private let wakeup: Wakeup

    init(wakeup: Wakeup) { self.wakeup = wakeup }

    /// `wake: false` leaves the item for the loop's next turn (at most a second away): poll samples do not
    /// each cost a frame.
    func post(_ item: T, wake: Bool = true) {
        lock.lock()
        items.append(item)
        lock.unlock()
        if wake { wakeup.wake() }
    }

    func take() -> [T] {
        lock.lock()
        defer { lock.unlock() }
        let out = items
        items = []
        return out
    }
}

/// What `warroom demo` adds to the console: the simulated service's fault switch.
struct DemoHooks {
    var cycleFault: () -> String
}

/// The driving console: the engine's commands go to the effect runner (journal, hooks, view, log), whose answers and
/// the poller's readings come back through the inbox as actions. The screen thread only reduces and draws.
final class Console: ScreenSession {
    let stateDir: String
    let store: StoreLocation
    let setup: LoadedRun
    var state: ConsoleState
    var theme: Theme
    let forceASCII: Bool
    let demo: DemoHooks?
    let writer: RunJournal
    let lease: LeaseKeeper?
    var inbox: Inbox<Action>?
    var runner: EffectRunner?
    /// An entry journaled before the console opened (the take-over's hand-over), for the `notify:` targets.
    var announce: JournalEvent?

    init(writer: RunJournal, lease: LeaseKeeper? = nil, setup: LoadedRun, store: StoreLocation, actor: String, theme: Theme, forceASCII: Bool,
         demo: DemoHooks? = nil, announcedUntil: Millis? = nil) {
        self.writer = writer
        self.lease = lease
        self.store = store
        let stateDir = store.label
        self.stateDir = stateDir
        self.setup = setup
        self.theme = theme
        self.forceASCII = forceASCII
        self.demo = demo
        let engine = Engine(config: setup.config, session: Session(actor: actor, role: .driver, stateDir: stateDir, demo: demo != nil,
                                                                   announcedUntil: announcedUntil),
                            checklist: setup.checklist.checklist, run: writer.state, now: Clock.now())
        state = ConsoleState(engine: engine, size: Size(width: 80, height: 24), themeName: theme.name)
    }

    func run() throws -> ScreenExit {
        let wakeup: Wakeup
        do { wakeup = try Wakeup() } catch { throw Failure("cannot create the wake-up pipe: \(error)") }
        let inbox = Inbox<Action>(wakeup: wakeup)
        self.inbox = inbox
        // Hooks and command sources: an allow-list environment, and every secret warroom knows taken out of what they
        // (and servers) send back, before it becomes an action.
        let environment = ProcessInfo.processInfo.environment
        let children = childProcesses(config: setup.config, environment: environment, storeSecrets: store.secrets)
        let runner = EffectRunner(writer: writer, actor: state.config.actor, lease: lease, children: children,
                                  view: viewPublisher()) { inbox.post($0) }
        self.runner = runner
        if let t = setup.config.traffic {
            do {
                runner.traffic = TrafficRunner(adapter: try Traffic.adapter(for: t, steps: setup.config.plan.steps.map(\.percent), children: children), everyMs: t.checkEveryMs) { inbox.post($0) }
            } catch { throw Failure("ramp.traffic (line \(t.line)): \(error)") }
        }
        runner.notifier = makeNotifier(config: setup.config, environment: environment, children: children) { inbox.post($0) }
        let poller = try makePoller(config: setup.config, environment: environment, children: children) { reading in
            inbox.post(.reading(reading), wake: false)
        }
        for e in state.update(.engine(.start(Clock.now()))) { perform(e) }
        if let news = announce { for e in state.update(.engine(.announce(news))) { perform(e) } }
        poller?.start()
        runner.startHeartbeat()
        runner.traffic?.start()
        defer {
            runner.traffic?.stop()
            poller?.stop()
            runner.stopHeartbeat()
            finish(inbox: inbox, runner: runner)
        }
        return try ScreenLoop.run(self, theme: theme, forceASCII: forceASCII, wakeup: wakeup)
    }

    /// Closing: every append asked for is written (or has failed) and its acknowledgement handled before the journal
    /// closes; a decision acknowledged now starts no hook (the engine journals it as not run).
    func finish(inbox: Inbox<Action>, runner: EffectRunner) {
        _ = state.update(.engine(.stop))
        // A hook still running is ended with the console (its whole process group), and its end is journaled: a
        // hook left behind could move traffic after the next console decided otherwise.
        if runner.hooksRunning {
            log("ending the running hook's process group: the console is closing")
            runner.cancelHooks()
            let deadline = monotonicNS() + 4_000_000_000
            while runner.hooksRunning, monotonicNS() < deadline { usleep(20_000) }
        }
        // The last messages (a GO just before quitting) and every retry waiting out its backoff get a try now; what
        // is still not delivered after that is journaled as given up on (below, with the other answers).
        if let notifier = runner.notifier {
            notifier.close()
            if !notifier.drain(timeoutMs: 3_000) { notifier.abandon() }
        }
        for _ in 0..<16 {
            runner.drain()
            let actions = inbox.take()
            if actions.isEmpty, !state.saving { break }
            for action in actions {
                if case .reading = action { continue }
                for e in state.update(.engine(action)) { perform(e) }
            }
        }
        runner.drain()
    }

    /// Followers read the driver's view from the state directory: the config and checklist it runs, absolute.
    func viewPublisher() -> @Sendable (TelemetryView, Millis) throws -> Void {
        let cwd = FileManager.default.currentDirectoryPath
        let config = setup.config.path.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 }
        let checklist = setup.config.checklist.hasPrefix("/") ? setup.config.checklist : cwd + "/" + setup.config.checklist
        let driver = state.config.actor
        let pid = ProcessInfo.processInfo.processIdentifier
        let publish = store.viewPublisher()
        return { view, now in
            try publish(PublishedView(publishedAt: now, driver: driver, pid: pid, config: config, checklist: checklist, telemetry: view))
        }
    }

    // MARK: ScreenSession

    var waitCapMs: Int32 { 1000 }

    func turn(now: Millis) {
        for action in inbox?.take() ?? [] {
            for e in state.update(.engine(action)) { perform(e) }
        }
    }

    func intercept(_ key: Key) -> Bool { false }

    func log(_ line: String) { runner?.run(.log(line)) }

    func perform(_ effect: ConsoleEffect) {
        switch effect {
        case .command(let c): runner?.run(c)
        case .cycleFault: if let demo { _ = state.update(.engine(.notice(Notice(demo.cycleFault(), .warn)))) }
        case .saveUpdate(let text):
            // Off the screen thread; the path (or why not) comes back as a notice.
            let dir = UpdateDraftFile.directory(for: store)
            let now = Clock.now()
            DispatchQueue.global().async { [inbox] in
                do {
                    let path = try UpdateDraftFile.save(text, in: dir, now: now)
                    inbox?.post(.notice(Notice("stakeholder update saved to \(path)", .info)))
                } catch {
                    inbox?.post(.notice(Notice("update not saved: \(error)", .error, sticky: true)))
                }
            }
        case .cycleTheme, .redraw, .quit: break
        }
    }
}

/// The last driver's lease record (nil: nobody drove yet), from the state directory or etcd. On etcd a live lease is
/// the lease key (its holder is named by `acquireLease`); `lease-last` tells a driver that stopped renewing.
func lastDriver(_ store: StoreLocation, writer: RunJournal) throws -> LeaseRecord? {
    switch store {
    case .directory(let d): return try DriverLease.read(stateDir: d)
    case .etcd:
        guard let etcd = writer as? EtcdJournal else { return nil }
        if try etcd.currentLease(now: wallClockNow()) != nil { return nil } // live: acquireLease names the holder
        return try etcd.lastLease()
    }
}
