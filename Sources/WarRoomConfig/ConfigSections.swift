import Foundation
import WarRoomCore
import WarRoomYAML
import Yams

/// The config's sections: ramp and steps, rollback criteria, contacts, sources, SLOs.
extension ConfigParser {
    mutating func parseRamp(_ node: Node, checklist: Checklist?) -> (RampPlan, [String]?, [String]?, Millis) {
        var plan = RampPlan(steps: [])
        var apply: [String]?
        var rollback: [String]?
        var timeout: Millis = 60_000
        guard case .mapping(let m) = node else {
            src.error(src.line(node), "ramp must be a mapping with steps, hold, apply, rollback, timeout, targets (found \(YAMLSource.kind(node)))")
            return (plan, nil, nil, timeout)
        }
        var stepsNode: Node?
        for (k, v) in m {
            guard let key = key(k, known: ConfigLoader.rampKeys, context: "in ramp") else { continue }
            switch key {
            case "steps": stepsNode = v
            case "hold": if let d = duration(v, k, "ramp.hold") { plan.holdMs = d }
            case "timeout":
                if let d = duration(v, k, "ramp.timeout") {
                    if d == 0 { src.error(src.line(v), "ramp.timeout must be more than 0") } else { timeout = d }
                }
            case "apply":
                apply = argv(v, k, "ramp.apply")
                plan.hasApply = apply != nil
            case "rollback":
                rollback = argv(v, k, "ramp.rollback")
                plan.hasRollbackHook = rollback != nil
            case "targets":
                guard case .mapping(let t) = v else {
                    src.error(src.line(v), "ramp.targets must be a mapping of decide, execute, verify durations")
                    continue
                }
                for (tk, tv) in t {
                    guard let name = self.key(tk, known: ConfigLoader.targetKeys, context: "in ramp.targets") else { continue }
                    let d = duration(tv, tk, "ramp.targets.\(name)")
                    switch name {
                    case "decide": plan.targets.decideMs = d
                    case "execute": plan.targets.executeMs = d
                    default: plan.targets.verifyMs = d
                    }
                }
            default: break
            }
        }
        if let stepsNode { plan.steps = parseSteps(stepsNode, checklist: checklist) } else {
            src.error(src.line(node), "ramp has no steps: (e.g. steps: [10, 25, 50, 75, 100])")
        }
        return (plan, apply, rollback, timeout)
    }

    mutating func parseSteps(_ node: Node, checklist: Checklist?) -> [RampStep] {
        // `steps: []` states there is no ramp: the console is a tracker of the checklist only.
        guard case .sequence(let seq) = node else {
            src.error(src.line(node), "ramp.steps must be a list of percentages (e.g. [10, 25, 50, 75, 100]; [] for no ramp)")
            return []
        }
        var steps: [RampStep] = []
        var previous = 0
        for item in seq {
            var step = RampStep(percent: 0)
            var percentNode = item
            switch item {
            case .mapping(let m):
                var sawPercent = false
                for (k, v) in m {
                    guard let key = key(k, known: ConfigLoader.stepKeys, context: "in a ramp step") else { continue }
                    switch key {
                    case "percent": percentNode = v; sawPercent = true
                    case "hold": step.holdMs = duration(v, k, "hold")
                    case "require":
                        let r = requirements(v, k, checklist: checklist, what: "require")
                        step.require = r.map(\.id)
                        step.skippedOk = r.filter(\.skippedOk).map(\.id)
                    case "ticks": step.ticks = requirements(v, k, checklist: checklist, what: "ticks", mappings: false).map(\.id)
                    default: break
                    }
                }
                if !sawPercent {
                    src.error(src.line(item), "a ramp step needs percent: (e.g. {percent: 25, hold: 30m})")
                    continue
                }
            default: break
            }
            guard case .scalar(let s) = percentNode, let v = Int(s.string.trimmingCharacters(in: CharacterSet(charactersIn: "% "))) else {
                src.error(src.line(percentNode), "a ramp step must be a whole percentage 1–100 (found \(describe(percentNode)))")
                continue
            }
            guard (1...100).contains(v) else {
                src.error(src.line(percentNode), "ramp step \(v) is outside 1–100")
                continue
            }
            guard v > previous else {
                src.error(src.line(percentNode), "ramp steps must be strictly increasing: \(v) comes after \(previous)")
                continue
            }
            previous = v
            step.percent = v
            steps.append(step)
        }
        return steps
    }

    /// `require:` (or `ticks:`) entries: item IDs, task IDs or section titles; a `require` entry may be a mapping
    /// `{id: T1219, skipped_ok: true}` when a skipped item meets it.
    mutating func requirements(_ node: Node, _ keyNode: Node, checklist: Checklist?, what: String,
                               mappings: Bool = true) -> [(id: String, skippedOk: Bool)] {
        var out: [(id: String, skippedOk: Bool)] = []
        let items: [Node]
        switch node {
        case .sequence(let s): items = Array(s)
        case .scalar: items = [node]
        default:
            src.error(src.line(node), "\(what) must be a list of item IDs or section titles")
            return []
        }
        for n in items {
            var idNode = n
            var skippedOk = false
            if mappings, case .mapping(let m) = n {
                var sawID = false
                for (k, v) in m {
                    guard let key = key(k, known: ConfigLoader.requirementKeys, context: "in a require entry") else { continue }
                    switch key {
                    case "id": idNode = v; sawID = true
                    case "skipped_ok": skippedOk = bool(v, k, "skipped_ok") ?? false
                    default: break
                    }
                }
                if !sawID {
                    src.error(src.line(n), "a require entry written as a mapping needs id: (e.g. {id: T1219, skipped_ok: true})")
                    continue
                }
            }
            guard case .scalar(let s) = idNode, !YAMLSource.isNull(idNode), !s.string.isEmpty else {
                src.error(src.line(idNode), "\(what) entries must be item IDs or section titles (found \(YAMLSource.kind(idNode)))")
                continue
            }
            if let checklist, checklist.requirement(s.string) == nil {
                src.error(src.line(idNode), "\(what) “\(s.string)” matches no item ID, task ID or section title in \(checklist.path)")
            }
            out.append((s.string, skippedOk))
        }
        return out
    }

    mutating func parseLights(_ node: Node, sources: [SourceConfig]) -> [LightConfig] {
        guard case .sequence(let seq) = node else {
            src.error(src.line(node), "rollback must be a list of criteria (e.g. - {name: Security incident, manual: true})")
            return []
        }
        var out: [LightConfig] = []
        var seen: [String: Int] = [:]
        for item in seq {
            guard case .mapping(let m) = item else {
                src.error(src.line(item), "a rollback criterion must be a mapping with name: (found \(YAMLSource.kind(item)))")
                continue
            }
            var light = LightConfig(name: "", line: src.line(item))
            var manual: Bool?
            var tripText: String?
            var tripLine = light.line
            for (k, v) in m {
                guard let key = key(k, known: ConfigLoader.lightKeys, context: "in a rollback criterion") else { continue }
                switch key {
                case "name": light.name = string(v, k, "name") ?? ""
                case "manual": manual = bool(v, k, "manual")
                case "auto": light.auto = bool(v, k, "auto") ?? false
                case "source": light.source = string(v, k, "source")
                case "query": light.query = string(v, k, "query")
                case "trip":
                    tripText = string(v, k, "trip")
                    tripLine = src.line(v)
                case "for": light.forMs = duration(v, k, "for") ?? 0
                case "match": light.match = stringMap(v, k, "match")
                case "pick": light.pick = stringMap(v, k, "pick")
                case "unit": light.unit = string(v, k, "unit")
                default: break
                }
            }
            if light.name.isEmpty {
                src.error(light.line, "a rollback criterion needs a name:")
                continue
            }
            if let first = seen[light.name] {
                src.error(light.line, "rollback criterion “\(light.name)” is listed twice (first at line \(first))")
                continue
            }
            seen[light.name] = light.line
            if let t = tripText {
                if let c = Condition.parse(t, unit: light.unit) { light.trip = c } else {
                    src.error(tripLine, "trip \"\(t)\" is not a condition (write e.g. \"> 1\" or \"<= 99.9\"\(light.unit.map { "; a unit after the number must be \($0)" } ?? ""))")
                }
            }
            if let s = light.source {
                guard let source = sources.first(where: { $0.name == s }) else {
                    src.error(light.line, "rollback criterion “\(light.name)”: source \(s) is not defined under sources:")
                    continue
                }
                if manual == true {
                    src.error(light.line, "rollback criterion “\(light.name)” is manual: true but also has a source")
                }
                switch source.kind {
                case .alertmanager:
                    if light.match == nil { src.error(light.line, "rollback criterion “\(light.name)”: an alertmanager source needs match: {label: value}") }
                    if light.trip != nil || light.query != nil { src.error(light.line, "rollback criterion “\(light.name)”: alertmanager criteria use match:, not query:/trip:") }
                case .prometheus:
                    if light.query == nil { src.error(light.line, "rollback criterion “\(light.name)”: a prometheus source needs query:") }
                    if light.trip == nil, tripText == nil { src.error(light.line, "rollback criterion “\(light.name)” needs trip: (e.g. trip: \"> 1\")") }
                default:
                    if light.trip == nil, tripText == nil { src.error(light.line, "rollback criterion “\(light.name)” needs trip: (e.g. trip: \"> 1\")") }
                }
            } else {
                if light.query != nil || light.trip != nil || light.match != nil {
                    src.error(light.line, "rollback criterion “\(light.name)” has query/trip/match but no source:")
                }
                if light.auto { src.error(light.line, "rollback criterion “\(light.name)”: auto: true needs a telemetry source (a manual light is tripped by a person)") }
            }
            out.append(light)
        }
        return out
    }

    /// `keys:` — a mapping of command name to a key name or a list of them. Names and clashes are the key table's
    /// to check (`KeyTable.remapped`, run by lint and at start).
    mutating func parseKeys(_ node: Node) -> [KeyRemap] {
        guard case .mapping(let m) = node else {
            src.error(src.line(node), "keys must be a mapping of command to key, e.g. keys: {skip: z, pageUp: [PgUp, \"^U\"]}")
            return []
        }
        var out: [KeyRemap] = []
        for (k, v) in m {
            guard let command = string(k, k, "keys") else { continue }
            var names: [String] = []
            if case .sequence(let seq) = v {
                for item in seq { if let s = string(item, k, command) { names.append(s) } }
            } else if let s = string(v, k, command) {
                names = [s]
            }
            if names.isEmpty { src.error(src.line(k), "keys: \(command) needs at least one key") } else {
                out.append(KeyRemap(command: command, keys: names, line: src.line(k)))
            }
        }
        return out
    }

    mutating func parseContacts(_ node: Node) -> [Contact] {
        guard case .sequence(let seq) = node else {
            src.error(src.line(node), "contacts must be a list of {role, name, phone, handle}")
            return []
        }
        var out: [Contact] = []
        for item in seq {
            guard case .mapping(let m) = item else {
                src.error(src.line(item), "a contact must be a mapping {role, name, phone, handle}")
                continue
            }
            var c = Contact(role: "", name: "", line: src.line(item))
            for (k, v) in m {
                guard let key = key(k, known: ConfigLoader.contactKeys, context: "in a contact") else { continue }
                let s = string(v, k, key) ?? ""
                switch key {
                case "role": c.role = s
                case "name": c.name = s
                case "phone": c.phone = s
                default: c.handle = s
                }
            }
            if c.role.isEmpty && c.name.isEmpty { src.error(c.line, "a contact needs a role or a name") } else { out.append(c) }
        }
        return out
    }

    mutating func parseSources(_ node: Node) -> [SourceConfig] {
        guard case .mapping(let m) = node else {
            src.error(src.line(node), "sources must be a mapping of names to sources (e.g. prom: {prometheus: \"http://127.0.0.1:9090\"})")
            return []
        }
        var out: [SourceConfig] = []
        for (nameNode, v) in m {
            guard case .scalar(let nameScalar) = nameNode, !nameScalar.string.isEmpty else {
                src.error(src.line(nameNode), "source names must be plain words")
                continue
            }
            let name = nameScalar.string
            guard case .mapping(let fields) = v else {
                src.error(src.line(v), "source \(name) must be a mapping with one of \(ConfigLoader.sourceKinds.joined(separator: ", "))")
                continue
            }
            var kind: SourceKind?
            var kinds = 0
            var interval: Millis = 5_000
            var timeout: Millis = 2_000
            var tokenEnv: String?, tokenFile: String?
            var expect = 200
            var field: String?
            for (k, fv) in fields {
                guard let key = key(k, known: ConfigLoader.sourceKeys, context: "in source \(name)") else { continue }
                switch key {
                case "prometheus", "alertmanager", "http":
                    kinds += 1
                    guard let u = string(fv, k, key) else { continue }
                    guard u.hasPrefix("http://") || u.hasPrefix("https://") else {
                        src.error(src.line(fv), "source \(name): \(key) must be an http:// or https:// URL (found \"\(u)\")")
                        continue
                    }
                    let url = u.hasSuffix("/") ? String(u.dropLast()) : u
                    kind = key == "prometheus" ? .prometheus(url: url) : key == "alertmanager" ? .alertmanager(url: url) : .http(url: url, expect: 200)
                case "command":
                    kinds += 1
                    if let a = argv(fv, k, "source \(name) command") { kind = .command(argv: a) }
                case "file":
                    kinds += 1
                    if let f = string(fv, k, "file") { kind = .file(path: f.hasPrefix("/") ? f : (directory as NSString).appendingPathComponent(f), field: nil) }
                case "interval":
                    if let d = duration(fv, k, "interval") {
                        if d < 100 { src.error(src.line(fv), "source \(name): interval must be at least 100ms") } else { interval = d }
                    }
                case "timeout":
                    if let d = duration(fv, k, "timeout") {
                        if d == 0 { src.error(src.line(fv), "source \(name): timeout must be more than 0") } else { timeout = d }
                    }
                case "token_env":
                    tokenEnv = string(fv, k, "token_env")
                    if let e = tokenEnv, environment[e] == nil {
                        src.warning(src.line(fv), "source \(name): environment variable \(e) is not set here (the token is read when the console starts)")
                    }
                case "token_file": tokenFile = string(fv, k, "token_file")
                case "expect":
                    if case .scalar(let s) = fv, let n = Int(s.string), (100...599).contains(n) { expect = n } else {
                        src.error(src.line(fv), "source \(name): expect must be an HTTP status code (e.g. 200)")
                    }
                case "field": field = string(fv, k, "field")
                default: break
                }
            }
            guard kinds == 1, var k = kind else {
                if kinds == 0 {
                    src.error(src.line(nameNode), "source \(name) needs one of \(ConfigLoader.sourceKinds.joined(separator: ", "))")
                } else if kinds > 1 {
                    src.error(src.line(nameNode), "source \(name) names more than one kind (\(ConfigLoader.sourceKinds.joined(separator: ", ")): pick one")
                }
                continue
            }
            if case .http(let u, _) = k { k = .http(url: u, expect: expect) }
            if case .file(let p, _) = k { k = .file(path: p, field: field) }
            if field != nil, case .file = k {} else if field != nil {
                src.error(src.line(nameNode), "source \(name): field: only applies to file sources")
            }
            if timeout > interval {
                src.warning(src.line(nameNode), "source \(name): timeout \(DurationText.format(timeout)) is longer than its interval \(DurationText.format(interval))")
            }
            out.append(SourceConfig(name: name, kind: k, intervalMs: interval, timeoutMs: timeout, tokenEnv: tokenEnv,
                                    tokenFile: tokenFile, line: src.line(nameNode)))
        }
        return out
    }

    mutating func parseSLOs(_ node: Node, sources: [SourceConfig]) -> [SLOConfig] {
        guard case .sequence(let seq) = node else {
            src.error(src.line(node), "slos must be a list (e.g. - {name: P95 latency, source: prom, objective: \"<= 2\", query: ...})")
            return []
        }
        var out: [SLOConfig] = []
        var seen: [String: Int] = [:]
        for item in seq {
            guard case .mapping(let m) = item else {
                src.error(src.line(item), "an SLO must be a mapping with name, source, objective, query")
                continue
            }
            let line = src.line(item)
            var name = "", source: String?, query: String?, unit: String?, pick: [String: String]?
            var objective: Condition?, warn: Condition?
            var objectiveSeen = false
            var conditions: [(String, String, Int)] = []
            for (k, v) in m {
                guard let key = key(k, known: ConfigLoader.sloKeys, context: "in an SLO") else { continue }
                switch key {
                case "name": name = string(v, k, "name") ?? ""
                case "source": source = string(v, k, "source")
                case "query": query = string(v, k, "query")
                case "unit": unit = string(v, k, "unit")
                case "pick": pick = stringMap(v, k, "pick")
                case "objective", "warn":
                    if key == "objective" { objectiveSeen = true }
                    if let t = string(v, k, key) { conditions.append((key, t, src.line(v))) }
                default: break
                }
            }
            // After the loop: the unit may come after the objective, and "<= 2 s" may name it.
            for (key, t, l) in conditions {
                guard let c = Condition.parse(t, unit: unit) else {
                    src.error(l, "\(key) \"\(t)\" is not a condition (write e.g. \"<= 2\" or \">= 99.9\"\(unit.map { "; a unit after the number must be \($0)" } ?? ""))")
                    continue
                }
                if key == "objective" { objective = c } else { warn = c }
            }
            if name.isEmpty { src.error(line, "an SLO needs a name:"); continue }
            if let first = seen[name] { src.error(line, "SLO “\(name)” is listed twice (first at line \(first))"); continue }
            seen[name] = line
            guard let objective else {
                if !objectiveSeen { src.error(line, "SLO “\(name)” needs objective: (e.g. objective: \"<= 2\")") }
                continue
            }
            if let s = source {
                guard let sc = sources.first(where: { $0.name == s }) else {
                    src.error(line, "SLO “\(name)”: source \(s) is not defined under sources:")
                    continue
                }
                switch sc.kind {
                case .prometheus: if query == nil { src.error(line, "SLO “\(name)”: a prometheus source needs query:") }
                case .alertmanager: src.error(line, "SLO “\(name)”: an alertmanager source gives alerts, not a number; use it in rollback: with match:")
                default: if query != nil { src.warning(line, "SLO “\(name)”: query: is only used with prometheus sources") }
                }
            } else if query != nil {
                src.error(line, "SLO “\(name)” has a query but no source:")
            }
            out.append(SLOConfig(name: name, source: source, query: query, unit: unit, objective: objective, warn: warn,
                                 pick: pick, line: line))
        }
        return out
    }
}
