import Foundation
import WarRoomCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an exchange failed, before it is worded.
enum SocketHTTPFailure: Error {
    case timedOut
    case cancelled
    case errno(Int32)
    case closed
    case bad
    case tooLarge(Int)
    case text(String)

    /// The server closed or reset the connection (for a reused connection before any answer: stale, try anew).
    var isConnectionLoss: Bool {
        switch self {
        case .closed: return true
        case .errno(let code): return code == ECONNRESET || code == EPIPE
        default: return false
        }
    }

    func message(timeoutMs: Int64) -> String {
        switch self {
        case .timedOut: return "timed out after \(DurationText.seconds(timeoutMs))"
        case .cancelled: return "cancelled"
        case .closed: return "connection closed by the server"
        case .bad: return "bad HTTP response"
        case .tooLarge(let limit): return "response larger than \(limit >> 20) MiB"
        case .text(let text): return text
        case .errno(let code):
            switch code {
            case ECONNREFUSED: return "connection refused"
            case ETIMEDOUT: return "timed out after \(DurationText.seconds(timeoutMs))"
            case ECONNRESET, EPIPE: return "connection closed by the server"
            case ENETUNREACH, ENETDOWN: return "network unreachable"
            case EHOSTUNREACH, EHOSTDOWN: return "host unreachable"
            case EADDRNOTAVAIL, EAFNOSUPPORT: return "address not available"
            default: return "network error: " + String(cString: strerror(code))
            }
        }
    }
}
