import ArgumentParser
import Foundation
import WarRoomCore
import WarRoomStore
import WarRoomTerminal
import WarRoomUI

// `warroom replay`: a finished (or still running) run played back in the console, driven by the journal's events
// on a virtual clock. Named `ReplayCommand` because `Replay` is WarRoomStore's result of reading a journal.

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Play a run back in the console, for a retrospective or for training. Read-only.",
        discussion: """
        The same panes, driven by the journal's events on a virtual clock running N× real time (default 60×): the \
        header's clocks, the countdowns and the gate verdicts follow the virtual time. The journal is only read, \
        never locked or written: keys that would change the run answer "REPLAY: read-only". A run that is still \
        being written is picked up as it grows.

        Keys: p or space pause/resume · . step one event (pauses) · , step back one event · > forward 5 min · \
        < back 5 min · + faster (×2) · - slower (÷2) · 0 restart from the first event. Navigation, search, t, ? \
        and q work as in the console.

        There are no live gauges in a replay: the SLO and ROLLBACK panes show the snapshot recorded with the \
        latest ramp decision (nothing before the first one). Where the journal has the gauges' series \
        (`gauge.points`, once a minute and at each verdict change), the SLO pane draws it up to the replay's time, and \
        a point newer than the snapshot gives the gauge's verdict and value.
        """
    )

    @Option(help: "The run's state directory.") var state: String?
    @Option(help: storeHelp) var store: String?
    @OptionGroup(title: "etcd access") var access: StoreAccessOptions
    @Option(help: "Virtual seconds per real second, 1–3600.") var speed: Int = 60
    @Option(help: "The run's warroom.yaml.") var config: String?
    @Option(help: "The checklist, when there is no config (default: the one the run started with).") var checklist: String?
    @Option(help: "Theme name or file.") var theme: String?
    @Flag(help: "Draw with ASCII only.") var ascii = false

    func validate() throws {
        guard ReplayPlayer.speeds.contains(speed) else { throw ValidationError("--speed must be 1–3600 (got \(speed))") }
        if config != nil, checklist != nil { throw ValidationError("give --config or --checklist, not both") }
        if state == nil, store == nil { throw ValidationError("give --state DIR or --store etcd://HOST:PORT/PREFIX") }
    }

    func run() throws {
        let location = try StoreLocation.resolve(state: state, store: store, access: access)
        let state = location.label
        guard try location.hasRun() else { throw Failure("\(state): no journal here") }
        let opened: (tail: JournalTail?, replay: Replay)
        if case .directory(let dir) = location {
            do { opened = try JournalTail.open(stateDir: dir) } catch { throw Failure("\(error)") }
        } else {
            // etcd: the journal as read now (a replay of a run in etcd does not follow it as it grows).
            let r = try location.replay()
            opened = (nil, Replay(state: r.state, events: r.events, lastHash: r.lastHash, lineCount: r.lineCount))
        }
        let replay = opened.replay
        guard !replay.events.isEmpty else { throw Failure("\(state): the journal is empty: nothing to replay") }
        let setup: LoadedRun
        if let config { setup = try loadRunConfig(config) } else if let checklist { setup = try deriveRunConfig(checklistPath: checklist) }
        else if let recorded = try recordedRun(store: location, run: replay.state) { setup = recorded }
        else if let c = replay.state.started?.checklist { setup = try deriveRunConfig(checklistPath: c) }
        else { throw Failure("give --config or --checklist: the journal names no checklist") }
        let startTheme: Theme
        switch ThemeLoader.resolve(theme, environment: ProcessInfo.processInfo.environment, searchDirs: themeSearchDirs()) {
        case .success(let t): startTheme = t
        case .failure(let e): throw Failure("\(e)")
        }
        guard Terminal.isTTY else { throw Failure("warroom replay needs a terminal (stdin and stdout must be a tty)") }
        let session = ReplaySession(setup: setup, stateDir: state, replay: replay, tail: opened.tail, speed: speed,
                                    themeName: startTheme.name, ascii: ascii)
        let wakeup: Wakeup
        do { wakeup = try Wakeup() } catch { throw Failure("cannot create the wake-up pipe: \(error)") }
        // A replay's log stays out of the run's warroom.log: stderr is the screen, so it is silenced instead.
        try? ErrorLog.redirectStderr(to: "/dev/null")
        let exit = try ScreenLoop.run(session, theme: startTheme, forceASCII: ascii, wakeup: wakeup)
        let c = session.player.cursor
        say("warroom: replay of \(state) stopped at event \(c.position) of \(c.events.count) (nothing written)")
        if case .signal(let sig) = exit { Foundation.exit(128 + sig) }
    }
}

// MARK: - The cursor: pure, over the journal's events

/// A position in a journal's events on a virtual clock: the run state after every event up to `position`.
/// Invariant after every operation: the events applied are exactly those before the first one whose time is later
/// than `time` (except after `step`, which applies exactly one more and moves the clock to it).
struct ReplayCursor {
    private(set) var events: [JournalEvent]
    /// Index of the next event to apply (= the number applied).
    private(set) var position = 0
    /// The virtual clock.
    private(set) var time: Millis
    private(set) var state = RunState()
    /// The journal's run ID (`RunState.apply` does not derive it; the journal reader does).
    private(set) var runID: String?

    init(events: [JournalEvent], runID: String? = nil) {
        self.events = events
        self.runID = runID
        time = events.first?.time ?? 0
        state.runID = runID
        applyDue()
    }

    var atEnd: Bool { position >= events.count }
    var startTime: Millis { events.first?.time ?? 0 }
    /// Where the clock stops: the last event (or later, for out-of-order times).
    var endTime: Millis { max(startTime, events.last?.time ?? 0) }
    var lastApplied: JournalEvent? { position > 0 ? events[position - 1] : nil }
    /// The latest applied event other than a journaled SLO point (`gauge.points`): what the message line names.
    var lastNotable: JournalEvent? {
        events[..<position].last { if case .gaugePoints = $0.body { false } else { true } }
    }
    var next: JournalEvent? { atEnd ? nil : events[position] }

    private mutating func apply(_ e: JournalEvent) {
        // The journal reader ran every event through this reducer already: a failure here is impossible.
        do { try state.apply(e) } catch { assertionFailure("replay: \(error)") }
        position += 1
    }

    /// Applies every pending event due by the clock; returns how many.
    @discardableResult
    private mutating func applyDue() -> Int {
        var n = 0
        while let e = next, e.time <= time {
            apply(e)
            n += 1
        }
        return n
    }

    /// Moves the clock by `realMs × speed` and applies every event it reaches. At the end of the journal the clock
    /// stops (at the last event). Returns how many events were applied.
    @discardableResult
    mutating func advance(byRealMs realMs: Millis, speed: Int) -> Int {
        guard realMs > 0, !atEnd else { return 0 }
        let before = time
        let (t, overflow) = time.addingReportingOverflow(realMs.multipliedReportingOverflow(by: Millis(speed)).partialValue)
        time = overflow ? Millis.max : t
        let n = applyDue()
        if atEnd { time = max(before, min(time, endTime)) }
        return n
    }

    /// Applies exactly the next event and moves the clock to it (never backwards).
    @discardableResult
    mutating func step() -> JournalEvent? {
        guard let e = next else { return nil }
        apply(e)
        time = max(time, e.time)
        return e
    }

    /// Rebuilds the state at virtual time `t` (clamped to the journal's span): every event up to it, from the start.
    mutating func seek(to t: Millis) {
        rebuild()
        time = min(max(t, startTime), endTime)
        applyDue()
    }

    /// Rebuilds the state after exactly `count` events (at least the first), the clock at the last of them.
    mutating func seek(toEvent count: Int) {
        rebuild()
        let k = min(max(1, count), events.count)
        for e in events.prefix(k) { apply(e) }
        time = events.prefix(k).map(\.time).max() ?? startTime
    }

    private mutating func rebuild() {
        state = RunState()
        state.runID = runID
        position = 0
    }

    /// Lines appended to the journal: they wait for the clock like the others.
    mutating func append(contentsOf new: [JournalEvent]) {
        events.append(contentsOf: new)
    }

    /// The journal was read again. Events it already had stay applied; new ones wait for the clock. Anything else
    /// (the journal replaced under us) rebuilds at the same virtual time. Returns whether anything changed.
    @discardableResult
    mutating func reload(_ newEvents: [JournalEvent], runID: String?) -> Bool {
        if newEvents.count >= events.count, runID == self.runID, events.last.map({ newEvents[events.count - 1] == $0 }) ?? true {
            guard newEvents.count > events.count else { return false }
            events = newEvents
            return true
        }
        events = newEvents
        self.runID = runID
        let t = time
        seek(to: t)
        return true
    }
}

// MARK: - The player: cursor, speed, pause and the replay keys (pure, testable)

struct ReplayPlayer {
    static let speeds = 1...3600
    static let seekStepMs: Millis = 5 * 60_000

    var cursor: ReplayCursor
    private(set) var speed: Int
    private(set) var paused = false

    init(cursor: ReplayCursor, speed: Int) {
        self.cursor = cursor
        self.speed = min(max(speed, Self.speeds.lowerBound), Self.speeds.upperBound)
    }

    /// Real time passed: the clock moves unless paused. Returns how many events were applied.
    @discardableResult
    mutating func tick(realMs: Millis) -> Int {
        paused ? 0 : cursor.advance(byRealMs: realMs, speed: speed)
    }

    /// A replay key (the key table's replay controls). Nil: not a replay key (it goes to the console). Otherwise what
    /// to say about it.
    mutating func handle(_ key: Key) -> String? {
        guard let command = KeyTable.replayBinding(for: key)?.command else { return nil }
        switch command {
        case .replayPause:
            paused.toggle()
            return paused ? "paused — p resumes, . steps" : "playing at \(speed)×"
        case .replayStep:
            paused = true
            return cursor.step() == nil ? "end of journal — nothing to step to" : "stepped to event \(cursor.position) of \(cursor.events.count)"
        case .replayStepBack:
            paused = true
            guard cursor.position > 1 else { return "at the first event" }
            cursor.seek(toEvent: cursor.position - 1)
            return "back to event \(cursor.position) of \(cursor.events.count)"
        case .replayForward:
            cursor.seek(to: cursor.time + Self.seekStepMs)
            return "forward 5 min"
        case .replayBack:
            cursor.seek(to: cursor.time - Self.seekStepMs)
            return "back 5 min"
        case .replayFaster:
            speed = min(Self.speeds.upperBound, speed * 2)
            return "speed \(speed)×"
        case .replaySlower:
            speed = max(Self.speeds.lowerBound, speed / 2)
            return "speed \(speed)×"
        case .replayRestart:
            cursor.seek(to: cursor.startTime)
            return "restarted from the first event"
        default:
            return nil
        }
    }

    /// The status line's lead: play state, speed, position.
    var status: String {
        let n = cursor.events.count
        if cursor.atEnd { return "end of journal — \(n) events" }
        return paused ? "paused · event \(cursor.position)/\(n)" : "▶ \(speed)× · event \(cursor.position)/\(n)"
    }

    static var keysHint: String { KeyTable.replayHint }
}

// MARK: - The session

/// A read-only session on a virtual clock. The screen loop ticks the console with the wall clock before every
/// turn; the turn then ticks it with the virtual time, so the header, countdowns and gates all see the replay's
/// time. Messages are kept here, on real time, because the wall-clock tick would clear them at once (their expiry
/// is in virtual time, usually long past).
final class ReplaySession: ScreenSession {
    var state: ConsoleState
    var player: ReplayPlayer
    let stateDir: String
    let ascii: Bool
    /// Reads what is appended to the journal; nil after damage (or when not given one): then the whole journal is
    /// read again once its file changes.
    var tail: JournalTail?
    var journalStamp: FileStamp?
    /// Real (monotonic) time source, in ns; tests replace it.
    var realClock: () -> UInt64
    var lastReal: UInt64
    /// What the latest applied event said (the console's own words for it); a failed hook stands out.
    var eventText: String?
    var eventLevel = Message.Level.info
    /// A message for a while (a key's answer), on real time. `minor` (the opening keys hint) gives way to events.
    var flash: (text: String, level: Message.Level, untilNS: UInt64, minor: Bool)?

    init(setup: LoadedRun, stateDir: String, replay: Replay, tail: JournalTail? = nil, speed: Int, themeName: String = "default",
         ascii: Bool = false, realClock: @escaping () -> UInt64 = monotonicNS) {
        self.stateDir = stateDir
        self.tail = tail
        self.ascii = ascii
        self.realClock = realClock
        lastReal = realClock()
        player = ReplayPlayer(cursor: ReplayCursor(events: replay.events, runID: replay.state.runID), speed: speed)
        // Empty first, so the first publish announces the state the replay starts from.
        let engine = Engine(config: setup.config, session: Session(actor: "", role: .replay(badge: "REPLAY"), stateDir: stateDir),
                            checklist: setup.checklist.checklist, run: RunState(), now: player.cursor.time)
        state = ConsoleState(engine: engine, size: Size(width: 80, height: 24), themeName: themeName)
        journalStamp = FileStamp(Journal.path(in: stateDir))
        publish()
        flash = ("keys: " + ReplayPlayer.keysHint, .info, lastReal + 8_000_000_000, true)
        showStatus()
    }

    var waitCapMs: Int32 { player.paused || player.cursor.atEnd ? 250 : 100 }

    func turn(now: Millis) {
        let real = realClock()
        // At most 2 s of real time per turn: a suspended process (^Z) does not leap ahead when it resumes.
        let elapsedMs = Millis(min(real &- lastReal, 2_000_000_000) / 1_000_000)
        lastReal = real
        followJournal()
        if player.tick(realMs: elapsedMs) > 0 { publish() }
        showStatus()
    }

    /// A growing journal: the lines appended since the last look join the cursor's events. Damage (the journal
    /// cut or rewritten under us): the whole journal is read again once its file changes.
    func followJournal() {
        let wasAtEnd = player.cursor.atEnd
        var changed = false
        if let t = tail {
            do {
                let new = try t.poll()
                if !new.isEmpty {
                    player.cursor.append(contentsOf: new)
                    changed = true
                }
            } catch {
                tail = nil
                journalStamp = nil
            }
        }
        if tail == nil {
            let js = FileStamp(Journal.path(in: stateDir))
            // Only a read that worked counts: a journal caught mid-write is read again next turn.
            if js != journalStamp, let opened = try? JournalTail.open(stateDir: stateDir) {
                journalStamp = js
                tail = opened.tail
                let r = opened.replay
                if !r.events.isEmpty { changed = player.cursor.reload(r.events, runID: r.state.runID) }
            }
        }
        guard changed else { return }
        if wasAtEnd, !player.cursor.atEnd { say("the journal grew: \(player.cursor.events.count) events", .info) }
        publish()
    }

    func intercept(_ key: Key) -> Bool {
        if state.mode == .normal, let said = player.handle(key) {
            publish()
            say(said, .info)
            showStatus()
            return true
        }
        // Not ours: the console handles it. Find out what it will say (the reducer is a pure function of a value),
        // so the answer stays up on real time instead of vanishing at the next wall-clock tick.
        var copy = state
        let effects = copy.update(.key(key))
        if effects.contains(.cycleTheme) {
            let order = Theme.builtinOrder
            let next = order[((order.firstIndex(of: state.themeName) ?? -1) + 1) % order.count]
            flash = ("theme: \(next)", .info, realClock() + 3_000_000_000, false)
        } else if let m = copy.message, m != state.message {
            flash = (m.text, m.level, realClock() + (m.level == .info ? 5_000_000_000 : 8_000_000_000), false)
        } else if copy.message == nil, state.message != nil {
            flash = nil
            eventText = nil // Esc dismisses: the status line stays, alone
        }
        return false
    }

    func perform(_ effect: ConsoleEffect) {}
    func log(_ line: String) {} // a replay writes nothing, its log included

    func say(_ text: String, _ level: Message.Level) {
        flash = (text, level, realClock() + (level == .info ? 5_000_000_000 : 8_000_000_000), false)
    }

    /// The cursor's run into the console: state, the latest event's words, the recorded telemetry, the virtual clock.
    func publish() {
        let c = player.cursor
        let moved = c.state.lastSeq != state.run.lastSeq
        // A journaled SLO point moves the SLO pane, not the message line: that names the last event worth reading.
        _ = state.update(.engine(.reset(c.state, latest: c.lastNotable)))
        if moved {
            eventText = state.message?.text
            if case .hookResult(let h)? = c.lastNotable?.body, !h.ok { eventLevel = .error } else { eventLevel = .info }
            if flash?.minor == true { flash = nil }
        }
        _ = state.update(.tick(c.time))
    }

    /// The status line: play state first, then a key's answer or the latest event.
    func showStatus() {
        _ = state.update(.tick(player.cursor.time))
        var level = eventText == nil ? .info : eventLevel
        var body = eventText
        if let f = flash {
            if f.untilNS > realClock() {
                body = f.text
                level = f.level
            } else {
                flash = nil
            }
        }
        var text = "\(player.status) · \(body ?? ReplayPlayer.keysHint)"
        if ascii { text = text.replacingOccurrences(of: "×", with: "x").replacingOccurrences(of: "▶", with: ">") }
        _ = state.update(.engine(.notice(Notice(text, level))))
    }
}
