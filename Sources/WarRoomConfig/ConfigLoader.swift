import Foundation
import WarRoomCore
import WarRoomYAML
import Yams

/// Reads `warroom.yaml`. Every problem is a diagnostic with the line to edit; nothing is silently ignored.
public enum ConfigLoader {
    public static let topKeys = ["service", "checklist", "t0", "ramp", "rollback", "contacts", "sources", "slos", "group", "store", "environment", "keys", "notify", "comms"]
    static let rampKeys = ["steps", "hold", "apply", "rollback", "timeout", "targets", "traffic"]
    static let stepKeys = ["percent", "hold", "require", "ticks"]
    static let requirementKeys = ["id", "skipped_ok"]
    static let targetKeys = ["decide", "execute", "verify"]
    static let lightKeys = ["name", "manual", "source", "query", "trip", "for", "match", "pick", "auto", "unit"]
    static let contactKeys = ["role", "name", "phone", "handle"]
    static let sourceKinds = ["prometheus", "alertmanager", "http", "command", "file"]
    static let sourceKeys = sourceKinds + ["interval", "timeout", "token_env", "token_file", "expect", "field"]
    static let sloKeys = ["name", "source", "query", "unit", "objective", "warn", "pick"]

    /// Whether YAML text looks like a run config (has a top-level key only a config has).
    public static func looksLikeConfig(_ text: String) -> Bool {
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            for k in ["service", "checklist", "ramp", "slos", "sources"] where raw.hasPrefix(k + ":") { return true }
        }
        return false
    }

    /// Loads and validates a config file. `checkFiles` also checks that the checklist and hook programs exist.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            checkFiles: Bool = true) -> (config: RunConfig?, diagnostics: [Diagnostic]) {
        let r = loadWithChecklist(path: path, environment: environment, checkFiles: checkFiles)
        return (r.config, r.diagnostics)
    }

    /// A checklist already read (bytes and parse), so loading a config that names it does not parse it again.
    public struct ChecklistFile: Sendable {
        public var path: String
        public var bytes: [UInt8]
        public var checklist: Checklist

        public init(path: String, bytes: [UInt8], checklist: Checklist) {
            self.path = path
            self.bytes = bytes
            self.checklist = checklist
        }
    }

    /// `load`, also handing back the checklist it read and parsed to check it (nil without `checkFiles` or when it
    /// could not be read). `known` is used instead of reading and parsing again when it is the checklist named.
    public static func loadWithChecklist(path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                                         checkFiles: Bool = true, known: ChecklistFile? = nil)
        -> (config: RunConfig?, diagnostics: [Diagnostic], checklist: ChecklistFile?) {
        guard isRegularFile(path), let data = FileManager.default.contents(atPath: path) else {
            return (nil, [Diagnostic(.error, line: 1, "the config " + unreadableFileText(path))], nil)
        }
        let bytes = [UInt8](data)
        if let bad = StrictUTF8.firstInvalid(bytes[...]) {
            return (nil, [Diagnostic(.error, line: bad.line, "not UTF-8 text (byte \(bad.column) of line \(bad.line))")], nil)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        var p = ConfigParser(src: YAMLSource(text: text, path: path), environment: environment, checkFiles: checkFiles, known: known)
        let config = p.run()
        return (p.src.hasErrors ? nil : config, p.sortedDiagnostics, p.checklistFile)
    }

    /// A regular file (following symbolic links): never open a FIFO or a device as if it were one (a FIFO blocks).
    public static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// Why a file named in a config could not be read as one: "not found (looked at …)", "is a directory, not a file",
    /// "is a FIFO, not a regular file", "cannot be read: Permission denied".
    public static func unreadableFileText(_ path: String) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let e = errno
            return e == ENOENT ? "not found (looked at \(path))" : "cannot be read: \(String(cString: strerror(e))) (\(path))"
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return "cannot be read: \(String(cString: strerror(access(path, R_OK) == 0 ? EIO : errno))) (\(path))"
        case S_IFDIR: return "is a directory, not a file (\(path))"
        case S_IFIFO: return "is a FIFO, not a regular file (\(path))"
        case S_IFCHR: return "is a character device, not a regular file (\(path))"
        case S_IFBLK: return "is a block device, not a regular file (\(path))"
        case S_IFSOCK: return "is a socket, not a regular file (\(path))"
        default: return "is not a regular file (\(path))"
        }
    }

    public static func parse(_ text: String, path: String, environment: [String: String] = [:],
                             checkFiles: Bool = true) -> (config: RunConfig?, diagnostics: [Diagnostic]) {
        var p = ConfigParser(src: YAMLSource(text: text, path: path), environment: environment, checkFiles: checkFiles)
        let config = p.run()
        return (p.src.hasErrors ? nil : config, p.sortedDiagnostics)
    }
}

struct ConfigParser {
    var src: YAMLSource
    let environment: [String: String]
    let checkFiles: Bool
    var known: ConfigLoader.ChecklistFile? = nil
    /// The checklist read and parsed to check it.
    var checklistFile: ConfigLoader.ChecklistFile?

    var sortedDiagnostics: [Diagnostic] {
        src.diagnostics.sorted { ($0.line, $0.severity == .error ? 0 : 1) < ($1.line, $1.severity == .error ? 0 : 1) }
    }

    var directory: String {
        let d = (src.path as NSString).deletingLastPathComponent
        return d.isEmpty ? "." : d
    }

    mutating func run() -> RunConfig? {
        if src.text.utf8.count > 1 << 20 {
            src.error(1, "the file is too large for a config (over 1 MiB)")
            return nil
        }
        if src.text.allSatisfy({ $0.isWhitespace }) {
            src.error(1, "the config is empty: expected a mapping with service, checklist and ramp (warroom init --from CHECKLIST writes one)")
            return nil
        }
        guard let root = src.compose() else {
            if !src.hasErrors { src.error(1, "the config has no content: expected a mapping with service, checklist and ramp") }
            return nil
        }
        guard case .mapping(let top) = root else {
            src.error(src.line(root), "a config must be a mapping with service, checklist and ramp (found \(YAMLSource.kind(root)))")
            return nil
        }
        var service: String?
        var checklist: String?
        var checklistLine = 1
        var t0: Millis?
        var t0Offset: Int?
        var rampNode: Node?
        var rollbackNode: Node?
        var contactsNode: Node?
        var sourcesNode: Node?
        var slosNode: Node?
        var group: String?
        var store: String?
        var storeAccess: StoreAccessConfig?
        var environmentNode: Node?
        var keysNode: Node?
        var notifyNode: Node?
        var commsNode: Node?
        for (k, v) in top {
            guard let key = key(k, known: ConfigLoader.topKeys, context: "at the top level") else { continue }
            switch key {
            case "service": service = string(v, k, "service")
            case "checklist":
                checklist = string(v, k, "checklist")
                checklistLine = src.line(v)
            case "t0":
                if let s = string(v, k, "t0") {
                    if let t = Timestamp.parse(s) { t0 = t; t0Offset = Timestamp.utcOffsetMinutes(s).flatMap { $0 == 0 ? nil : $0 } } else {
                        src.error(src.line(v), "t0 \"\(s)\" is not a timestamp (write 2026-11-23T09:00:00Z)")
                    }
                }
            case "ramp": rampNode = v
            case "rollback": rollbackNode = v
            case "contacts": contactsNode = v
            case "sources": sourcesNode = v
            case "slos": slosNode = v
            case "environment": environmentNode = v
            case "keys": keysNode = v
            case "notify": notifyNode = v
            case "comms": commsNode = v
            case "group":
                group = string(v, k, "group")
                if let g = group, g.isEmpty || g.contains(where: { $0 == " " || $0 == ":" || $0 == "/" }) {
                    src.error(src.line(v), "group \"\(g)\" is not a Unix group name")
                }
            case "store": (store, storeAccess) = parseStore(v, k, directory: directory)
            default: break
            }
        }
        if service == nil { src.error(1, "missing service: (the name shown in the header, e.g. service: checkout-api)") }
        if checklist == nil { src.error(1, "missing checklist: (the go-live checklist, relative to this file)") }

        var resolvedChecklist = checklist ?? ""
        var parsedChecklist: Checklist?
        if let c = checklist {
            resolvedChecklist = c.hasPrefix("/") ? c : (directory as NSString).appendingPathComponent(c)
            if checkFiles {
                if let known, (known.path as NSString).standardizingPath == (resolvedChecklist as NSString).standardizingPath {
                    checklistFile = known
                } else if ConfigLoader.isRegularFile(resolvedChecklist), let data = FileManager.default.contents(atPath: resolvedChecklist) {
                    let bytes = [UInt8](data)
                    checklistFile = ConfigLoader.ChecklistFile(path: resolvedChecklist, bytes: bytes,
                                                               checklist: ChecklistParser.parse(bytes, path: resolvedChecklist))
                }
                if let parsed = checklistFile?.checklist {
                    if parsed.hasErrors {
                        src.error(checklistLine, "checklist \(c) has errors (run warroom lint \(resolvedChecklist))")
                    }
                    parsedChecklist = parsed
                } else {
                    src.error(checklistLine, "checklist \(c) " + ConfigLoader.unreadableFileText(resolvedChecklist))
                }
            }
        }

        var sources: [SourceConfig] = []
        if let n = sourcesNode { sources = parseSources(n) }
        var childEnvironment: EnvironmentConfig?
        if let n = environmentNode { childEnvironment = parseEnvironment(n, sources: sources) }
        var plan = RampPlan(steps: [])
        var apply: [String]?
        var rollbackHook: [String]?
        var timeout: Millis = 60_000
        var traffic: TrafficConfig?
        if let n = rampNode {
            (plan, apply, rollbackHook, timeout) = parseRamp(n, checklist: parsedChecklist)
            traffic = parseTraffic(inRamp: n, hooks: apply != nil || rollbackHook != nil)
            if let t = traffic { plan.hasApply = true; plan.hasRollbackHook = true; checkTrafficSteps(t, steps: plan.steps.map(\.percent)) }
        }
        var lights: [LightConfig] = []
        if let n = rollbackNode { lights = parseLights(n, sources: sources) }
        var contacts: [Contact]?
        if let n = contactsNode { contacts = parseContacts(n) }
        var slos: [SLOConfig] = []
        if let n = slosNode { slos = parseSLOs(n, sources: sources) }
        var config = RunConfig(path: src.path, service: service ?? "", checklist: resolvedChecklist, t0: t0, plan: plan,
                               apply: apply, rollbackHook: rollbackHook, hookTimeoutMs: timeout, hookDirectory: directory,
                               lights: lights, contacts: contacts, sources: sources, slos: slos)
        config.t0UTCOffsetMinutes = t0Offset
        config.group = group
        config.store = store
        config.storeAccess = storeAccess
        if let n = keysNode { config.keys = parseKeys(n) }
        config.environment = childEnvironment
        config.traffic = traffic
        if let n = notifyNode { config.notify = parseNotify(n) }
        if let n = commsNode { config.comms = parseComms(n) }
        return config
    }
}
