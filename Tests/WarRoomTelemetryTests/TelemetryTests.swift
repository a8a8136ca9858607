import Testing
@testable import WarRoomTelemetry
