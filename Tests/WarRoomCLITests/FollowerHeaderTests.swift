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
