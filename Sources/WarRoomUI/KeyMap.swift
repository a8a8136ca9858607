import WarRoomCore

/// The key table as one console uses it: `KeyTable.bindings` with the config's `keys:` remaps applied. Dispatch, the
/// footer and the help overlay all read the same map, so a remapped key is the key they all name.
public struct KeyMap: Sendable {
    public let bindings: [Binding]
    let index: [Key: Binding]

    public static let standard = KeyMap(KeyTable.bindings)

    init(_ bindings: [Binding]) {
        self.bindings = bindings
        var m: [Key: Binding] = [:]
        for b in bindings { for k in b.keys { m[k] = b } }
        index = m
    }

    /// One problem with `keys:`, at its config line.
    public struct Problem: Sendable, Equatable {
        public var line: Int
        public var message: String
    }

    /// The table with `remaps` applied (each names a command's new keys, replacing its defaults), and what is wrong
    /// with them: an unknown command or key name, a tmux/screen prefix key, Esc, or two commands on one key (a
    /// clash). A remap with a problem is left out; the defaults stay for it.
    public static func remapped(_ remaps: [KeyRemap]) -> (map: KeyMap, problems: [Problem]) {
        var bindings = KeyTable.bindings
        var problems: [Problem] = []
        var lineOf: [KeyCommand: Int] = [:]
        for r in remaps {
            guard let command = KeyCommand(rawValue: r.command), let i = bindings.firstIndex(where: { $0.command == command }) else {
                let names = KeyTable.bindings.map(\.command.rawValue).joined(separator: ", ")
                problems.append(Problem(line: r.line, message: "keys: unknown command “\(r.command)” (commands: \(names))"))
                continue
            }
            var keys: [Key] = []
            var bad = false
            for name in r.keys {
                guard let k = parse(name) else {
                    problems.append(Problem(line: r.line, message: "keys: \(r.command): “\(name)” is not a key (one character, ^X, PgUp, PgDn, Home, End, Enter, Tab, Up, Down, Left, Right, F1…F12)"))
                    bad = true
                    continue
                }
                if KeyTable.multiplexerPrefixes.contains(k) {
                    problems.append(Problem(line: r.line, message: "keys: \(r.command): \(k.label) is the prefix key of tmux or screen: the console would never see it"))
                    bad = true
                } else if k == .escape {
                    problems.append(Problem(line: r.line, message: "keys: \(r.command): Esc cancels prompts and cannot be bound"))
                    bad = true
                }
                keys.append(k)
            }
            if bad || keys.isEmpty { continue }
            let old = bindings[i]
            bindings[i].keys = keys
            if let f = old.footer, let space = f.firstIndex(of: " ") { bindings[i].footer = keys[0].label + f[space...] }
            lineOf[command] = r.line
        }
        // Clashes: one key, two commands.
        var owner: [Key: KeyCommand] = [:]
        for b in bindings {
            for k in b.keys {
                if let other = owner[k], other != b.command {
                    let line = lineOf[b.command] ?? lineOf[other] ?? 1
                    problems.append(Problem(line: line, message: "keys: \(k.label) is bound to both \(other.rawValue) and \(b.command.rawValue)"))
                } else {
                    owner[k] = b.command
                }
            }
        }
        return (KeyMap(bindings), problems)
    }

    /// A key as the config names it.
    static func parse(_ name: String) -> Key? {
        if name.count == 1, let c = name.first { return .char(c) }
        if name.count == 2, name.first == "^", let c = name.last, c.isLetter { return .ctrl(Character(c.lowercased())) }
        switch name.lowercased() {
        case "space": return .char(" ")
        case "pgup", "pageup": return .pageUp
        case "pgdn", "pagedown": return .pageDown
        case "home": return .home
        case "end": return .end
        case "enter": return .enter
        case "tab": return .tab
        case "s-tab", "backtab": return .backTab
        case "up": return .up
        case "down": return .down
        case "left": return .left
        case "right": return .right
        case "esc", "escape": return .escape
        default:
            if name.first == "F" || name.first == "f", let n = Int(name.dropFirst()), (1...12).contains(n) { return .function(n) }
            return nil
        }
    }

    public func binding(for key: Key) -> Binding? { index[key] }

    /// The footer, as `KeyTable.footerItems` lays it out, from this map.
    public func footerItems(ramp: Bool, demo: Bool = false, width: Int = .max, writes: Bool = true) -> [String] {
        let fault = bindings.first { $0.command == .fault }?.keys.first?.label ?? "f"
        return KeyTable.footerItems(bindings, ramp: ramp, demo: demo ? fault + " fault" : nil, width: width, writes: writes)
    }

    /// The footer's items and the gap between them (`KeyTable.footerLayout`), from this map.
    public func footerLayout(ramp: Bool, demo: Bool = false, width: Int = .max, writes: Bool = true) -> (items: [String], gap: Int) {
        let fault = bindings.first { $0.command == .fault }?.keys.first?.label ?? "f"
        return KeyTable.footerLayout(bindings, ramp: ramp, demo: demo ? fault + " fault" : nil, width: width, writes: writes)
    }

    public func helpLines(replay: Bool) -> [(group: String, keys: String, help: String)] {
        ((replay ? KeyTable.replayBindings : []) + bindings).map { b in (b.group, b.keys.map(\.label).joined(separator: " "), b.help) }
    }
}
