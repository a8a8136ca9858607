import Testing
@testable import WarRoomConfig
