import ArgumentParser
import Foundation
import WarRoomCore
import WarRoomEtcd
import WarRoomStore

/// Where a run is kept: a state directory (the default) or an etcd prefix (`--store etcd://HOST:PORT[,…]/PREFIX`).
/// Every command reaches the run through this, so each behaves the same on either store:
///
/// | what                | directory                      | etcd                                        |
/// |---------------------|--------------------------------|---------------------------------------------|
/// | journal, lease      | `DIR/journal.jsonl`, `DIR/lease` | `PREFIX/journal/…`, `PREFIX/lease`        |
/// | driver's view       | `DIR/view.json`                | `PREFIX/view`                               |
/// | checklist copies    | `DIR/checklists/<sha>.md`      | `PREFIX/checklists/<sha>`                   |
/// | the console's log   | `DIR/warroom.log`              | `LOCAL/warroom.log` (`--state`, default `./.warroom-etcd-<prefix>`) |
enum StoreLocation {
    case directory(String)
    /// `local`: the directory for what stays on this machine (the console's log).
    case etcd(EtcdURL, local: String)

    /// `--store` (an `etcd://` URL, or a directory) and `--state`. With an etcd store, `--state` is the local
    /// directory for the log; without it, `./.warroom-etcd-<prefix with / as ->`. `access`: `--cacert`, `--cert`,
    /// `--key`, `--user`, `--password-file`, `--password-env`, over `config` (the config's `store:` settings, for the
    /// config's store): the password is read and the TLS files loaded here, so a bad one fails before anything starts.
    static func resolve(state: String?, store: String?, access: StoreAccessOptions? = nil,
                        config: StoreAccessConfig? = nil) throws(Failure) -> StoreLocation {
        let settings = access?.merged(over: config) ?? config
        guard let store else {
            if access?.isEmpty == false { throw Failure("--cacert, --cert, --key, --user and --password-* apply to --store etcd://… or etcds://… only") }
            guard let state else { throw Failure("give --state DIR or --store etcd://HOST:PORT/PREFIX") }
            return .directory(state)
        }
        guard EtcdURL.isEtcd(store) else {
            if access?.isEmpty == false { throw Failure("--cacert, --cert, --key, --user and --password-* apply to --store etcd://… or etcds://… only") }
            if let state, state != store { throw Failure("--store \(store) is a directory: give it as --state (or --store etcd://…)") }
            return .directory(store)
        }
        switch EtcdURL.parse(store) {
        case .success(var url):
            if let settings { url.access = try settings.resolve(for: url) }
            return .etcd(url, local: state ?? ".warroom-etcd-" + url.prefix.replacingOccurrences(of: "/", with: "-"))
        case .failure(let e): throw Failure("--store: \(e)")
        }
    }

    /// The store as messages name it: the directory, or the URL.
    var label: String {
        switch self {
        case .directory(let d): return d
        case .etcd(let u, _): return u.description
        }
    }

    /// The journal as messages name it (`DIR/journal.jsonl`, `etcd://…/PREFIX/journal`).
    var journalLabel: String {
        switch self {
        case .directory(let d): return Journal.path(in: d)
        case .etcd(let u, _): return u.description + "/journal"
        }
    }

    /// The directory on this machine: the state directory, or the etcd run's local directory (the log).
    var localDir: String {
        switch self {
        case .directory(let d): return d
        case .etcd(_, let local): return local
        }
    }

    var isEtcd: Bool { if case .etcd = self { return true } else { return false } }

    /// The etcd password and tokens, for the redactor of hooks' and sources' output (none for a directory).
    var secrets: [String] {
        if case .etcd(let u, _) = self { return u.access.credentials?.secrets ?? [] }
        return []
    }

    /// The etcd client for this store's URL (one per use: EtcdClient is not shared across queues here).
    func client() -> EtcdClient? {
        if case .etcd(let u, _) = self { return EtcdClient(url: u) }
        return nil
    }

    /// Whether a run has begun here (false: no journal yet). A problem (a file for a directory; etcd unreachable)
    /// fails naming it.
    func hasRun() throws(Failure) -> Bool {
        switch self {
        case .directory(let d):
            do { return try Journal.hasRun(in: d) } catch { throw Failure("\(error)") }
        case .etcd(let u, _):
            do throws(EtcdError) {
                return try EtcdClient(url: u).range(Array((u.prefix + "/head").utf8)).kvs.first != nil
            } catch {
                throw Failure("\(EtcdStoreError(url: u, action: "read the journal", cause: error))")
            }
        }
    }

    /// A writer: the file journal (its append lock, head and torn-tail checks) or the etcd journal.
    func openWriter(actor: String, now: Millis, sharing: gid_t? = nil, acceptDamagedHead: String? = nil) throws(Failure) -> RunJournal {
        switch self {
        case .directory(let d):
            do { return try JournalWriter.open(stateDir: d, actor: actor, now: now, sharing: sharing, acceptDamagedHead: acceptDamagedHead) } catch {
                throw openFailure(error, stateDir: d)
            }
        case .etcd(let u, _):
            do { return try EtcdJournal.open(url: u, actor: actor, now: now) } catch { throw Failure("\(error)") }
        }
    }

    /// The journal as far as it verifies (all of it, or the entries before the first damaged one, with the damage).
    func readVerified() throws(Failure) -> StoreRead {
        switch self {
        case .directory(let d):
            let r: (replay: Replay, damage: JournalError?)
            do { r = try Journal.readVerifiedPrefix(stateDir: d) } catch { throw Failure("\(error)") }
            return StoreRead(path: Journal.path(in: d), state: r.replay.state, events: r.replay.events, lineCount: r.replay.lineCount,
                             lastHash: r.replay.lastHash, tornTail: r.replay.tornTail, warnings: r.replay.warnings, damage: r.damage)
        case .etcd(let u, _):
            let tail = EtcdTail(url: u)
            var events: [JournalEvent] = []
            var damage: JournalError?
            do { events = try tail.poll() } catch let e as JournalError { damage = e } catch { throw Failure("\(error)") }
            return StoreRead(path: journalLabel, state: tail.state, events: events, lineCount: tail.lineCount,
                             lastHash: tail.lastHash, tornTail: nil, warnings: [], damage: damage)
        }
    }

    /// The whole journal, verified: damage fails naming the line or seq (as `Journal.replay`).
    func replay() throws(Failure) -> StoreRead {
        let r = try readVerified()
        if let d = r.damage { throw Failure("\(d)") }
        return r
    }

    /// A reader for followers, and the journal as it read it first.
    func openTail() throws(Failure) -> (tail: RunTail, read: StoreRead) {
        switch self {
        case .directory(let d):
            do {
                let (tail, r) = try JournalTail.open(stateDir: d)
                return (tail, StoreRead(path: Journal.path(in: d), state: r.state, events: r.events, lineCount: r.lineCount,
                                        lastHash: r.lastHash, tornTail: r.tornTail, warnings: r.warnings, damage: nil))
            } catch { throw Failure("\(error)") }
        case .etcd(let u, _):
            let tail = EtcdTail(url: u)
            let events: [JournalEvent]
            do { events = try tail.poll() } catch { throw Failure("\(error)") }
            return (tail, StoreRead(path: journalLabel, state: tail.state, events: events, lineCount: tail.lineCount,
                                    lastHash: tail.lastHash, tornTail: nil, warnings: [], damage: nil))
        }
    }

    /// Keeps the checklist's exact bytes with the run (`DIR/checklists/<sha>.md`, `PREFIX/checklists/<sha>`).
    func keepChecklist(_ bytes: [UInt8]) throws {
        switch self {
        case .directory(let d): try ChecklistCopies.keep(bytes, stateDir: d)
        case .etcd(let u, _):
            let sha = ChecklistCopies.sha256Hex(bytes)
            let key = Array((u.prefix + "/checklists/" + sha).utf8)
            do throws(EtcdError) {
                // Content-addressed: put only if absent (an intact copy is never rewritten).
                _ = try EtcdClient(url: u).txn(compare: [.createRevision(key, .equal, 0)], success: [.put(key: key, value: bytes, lease: 0)])
            } catch {
                throw EtcdStoreError(url: u, action: "keep a copy of the checklist", cause: error)
            }
        }
    }

    /// The checklist kept under `sha256`; nil when there is none. A copy whose bytes do not hash to it is an error.
    func readChecklist(sha256: String) throws(Failure) -> [UInt8]? {
        switch self {
        case .directory(let d):
            do { return try ChecklistCopies.read(sha256: sha256, stateDir: d) } catch { throw Failure("\(error)") }
        case .etcd(let u, _):
            let name = u.prefix + "/checklists/" + sha256
            let bytes: [UInt8]?
            do throws(EtcdError) { bytes = try EtcdClient(url: u).range(Array(name.utf8)).kvs.first?.value } catch {
                throw Failure("\(EtcdStoreError(url: u, action: "read the checklist copy", cause: error))")
            }
            guard let bytes else { return nil }
            guard ChecklistCopies.sha256Hex(bytes) == sha256 else {
                throw Failure("\(u)/checklists/\(sha256): content does not match its name (the copy was changed)")
            }
            return bytes
        }
    }

    /// Where the copy of `sha256` would be, for messages.
    func checklistCopyLabel(sha256: String) -> String {
        switch self {
        case .directory(let d): return ChecklistCopies.path(sha256: sha256, in: d)
        case .etcd(let u, _): return "\(u)/checklists/\(sha256)"
        }
    }

    /// Publishes the driver's view for followers (`DIR/view.json`, replaced atomically; `PREFIX/view`, one put).
    func viewPublisher() -> @Sendable (PublishedView) throws -> Void {
        switch self {
        case .directory(let d):
            return { view in try ViewFile.publish(view, stateDir: d) }
        case .etcd(let u, _):
            let client = EtcdClient(url: u)
            let key = Array((u.prefix + "/view").utf8)
            return { view in
                let e = JSONEncoder()
                e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
                let data = try e.encode(view)
                do throws(EtcdError) { _ = try client.put(key, [UInt8](data)) } catch {
                    throw EtcdStoreError(url: u, action: "publish the view for followers", cause: error)
                }
            }
        }
    }

    /// The driver's published view; nil when there is none (or it cannot be read).
    func readView(client: EtcdClient? = nil) -> PublishedView? {
        switch self {
        case .directory(let d): return ViewFile.read(PublishedView.self, stateDir: d)
        case .etcd(let u, _):
            guard let bytes = try? (client ?? EtcdClient(url: u)).range(Array((u.prefix + "/view").utf8)).kvs.first?.value else { return nil }
            let d = JSONDecoder()
            d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
            return try? d.decode(PublishedView.self, from: Data(bytes))
        }
    }
}

/// The journal as a command read it (verified).
struct StoreRead {
    var path: String
    var state: RunState
    var events: [JournalEvent]
    var lineCount: Int
    var lastHash: String?
    var tornTail: TornTail?
    var warnings: [String]
    /// The first damage; then the rest is what verified before it.
    var damage: JournalError?
}

/// An incremental reader of the journal, for followers.
protocol RunTail: AnyObject {
    func poll() throws -> [JournalEvent]
}

extension JournalTail: RunTail {}
extension EtcdTail: RunTail {}

/// The driver lease held, renewed away from the journal writer's queue.
protocol LeaseKeeper: AnyObject {
    var lease: LeaseRecord? { get }
    func renew(now: Millis) throws
    func offer(to: String?, now: Millis) throws
    func release(now: Millis) throws
}

extension LeaseHolder: LeaseKeeper {}
extension EtcdLeaseKeeper: LeaseKeeper {}

/// etcd could not be reached or has no quorum: the console says STORE UNREACHABLE and keeps trying.
func isStoreOutage(_ error: Error) -> Bool {
    (error as? EtcdStoreError)?.isOutage == true
}

/// `--store etcd://HOST:PORT[,…]/PREFIX`, for every command that reads or writes a run.
let storeHelp = ArgumentHelp(
    "The run in etcd instead of a state directory: etcd://HOST:PORT[,HOST:PORT…]/PREFIX (etcds:// for TLS; see --cacert, --cert, --key, --user). With it, --state is optional (a local directory for the console's log).",
    valueName: "etcd-url")
