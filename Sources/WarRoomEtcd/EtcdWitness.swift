import WarRoomCore
import WarRoomStore

/// Witnesses on etcd. `verify --store … --witness X` proves the etcd journal extends a witness without an export
/// first; and the run's witnesses are kept in etcd itself, under `PREFIX/witness/<seq, 12 digits>`, each written
/// once (a txn that creates the key only while it is absent), so a later rewrite of the journal no longer matches
/// them, and a witness key put again shows in its version (etcd counts every put of a key).
extension EtcdJournal: WitnessKeeper {
    /// The key a witness at `seq` is kept under.
    func witnessKey(_ seq: Int) -> [UInt8] {
        let digits = String(seq)
        return key("witness/" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits)
    }

    /// The hash of every line of the journal, in order (read afresh and verified, as `export` reads it).
    public func lineHashes() throws -> [String] {
        let (lines, _, _) = try readAllLines()
        var bytes: [UInt8] = []
        for l in lines {
            bytes += l
            if l.last != 0x0A { bytes.append(0x0A) } // an entry's value is its journal line, newline included
        }
        return Witness.lineHashes(bytes, count: lines.count)
    }

    /// The seq of the line `witness` saw, if this journal (run `runID`) extends it; else why not.
    public func check(_ witness: Witness, runID: String?) throws -> Int {
        try witness.check(hashes: try lineHashes(), runID: runID, label: url.description)
    }

    /// Keeps `witness` (it must carry its seq) in etcd. True if it was written now; false if a witness of that seq is
    /// kept already with the same hash; throws if one with another hash is (the history was rewritten since).
    @discardableResult
    public func keep(_ witness: Witness) throws -> Bool {
        guard let seq = witness.seq else { throw JournalError(path: url.description, message: "a kept witness needs its seq") }
        let k = witnessKey(seq)
        let r: EtcdTxnResult
        do throws(EtcdError) {
            r = try client.txn(compare: [.createRevision(k, .equal, 0)],
                               success: [.put(key: k, value: Array(witness.line.utf8), lease: 0)],
                               failure: [.range(key: k, rangeEnd: [], limit: 0, revision: 0)])
        } catch { throw EtcdStoreError(url: url, action: "keep the witness", cause: error) }
        if r.succeeded { return true }
        let kept = r.ranges.first??.kvs.first.flatMap { Witness.parseAll(String(decoding: $0.value, as: UTF8.self), bareHashes: false).first }
        guard let kept, kept.hash == witness.hash else {
            throw JournalError(path: url.description, line: seq,
                               message: "a witness of seq \(seq) is kept already with hash \(kept?.hash.prefix(12) ?? "?")…, this journal has \(witness.hash.prefix(12))…")
        }
        return false
    }

    /// Every witness kept in etcd, in seq order, with how many times its key was put (1: never rewritten).
    public func keptWitnesses() throws -> [(witness: Witness?, version: Int64, key: String)] {
        let r: EtcdRange
        do throws(EtcdError) { r = try client.rangePrefix(key("witness/")) } catch {
            throw EtcdStoreError(url: url, action: "read the kept witnesses", cause: error)
        }
        return r.kvs.map { kv in
            (Witness.parseAll(String(decoding: kv.value, as: UTF8.self), bareHashes: false).first, kv.version,
             String(decoding: kv.key, as: UTF8.self))
        }
    }
}
