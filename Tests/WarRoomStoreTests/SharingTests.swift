import Foundation
import Testing
import WarRoomCore
import WarRoomStore

private func rawMode(_ path: String) -> Int {
    var st = stat()
    guard stat(path, &st) == 0 else { return -1 }
    return Int(st.st_mode & 0o7777)
}

/// A state directory shared with a group (here the test's own group, so no root is needed): 2770, and every file
/// the store makes in it 0660 — also under a umask that would take the group's bits.
@Suite(.serialized) struct SharedStateDirectory {
    @Test func everyFileIsGroupReadWritable() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let old = umask(0o077); defer { umask(old) }
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0, sharing: getgid())
        defer { w.close() }
        #expect(StateSharing.isShared(dir.state))
        #expect(rawMode(dir.state) == 0o2770)
        try w.append(.runStarted(RunStarted(checklist: "c.md", checklistSHA256: "ab", items: 1, host: "h", pid: 1)), actor: "dana", time: t0)
        try w.append(.signOff(SignOffEvent(role: "SRE Lead")), actor: "dana", time: t0 + 1)
        _ = try w.acquireLease(now: t0 + 2)
        try ViewFile.publish(Data("{}".utf8), stateDir: dir.state)
        let log = try LogFile.open(stateDir: dir.state); close(log)
        let hash = try ChecklistCopies.keep(Array("# c\n- [ ] a\n".utf8), stateDir: dir.state)
        for f in ["journal.jsonl", "head", "append.lock", "lease", "lease.lock", "view.json", "warroom.log"] {
            #expect(rawMode(dir.state + "/" + f) == 0o660, "\(f)")
        }
        #expect(rawMode(dir.state + "/checklists") == 0o2770)
        #expect(rawMode(ChecklistCopies.path(sha256: hash, in: dir.state)) == 0o660)
        // A later writer without a group keeps the directory's files shared.
        let later = try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0 + 3)
        later.close()
        #expect(rawMode(dir.state) == 0o2770)
    }

    @Test func privateWithoutAGroupAndAnUnsharedDirectoryIsNotTakenForShared() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        w.close()
        #expect(!StateSharing.isShared(dir.state))
        #expect(rawMode(dir.state) == 0o700)
        #expect(rawMode(dir.journal) == 0o600)
        let e = #expect(throws: JournalError.self) { try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0, sharing: getgid()) }
        #expect(e?.path == dir.state)
        #expect(e?.message.contains("already exists and is not shared with that group") == true, "\(e.map { "\($0)" } ?? "")")
    }

    @Test func unknownGroupIsNamed() {
        let e = #expect(throws: JournalError.self) { try StateSharing.groupID(named: "no-such-group-warroom") }
        #expect(e?.description.contains("no-such-group-warroom: no such group") == true)
    }
}
