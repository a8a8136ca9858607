import Foundation
import WarRoomCore

/// `adapter: haproxy` — HAProxy's runtime API on its stats socket (`socket: /run/haproxy/admin.sock`, or
/// `tcp://127.0.0.1:9999`): two servers of one backend, `stable` and `canary`. A share of N % is weights
/// canary = N and stable = 100 − N (inside HAProxy's 0–256 range), so the canary's share is exactly N %; the share in
/// effect is read back with `get weight` on both.
public struct HAProxyAdapter: TrafficAdapter {
    public let name = "haproxy"
    let socket: RuntimeSocket.Address
    let backend: String
    let stable: String
    let canary: String
    let timeoutMs: Millis

    public init(_ config: TrafficConfig) throws {
        guard let s = config.settings["socket"], let b = config.settings["backend"], let st = config.settings["stable"],
              let c = config.settings["canary"] else { throw TrafficError("haproxy needs socket, backend, stable and canary") }
        socket = try RuntimeSocket.Address.parse(s)
        backend = b
        stable = st
        canary = c
        timeoutMs = config.timeoutMs
    }

    /// The weights for a share: (stable, canary).
    public static func weights(percent: Int) -> (stable: Int, canary: Int) {
        let p = min(100, max(0, percent))
        return (100 - p, p)
    }

    /// The canary's share from the two weights, rounded to a whole percent; nil when both are 0 (nothing is served).
    /// Weights below 0, or so large they overflow, are no share either (nil): an answer that says them is not trusted.
    public static func share(stable: Int, canary: Int) -> Int? {
        guard stable >= 0, canary >= 0, stable <= Int.max / 200, canary <= Int.max / 200 else { return nil }
        let total = stable + canary
        guard total > 0 else { return nil }
        return (canary * 100 + total / 2) / total
    }

    public func set(percent: Int) throws {
        guard (0...100).contains(percent) else { throw TrafficError("share \(percent) % is outside 0–100") }
        let w = Self.weights(percent: percent)
        // The side that grows first: the backend never serves from two servers both at 0 on the way.
        let order = w.canary >= 50 ? [(canary, w.canary), (stable, w.stable)] : [(stable, w.stable), (canary, w.canary)]
        for (server, weight) in order {
            let answer = try command("set weight \(backend)/\(server) \(weight)")
            guard answer.isEmpty else { throw TrafficError("haproxy refused set weight \(backend)/\(server) \(weight): \(answer)") }
        }
    }

    public func read() throws -> Int {
        let s = try weight(stable)
        let c = try weight(canary)
        guard let share = Self.share(stable: s, canary: c) else {
            throw TrafficError("both \(backend)/\(stable) and \(backend)/\(canary) are at weight 0: the backend serves nothing")
        }
        return share
    }

    /// `get weight BACKEND/SERVER` answers "25 (initial 1)".
    func weight(_ server: String) throws -> Int {
        let answer = try command("get weight \(backend)/\(server)")
        guard let n = Int(answer.prefix { $0.isNumber }), answer.first?.isNumber == true else {
            throw TrafficError("get weight \(backend)/\(server): \(answer.isEmpty ? "no answer" : answer)")
        }
        return n
    }

    /// One runtime API command on its own connection; the answer trimmed.
    func command(_ line: String) throws -> String {
        let text = try RuntimeSocket.exchange(socket, line + "\n", timeoutMs: timeoutMs)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
