import ArgumentParser
import Foundation
import WarRoomCore
import WarRoomEtcd
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
            guard case .etcd(let url, _) = location else { return }
            let etcd: EtcdJournal
            do { etcd = try EtcdJournal.open(url: url, actor: "verify", now: Clock.now()) } catch { throw Failure("\(error)") }
            // The witnesses the run kept in etcd as it went: each written once, each still extended by the journal.
            let kept: [(witness: Witness?, version: Int64, key: String)]
            do { kept = try etcd.keptWitnesses() } catch { throw Failure("\(error)") }
            for k in kept {
                guard let w = k.witness else { throw Failure("\(url.description): \(k.key): not a readable witness") }
                guard k.version == 1 else { throw Failure("\(url.description): \(k.key) was written \(k.version) times: a kept witness is written once") }
                do { _ = try etcd.check(w, runID: replay.state.runID) } catch { throw Failure("kept witness \(k.key): \(error)") }
            }
            if let last = kept.last?.witness?.seq {
                say("\(kept.count) witness\(kept.count == 1 ? "" : "es") kept in etcd (the last at seq \(last)): the journal extends each")
            }
            for (_, w) in try givenWitnesses() {
                do {
                    let seq = try etcd.check(w, runID: replay.state.runID)
                    say("witness \(w.hash.prefix(12))… at seq \(seq): the journal extends it")
                } catch { throw Failure("witness \(w.hash.prefix(12))…: \(error)") }
            }
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
        for (_, w) in try givenWitnesses() {
            do {
                let seq = try Journal.check(w, stateDir: state)
                say("witness \(w.hash.prefix(12))… at seq \(seq): the journal extends it")
            } catch { throw Failure("witness \(w.hash.prefix(12))…: \(error)") }
        }
    }

    /// The witnesses given with --witness (lines, SEQ:HASH, hashes, or files of them), each read whole first.
    func givenWitnesses() throws -> [(given: String, witness: Witness)] {
        var out: [(String, Witness)] = []
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
            out += found.map { (given, $0) }
        }
        return out
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
