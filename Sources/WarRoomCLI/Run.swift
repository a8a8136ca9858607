import ArgumentParser
import Foundation
import WarRoomConfig
import WarRoomCore
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
        Ramp keys: g GO, n NO-GO, R rollback, G override (asks a reason), V rollback verified, x trip/clear a criterion.
        Keys: j/k move, space done/open, s skip, b block, u undo, / search, tab next pane, t theme, ? help, q quit.
        Every change is written to the journal and fsync'd before the screen shows it. Only one console (or
        `warroom check`) may drive a state directory; a second one fails naming the holder. Logs and stderr go to
        warroom.log in the state directory. The state directory is printed on exit.
        """
    )

    @Argument(help: "A warroom.yaml config.") var config: String?
    @Option(help: "The checklist (Markdown), when there is no config.") var checklist: String?
    @Option(help: "The run's state directory (default: .warroom/ beside the config or checklist).") var state: String?
    @Option(help: "Who is driving (default: $USER).") var actor: String?
    @Option(help: "Theme name (default, light, high-contrast, monochrome) or a theme file. Also WARROOM_THEME; NO_COLOR forces monochrome.")
    var theme: String?
    @Flag(help: "Draw with ASCII only (automatic when the locale is not UTF-8).") var ascii = false

    func validate() throws {
        if config == nil, checklist == nil { throw ValidationError("give a config or a checklist: warroom run warroom.yaml, or warroom run --checklist FILE") }
        if config != nil, checklist != nil { throw ValidationError("give a config or a checklist, not both (the config names its checklist)") }
        if let a = actor, a.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--actor cannot be empty") }
    }

    func run() throws {
        let setup: LoadedRun
        if let config { setup = try loadRunConfig(config) } else if let checklist { setup = try deriveRunConfig(checklistPath: checklist) } else {
            throw Failure("no checklist given")
        }
        try runConsole(setup, stateDir: state ?? defaultStateDir(beside: config ?? checklist ?? "."), actor: actor ?? defaultActor(),
                       theme: theme, ascii: ascii)
    }
}

/// Opens the console on a loaded run: the journal (taking the writer's lock), the terminal, the loop.
func runConsole(_ setup: LoadedRun, stateDir: String, actor who: String, theme: String?, ascii: Bool, demo: DemoHooks? = nil) throws {
    do {
        let loaded = setup.checklist
        let checklistPath = setup.config.checklist
        let env = ProcessInfo.processInfo.environment

        let startTheme: Theme
        switch ThemeLoader.resolve(theme, environment: env, searchDirs: themeSearchDirs()) {
        case .success(let t): startTheme = t
        case .failure(let e): throw Failure("\(e)")
        }
        let writer: JournalWriter
        do { writer = try JournalWriter.open(stateDir: stateDir, actor: who, now: Clock.now()) } catch {
            throw Failure("\(error)")
        }
        defer { writer.close() }
        guard Terminal.isTTY else { throw Failure("warroom run needs a terminal (stdin and stdout must be a tty)") }
        if writer.state.started == nil {
            do {
                try writer.append(.runStarted(RunStarted(checklist: checklistPath, checklistSHA256: loaded.sha256,
                                                         items: loaded.checklist.items.count, host: hostName(),
                                                         pid: Int32(ProcessInfo.processInfo.processIdentifier))),
                                  actor: who, time: Clock.now())
            } catch { throw Failure("cannot start the run: \(error)") }
        }

        do { try ErrorLog.redirectStderr(fd: try LogFile.open(stateDir: stateDir), name: LogFile.path(in: stateDir)) } catch {
            throw Failure("cannot open \(LogFile.path(in: stateDir)): \(error)")
        }
        log("console started: actor \(who), checklist \(checklistPath), pid \(ProcessInfo.processInfo.processIdentifier)")
        for w in writer.warnings { log("journal warning: \(w)") }
        if let torn = writer.recovered {
            log("cut off a torn last journal line \(torn.line) (\(torn.bytes) bytes)\(torn.savedTo.map { ", saved to \($0)" } ?? "")")
        }
        if let started = writer.state.started, started.checklistSHA256 != loaded.sha256 {
            log("checklist changed since the run started; orphaned state: \(writer.state.orphans(in: loaded.checklist))")
        }

        for n in setup.notes { log("derivation: \(n)") }
        let console = Console(writer: writer, setup: setup, stateDir: stateDir, actor: who, theme: startTheme,
                              forceASCII: ascii, demo: demo)
        let exit = try console.run()
        log("console stopped: \(exit)")
        // The follow-up commands as they can be pasted: the binary as it was invoked (it may not be on PATH).
        let me = CommandLine.arguments.first.map { $0.contains("/") ? $0 : "warroom" } ?? "warroom"
        print("warroom: state directory \(stateDir)")
        print("  \(me) status --checklist \(checklistPath) --state \(stateDir)")
        print("  \(me) verify --state \(stateDir)")
        if case .signal(let sig) = exit {
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

/// Results that arrive on other threads (hook exits, poll samples): queued here, taken by the loop after a wake-up.
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

/// The console's one loop: key presses, clock ticks, signals, hook results and poll samples meet here,
/// become actions for the reducer, and the rendered buffer is diffed onto the terminal.
final class Console: ScreenSession {
    typealias Exit = ScreenExit

    enum Incoming: Sendable {
        case hook(seq: Int, outcome: ProcessOutcome)
        case sample(Sample)
    }

    let writer: JournalWriter
    let stateDir: String
    let setup: LoadedRun
    var state: ConsoleState
    var theme: Theme
    let forceASCII: Bool
    let demo: DemoHooks?
    var inbox: Inbox<Incoming>?
    var live: Live?

    init(writer: JournalWriter, setup: LoadedRun, stateDir: String, actor: String, theme: Theme, forceASCII: Bool,
         demo: DemoHooks? = nil) {
        self.writer = writer
        self.stateDir = stateDir
        self.setup = setup
        self.theme = theme
        self.forceASCII = forceASCII
        self.demo = demo
        let config = setup.config.consoleConfig(actor: actor, driving: true, stateDir: stateDir, demo: demo != nil)
        state = ConsoleState(config: config, checklist: setup.checklist.checklist, run: writer.state,
                             contacts: setup.config.contacts, now: Clock.now(), size: Size(width: 80, height: 24),
                             themeName: theme.name)
    }

    /// Journals an event; the reducer hears whether it was saved.
    @discardableResult
    func append(_ body: EventBody) -> JournalEvent? {
        do {
            let event = try writer.append(body, actor: state.config.actor, time: Clock.now())
            if case .lightClear(let l) = body { live?.acknowledge(l.name, at: event.time, reason: l.reason ?? "") }
            _ = state.update(.saved(writer.state, event))
            return event
        } catch {
            log("NOT SAVED \(body.type): \(error)")
            _ = state.update(.notSaved("\(error)"))
            return nil
        }
    }

    /// A decision: journaled first, then (if it has one) its hook runs off this thread.
    func decide(_ proposed: RampDecision) {
        var d = proposed
        let config = setup.config
        var template: [String]?
        if d.hook != nil { template = d.kind == .rollback ? config.rollbackHook : config.apply }
        var values: [String: String] = [
            "percent": String(d.to), "previous": String(d.from), "service": config.service, "actor": state.config.actor,
            "step": config.plan.stepIndex(at: d.to).map { String($0 + 1) } ?? "0",
        ]
        if let template { d.hook = HookTemplate.expand(template, values: values) } else { d.hook = nil }
        guard let event = append(.rampDecision(d)), let argv = d.hook, let inbox else { return }
        values["kind"] = d.kind.rawValue
        values["state_dir"] = stateDir
        values["run"] = writer.state.runID ?? ""
        let spec = ProcessSpec(argv: argv, environment: HookTemplate.environment(values: values),
                               workingDirectory: config.hookDirectory, timeoutMs: config.hookTimeoutMs)
        log("hook for seq \(event.seq) (\(d.kind.rawValue) \(d.from) → \(d.to) %): \(argv)")
        let seq = event.seq
        ProcessRunner.start(spec) { outcome in inbox.post(.hook(seq: seq, outcome: outcome)) }
    }

    func take(_ incoming: Incoming) {
        switch incoming {
        case .sample(let sample):
            guard let live else { return }
            apply(live.take(sample, now: Clock.now()))
        case .hook(let seq, let o):
            log("hook for seq \(seq): \(o.summary) in \(o.durationMs) ms\(o.tail.isEmpty ? "" : "; last output: \(o.tail.suffix(3))")")
            append(.hookResult(HookResult(decision: seq, ok: o.ok, summary: o.summary, tail: Array(o.tail.suffix(5)),
                                          durationMs: o.durationMs)))
        }
    }

    /// Journals telemetry's verdict changes, and rolls back by itself where a tripped criterion says `auto: true`.
    func apply(_ outcome: Live.Outcome) {
        for e in outcome.events {
            if case .lightTrip(let l) = e { log("criterion tripped: \(l.name) — \(l.detail ?? "")") }
            append(e)
        }
        for name in outcome.autoRollback {
            guard let d = state.automaticRollback(reason: "automatic: “\(name)” tripped (auto: true)") else { continue }
            log("automatic rollback: \(name) tripped")
            decide(d)
        }
    }

    func run() throws -> Exit {
        let wakeup: Wakeup
        do { wakeup = try Wakeup() } catch { throw Failure("cannot create the wake-up pipe: \(error)") }
        let inbox = Inbox<Incoming>(wakeup: wakeup)
        self.inbox = inbox
        // A hook that was running when a previous console stopped: its outcome is unknown, and the ramp did not move.
        if let p = writer.state.pendingDecision {
            let d = writer.state.decisions[p]
            append(.hookResult(HookResult(decision: d.seq, ok: false,
                                          summary: "outcome unknown: the console stopped while the hook ran — check the traffic by hand",
                                          durationMs: Clock.now() - d.time)))
        }
        let live = try Live(config: setup.config, run: writer.state, now: Clock.now(),
                            environment: ProcessInfo.processInfo.environment,
                            deliver: { sample in inbox.post(.sample(sample), wake: false) })
        self.live = live
        let firstView = live.view(now: Clock.now())
        _ = state.update(.telemetry(firstView))
        publish(firstView, now: Clock.now()) // followers started with the driver find the config at once
        live.start()
        defer { live.stop() }
        return try ScreenLoop.run(self, theme: theme, forceASCII: forceASCII, wakeup: wakeup)
    }

    // MARK: ScreenSession

    var waitCapMs: Int32 { 1000 }

    func turn(now: Millis) {
        for item in inbox?.take() ?? [] { take(item) }
        guard let live else { return }
        apply(live.tick(now: now))
        let view = live.view(now: now)
        _ = state.update(.telemetry(view))
        publish(view, now: now)
    }

    var lastPublished: Millis = 0
    var publishFailed = false

    /// Followers read the driver's view from the state directory, at most once a second.
    func publish(_ view: TelemetryView, now: Millis) {
        guard now - lastPublished >= 1_000 else { return }
        lastPublished = now
        let config = setup.config.path.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
        let checklist = setup.config.checklist.hasPrefix("/") ? setup.config.checklist
            : FileManager.default.currentDirectoryPath + "/" + setup.config.checklist
        do {
            try ViewFile.publish(PublishedView(publishedAt: now, driver: state.config.actor,
                                               pid: ProcessInfo.processInfo.processIdentifier, config: config,
                                               checklist: checklist, telemetry: view), stateDir: stateDir)
            if publishFailed { log("view for followers published again") }
            publishFailed = false
        } catch {
            if !publishFailed { log("cannot publish the view for followers: \(error)") }
            publishFailed = true
        }
    }

    func intercept(_ key: Key) -> Bool { false }

    func perform(_ effect: ConsoleEffect) {
        switch effect {
        case .append(let body): append(body)
        case .decide(let d): decide(d)
        case .cycleFault: if let demo { _ = state.update(.notice(demo.cycleFault(), .warn)) }
        case .cycleTheme, .redraw, .quit: break
        }
    }
}
