import ArgumentParser
import Foundation
import WarRoomCore
import WarRoomStore

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the journal's whole hash chain; exit 1 naming the first bad line.",
        discussion: "Read-only: never takes the writer's lock and never changes a file."
    )

    @Option(help: "The run's state directory.") var state: String?
    @Option(help: storeHelp) var store: String?
    @OptionGroup(title: "etcd access") var access: StoreAccessOptions
    @Option(help: ArgumentHelp("A witness the journal must extend: a line `warroom witness` printed, SEQ:HASH, a hash, or a file holding such lines (each is checked). Repeatable.",
                               valueName: "line-or-file"))
    var witness: [String] = []

    func validate() throws {
        if state == nil, store == nil { throw ValidationError("give --state DIR or --store etcd://HOST:PORT/PREFIX") }
    }

    func run() throws {
        let location = try StoreLocation.resolve(state: state, store: store, access: access)
        guard case .directory(let state) = location else {
            guard try location.hasRun() else { throw Failure("\(location.label): no journal here") }
            let replay = try location.replay()
            say("\(location.journalLabel): chain intact, \(replay.state.lastSeq) entries, run \(replay.state.runID ?? "?")"
                  + (replay.state.lastTime.map { ", last at \(Timestamp.iso8601($0))" } ?? ""))
            if !witness.isEmpty { throw Failure("--witness is checked on a state directory: warroom export --store \(location.label) --state DIR, then verify --state DIR --witness …") }
            return
        }
        guard try hasRun(state) else { throw Failure("\(state): no journal here (\(Journal.path(in: state)) is missing)") }
        let replay: Replay
        do { replay = try Journal.replay(stateDir: state) } catch { throw Failure("\(error)") }
        let path = Journal.path(in: state)
        if let t = replay.tornTail {
            writeStderr("\(path):\(t.line): warning: torn last line (\(t.bytes) bytes, never acknowledged); the next writer cuts it off")
        }
        for warning in replay.warnings + permissionWarnings(state) { writeStderr("warroom: warning: \(warning)") }
        say("\(path): chain intact, \(replay.state.lastSeq) entries, run \(replay.state.runID ?? "?")"
              + (replay.state.lastTime.map { ", last at \(Timestamp.iso8601($0))" } ?? ""))
        try checkWitnesses(state)
    }

    func checkWitnesses(_ state: String) throws {
        for given in witness {
            var text = given
            let isFile = FileManager.default.fileExists(atPath: given)
            if isFile {
                do { text = try String(contentsOfFile: given, encoding: .utf8) } catch {
                    throw Failure("\(given): cannot read the witness file: \(error.localizedDescription)")
                }
            }
            let found = Witness.parseAll(text, bareHashes: !isFile)
            if let bad = Witness.malformed(text).first {
                throw Failure("\(given): not a readable witness: \(bad) (expected warroom-witness run=… seq=N hash=<64 hex> at=…)")
            }
            guard !found.isEmpty else { throw Failure("\(given): no witness in it (expected a `warroom witness` line, SEQ:HASH or a hash)") }
            for w in found {
                do {
                    let seq = try Journal.check(w, stateDir: state)
                    say("witness \(w.hash.prefix(12))… at seq \(seq): the journal extends it")
                } catch { throw Failure("witness \(w.hash.prefix(12))…: \(error)") }
            }
        }
    }

    func permissionWarnings(_ dir: String) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        func mode(_ p: String) -> Int? { (try? fm.attributesOfItem(atPath: p)[.posixPermissions] as? Int) ?? nil }
        if let m = mode(dir), m & 0o077 != 0 { out.append("\(dir) is readable by others (mode \(String(m, radix: 8)); expected 700)") }
        for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] {
            let p = (dir as NSString).appendingPathComponent(name)
            if let m = mode(p), m & 0o077 != 0 { out.append("\(p) is readable by others (mode \(String(m, radix: 8)); expected 600)") }
        }
        return out
    }
}
