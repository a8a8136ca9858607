import ArgumentParser
import Foundation
import WarRoomCore
import WarRoomStore
import WarRoomTerminal
import WarRoomUI

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the war-room console on a checklist (the incident commander's screen).",
        discussion: """
        Keys: j/k move, space done/open, s skip, b block, u undo, / search, tab next pane, t theme, ? help, q quit.
        Every change is written to the journal and fsync'd before the screen shows it. Only one console (or
        `warroom check`) may drive a state directory; a second one fails naming the holder. Logs and stderr go to
        warroom.log in the state directory. The state directory is printed on exit.
        """
    )

    @Argument(help: "A warroom.yaml config (not understood by this version: use --checklist).") var config: String?
    @Option(help: "The checklist (Markdown).") var checklist: String?
    @Option(help: "The run's state directory (default: .warroom/ beside the checklist).") var state: String?
    @Option(help: "Who is driving (default: $USER).") var actor: String?
    @Option(help: "Theme name (default, light, high-contrast, monochrome) or a theme file. Also WARROOM_THEME; NO_COLOR forces monochrome.")
    var theme: String?
    @Flag(help: "Draw with ASCII only (automatic when the locale is not UTF-8).") var ascii = false

    func validate() throws {
        if config == nil, checklist == nil { throw ValidationError("give a checklist: warroom run --checklist FILE") }
        if let a = actor, a.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--actor cannot be empty") }
    }

    func run() throws {
        if let config { throw Failure("\(config): config files are not understood by this version yet; run with --checklist FILE") }
        guard let checklistPath = checklist else { throw Failure("no checklist given") }
        let loaded = try loadChecklist(checklistPath)
        try requireValid(loaded.checklist)
        let stateDir = state ?? defaultStateDir(beside: checklistPath)
        let who = actor ?? defaultActor()
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

        let logPath = (stateDir as NSString).appendingPathComponent("warroom.log")
        do { try ErrorLog.redirectStderr(to: logPath) } catch { throw Failure("cannot open \(logPath): \(error)") }
        log("console started: actor \(who), checklist \(checklistPath), pid \(ProcessInfo.processInfo.processIdentifier)")
        for w in writer.warnings { log("journal warning: \(w)") }
        if let torn = writer.recovered {
            log("cut off a torn last journal line \(torn.line) (\(torn.bytes) bytes)\(torn.savedTo.map { ", saved to \($0)" } ?? "")")
        }
        if let started = writer.state.started, started.checklistSHA256 != loaded.sha256 {
            log("checklist changed since the run started; orphaned state: \(writer.state.orphans(in: loaded.checklist))")
        }

        let exit = try Console(writer: writer, checklist: loaded.checklist, checklistPath: checklistPath,
                               stateDir: stateDir, actor: who, theme: startTheme, forceASCII: ascii).run()
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
    writeStderr("\(Timestamp.iso8601(Clock.now())) \(line)")
}

/// The console's one loop: key presses, clock ticks, signals and (later) poll and hook results meet here,
/// become actions for the reducer, and the rendered buffer is diffed onto the terminal.
final class Console {
    enum Exit: CustomStringConvertible {
        case quit
        case signal(Int32)
        var description: String {
            switch self {
            case .quit: "quit"
            case .signal(let s): "signal \(s)"
            }
        }
    }

    let writer: JournalWriter
    let stateDir: String
    var state: ConsoleState
    var theme: Theme
    let forceASCII: Bool

    init(writer: JournalWriter, checklist: Checklist, checklistPath: String, stateDir: String, actor: String, theme: Theme,
         forceASCII: Bool) {
        self.writer = writer
        self.stateDir = stateDir
        self.theme = theme
        self.forceASCII = forceASCII
        let config = ConsoleConfig(service: checklist.title ?? (checklistPath as NSString).lastPathComponent, actor: actor,
                                   driving: true, t0: nil, stateDir: stateDir)
        state = ConsoleState(config: config, checklist: checklist, run: writer.state, now: Clock.now(),
                             size: Size(width: 80, height: 24), themeName: theme.name)
    }

    func run() throws -> Exit {
        let wakeup: Wakeup
        do { wakeup = try Wakeup() } catch { throw Failure("cannot create the wake-up pipe: \(error)") }
        let term: Terminal
        do { term = try Terminal.start(theme: theme) } catch { throw Failure("\(error)") }
        defer { term.restore() }
        // No hand-off to Swift's interactive backtracer on a crash: it would hold the shared screen for 30 s.
        Signals.install(wakeup: wakeup, keepRuntimeBacktrace: false)
        let glyphs = (forceASCII || !term.utf8) ? Glyphs.ascii : Glyphs.unicode
        _ = state.update(.resize(term.size))
        term.draw(Renderer.render(state, theme: theme, glyphs: glyphs, size: state.size))
        let firstMS = Double(monotonicNS() - WarRoomMain.startedNS) / 1e6
        log(String(format: "first screen drawn %.1f ms after start (%d items, %dx%d)", firstMS,
                   state.checklist.items.count, state.size.width, state.size.height))

        while true {
            let now = Clock.now()
            let timeout = Int32(1000 - now % 1000) // wake at the next whole second for the clocks
            let woke = wakeup.wait(timeoutMs: timeout)
            let wokeAt = monotonicNS()
            var resized = false
            wakeup.drain()
            if let sig = Signals.takePending() { return .signal(sig) }
            if case .hangup = woke { return .signal(SIGHUP) } // the terminal went away
            _ = state.update(.tick(Clock.now()))
            while let key = term.readKey() {
                if key == .resize {
                    _ = state.update(.resize(term.size))
                    resized = true
                    continue
                }
                for effect in state.update(.key(key)) {
                    switch effect {
                    case .append(let body):
                        let time = Clock.now()
                        do {
                            let event = try writer.append(body, actor: state.config.actor, time: time)
                            _ = state.update(.saved(writer.state, event))
                        } catch {
                            log("NOT SAVED \(body.type): \(error)")
                            _ = state.update(.notSaved("\(error)"))
                        }
                    case .cycleTheme:
                        let order = Theme.builtinOrder
                        let next = order[((order.firstIndex(of: theme.name) ?? -1) + 1) % order.count]
                        if let t = ThemeLoader.builtin(next) {
                            theme = t
                            term.setTheme(t)
                            _ = state.update(.themeChanged(t.name))
                        }
                    case .redraw:
                        term.redraw()
                    case .quit:
                        return .quit
                    }
                }
            }
            term.draw(Renderer.render(state, theme: theme, glyphs: glyphs, size: state.size))
            if resized {
                log(String(format: "resized to %dx%d, redrawn %.2f ms after waking", state.size.width, state.size.height,
                           Double(monotonicNS() - wokeAt) / 1e6))
            }
        }
    }
}
