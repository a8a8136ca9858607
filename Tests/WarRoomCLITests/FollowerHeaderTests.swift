import Testing
@testable import WarRoomCLI
import WarRoomCore
import WarRoomStore

/// Issue 14: a follower's header names the driver, and says so when nobody drives.
@Suite struct FollowerHeader {
    let t: Millis = 1_795_424_400_000 // 09:00:00Z

    @Test func theLeaseNamesWhoDrivesOrThatNobodyDoes() {
        let live = LeaseRecord(token: 3, actor: "dana", pid: 1, host: "h", since: t - 60_000, heartbeat: t - 1_000, ttlMs: 10_000)
        #expect(Follower.leaseText(live, now: t) == "dana drives")
        var quit = live
        quit.released = true
        #expect(Follower.leaseText(quit, now: t) == "nobody drives (dana quit at 08:59:59Z)")
        #expect(Follower.leaseText(live, now: t + 20_000) == "nobody drives (dana's lease lapsed at 09:00:09Z)")
        #expect(Follower.leaseText(nil, now: t) == nil)
    }
}

/// `keys:` in the config: a clash is a lint error at its line, and `run` refuses it the same way.
@Suite struct KeysConfigLint {
    @Test func aClashIsALintErrorWithFileAndLine() throws {
        let dir = tempDir("keys-lint")
        let path = dir + "/warroom.yaml"
        try "service: checkout-api\nchecklist: \(canary)\nkeys:\n  skip: z\n  undo: b\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try warroom(["lint", path])
        #expect(r.status != 0)
        #expect(r.out.contains("\(path):5: error: keys: b is bound to both block and undo"), "\(r.out)\(r.err)")
        try "service: checkout-api\nchecklist: \(canary)\nkeys:\n  skip: z\n  undo: X\n".write(toFile: path, atomically: true, encoding: .utf8)
        let ok = try warroom(["lint", path])
        #expect(ok.status == 0, "\(ok.out)\(ok.err)")
    }
}
