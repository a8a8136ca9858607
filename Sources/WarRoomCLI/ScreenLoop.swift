import Foundation
import WarRoomCore
import WarRoomTerminal
import WarRoomUI

enum ScreenExit: CustomStringConvertible {
    case quit
    case signal(Int32)
    var description: String {
        switch self {
        case .quit: "quit"
        case .signal(let s): "signal \(s)"
        }
    }
}

/// What a full-screen session (the driving console, a follower, a replay) plugs into the shared loop.
protocol ScreenSession: AnyObject {
    var state: ConsoleState { get set }
    /// The longest the loop sleeps between turns (it also wakes for keys, signals and posted results).
    var waitCapMs: Int32 { get }
    /// Once per wake-up, before keys: take posted results, read files, advance clocks.
    func turn(now: Millis)
    /// A key the session handles itself, before the reducer (a replay's controls). True: consumed.
    func intercept(_ key: Key) -> Bool
    /// A line for the session's log, written off the screen thread where the session has an effect runner.
    func log(_ line: String)
    /// Effects other than theme, redraw and quit, which the loop handles: the engine's commands, the demo's fault.
    func perform(_ effect: ConsoleEffect)
}

/// The one loop every screen runs: key presses, clock ticks, signals and results meet here, become actions for
/// the reducer, and the rendered buffer is diffed onto the terminal. Curses is only touched on this thread.
enum ScreenLoop {
    static func run(_ session: ScreenSession, theme startTheme: Theme, forceASCII: Bool, wakeup: Wakeup) throws -> ScreenExit {
        var theme = startTheme
        let term: Terminal
        do { term = try Terminal.start(theme: theme) } catch { throw Failure("\(error)") }
        defer { term.restore() }
        // No hand-off to Swift's interactive backtracer on a crash: it would hold the shared screen for 30 s.
        Signals.install(wakeup: wakeup, keepRuntimeBacktrace: false)
        let glyphs = (forceASCII || !term.utf8) ? Glyphs.ascii : Glyphs.unicode
        _ = session.state.update(.resize(term.size))
        term.draw(Renderer.render(session.state, theme: theme, glyphs: glyphs, size: session.state.size))
        let firstMS = Double(monotonicNS() - WarRoomMain.startedNS) / 1e6
        session.log(String(format: "first screen drawn %.1f ms after start (%d items, %dx%d)", firstMS,
                   session.state.checklist.items.count, session.state.size.width, session.state.size.height))

        while true {
            let now = Clock.now()
            // Wake at the next whole second for the clocks, or sooner when the session asks.
            let timeout = min(session.waitCapMs, Int32(1000 - now % 1000))
            let woke = wakeup.wait(timeoutMs: timeout)
            let wokeAt = monotonicNS()
            var resized = false
            wakeup.drain()
            if let sig = Signals.takePending() { return .signal(sig) }
            if case .hangup = woke { return .signal(SIGHUP) } // the terminal went away
            let tickTime = Clock.now()
            for effect in session.state.update(.tick(tickTime)) { session.perform(effect) }
            session.turn(now: tickTime)
            while let key = term.readKey() {
                if key == .resize {
                    _ = session.state.update(.resize(term.size))
                    resized = true
                    continue
                }
                if session.intercept(key) { continue }
                for effect in session.state.update(.key(key)) {
                    switch effect {
                    case .cycleTheme:
                        let order = Theme.builtinOrder
                        let next = order[((order.firstIndex(of: theme.name) ?? -1) + 1) % order.count]
                        if let t = ThemeLoader.builtin(next) {
                            theme = t
                            term.setTheme(t)
                            _ = session.state.update(.themeChanged(t.name))
                        }
                    case .redraw:
                        term.redraw()
                    case .quit:
                        return .quit
                    default:
                        session.perform(effect)
                    }
                }
            }
            term.draw(Renderer.render(session.state, theme: theme, glyphs: glyphs, size: session.state.size))
            if resized {
                session.log(String(format: "resized to %dx%d, redrawn %.2f ms after waking", session.state.size.width,
                           session.state.size.height, Double(monotonicNS() - wokeAt) / 1e6))
            }
        }
    }
}
