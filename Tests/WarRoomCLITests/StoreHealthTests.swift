import Testing
@testable import WarRoomCLI

/// The store's outage as the console's queues see it: said once, ended once, and a request sent before the store
/// last answered (left in a stopped etcd's socket, timing out just after it came back) neither begins an outage nor
/// hides the end of one. Before, the lease's heartbeat and the journal's catch-up each kept their own outage, and a
/// late heartbeat failure covered "STORE REACHABLE again" with a second STORE UNREACHABLE.
@Suite struct StoreHealthRules {
    @Test func oneOutageIsSaidOnceAndEndsOnce() {
        let h = StoreHealth()
        #expect(h.failed("catch-up: timed out", sent: 10) == "catch-up: timed out")
        #expect(h.failed("heartbeat: timed out", sent: 11) == nil, "the same outage, seen by the lease queue")
        #expect(h.isDown)
        #expect(h.answered(sent: 20))
        #expect(!h.answered(sent: 21), "its end is said once")
        #expect(!h.isDown)
    }

    @Test func aRequestSentBeforeTheStoreAnsweredSaysNothingAboutNow() {
        let h = StoreHealth()
        _ = h.failed("timed out", sent: 10)
        #expect(h.answered(sent: 30))
        // A heartbeat sent at 25, during the outage, times out after the catch-up sent at 30 succeeded.
        #expect(h.failed("heartbeat: timed out", sent: 25) == nil)
        #expect(!h.isDown)
        // A request sent after the last answer that fails is a new outage.
        #expect(h.failed("timed out", sent: 31) != nil)
    }
}
