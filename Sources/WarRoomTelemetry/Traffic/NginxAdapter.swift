import Foundation
#if canImport(Glibc)
import Glibc
#endif
import WarRoomCore

/// `adapter: nginx` — an upstream of two servers (`stable` and `canary`, their addresses) in a file of its own
/// (`file`, included in nginx's `http {}`), rewritten atomically at each step (a temporary file renamed over it), checked
/// with `nginx -t` (a refused file is put back as it was) and made live with `nginx -s reload` (`conf` and `prefix`
/// become `-c`/`-p`). A share of N % is weights 100 − N and N; nginx weighs at least 1, so weight 0 is `down`.
///
/// The file also holds a tiny server on the `status` address (`127.0.0.1:PORT`) answering `/warroom-weights` with the
/// weights it was written with: read back from the file and from that server, so the share is what nginx's running
/// workers have, not only what the file says (a reload is asynchronous, and fails silently on a bad file: read-back
/// waits up to the timeout for the two to agree, then says they differ).
public struct NginxAdapter: TrafficAdapter {
    public let name = "nginx"
    public static let statusPath = "/warroom-weights"
    let file: String
    let upstream: String
    let stable: String
    let canary: String
    let status: String
    let timeoutMs: Millis
    let nginx: CommandTool
    let flags: [String]
    let http = BlockingHTTPClient()

    public init(_ config: TrafficConfig, children: ChildProcesses) throws {
        guard let f = config.settings["file"], let u = config.settings["upstream"], let s = config.settings["stable"],
              let c = config.settings["canary"], let st = config.settings["status"] else {
            throw TrafficError("nginx needs file, upstream, stable, canary and status")
        }
        // Written into nginx's config as they are: one word each, nothing that could end a directive (lint says so too).
        for (key, v) in [("upstream", u), ("stable", s), ("canary", c), ("status", st)]
        where v.isEmpty || v.contains(where: { $0.isWhitespace || ";{}\"'#$\\".contains($0) }) {
            throw TrafficError("nginx: \(key) must be one word without ; { } quotes # $ or \\ (found \"\(v)\")")
        }
        file = f
        upstream = u
        stable = s
        canary = c
        status = st
        timeoutMs = config.timeoutMs
        flags = (config.settings["prefix"].map { ["-p", $0] } ?? []) + (config.settings["conf"].map { ["-c", $0] } ?? [])
        nginx = CommandTool(program: config.settings["nginx"] ?? "nginx", children: children, timeoutMs: config.timeoutMs)
    }

    /// The file for weights (stable, canary).
    public static func render(upstream: String, stable: String, canary: String, status: String, weights w: (stable: Int, canary: Int)) -> String {
        func server(_ address: String, _ weight: Int) -> String { "    server \(address) \(weight == 0 ? "down" : "weight=\(weight)");" }
        return """
        # Written by warroom (ramp.traffic, adapter nginx): the canary's share is \(w.canary) %. Rewritten at each step.
        upstream \(upstream) {
        \(server(stable, w.stable))
        \(server(canary, w.canary))
        }
        server {
            listen \(status);
            access_log off;
            location = \(statusPath) {
                default_type text/plain;
                return 200 "stable=\(w.stable) canary=\(w.canary)\\n";
            }
        }

        """
    }

    /// The weights the file says: `server ADDRESS weight=N;` (no weight: 1) or `server ADDRESS … down;` (0).
    func fileWeights() throws -> (stable: Int, canary: Int) {
        guard let data = FileManager.default.contents(atPath: file) else { throw TrafficError("cannot read \(file)") }
        var found: [String: Int] = [:]
        var inside = false
        for raw in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let words = raw.replacingOccurrences(of: ";", with: " ;").split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if words.first == "upstream" { inside = words.count > 1 && words[1] == upstream; continue }
            guard inside else { continue }
            if words.first == "}" { inside = false; continue }
            guard words.count >= 2, words[0] == "server", words[1] == stable || words[1] == canary else { continue }
            var weight = 1
            for w in words.dropFirst(2) {
                if w == "down" { weight = 0 } else if w.hasPrefix("weight="), let n = Int(w.dropFirst(7)), weight != 0 { weight = n }
            }
            found[words[1]] = weight
        }
        guard let s = found[stable], let c = found[canary] else {
            throw TrafficError("\(file): upstream \(upstream) has no server \(found[stable] == nil ? stable : canary)")
        }
        return (s, c)
    }

    /// The weights nginx's running workers answer on the status address.
    func runningWeights() throws -> (stable: Int, canary: Int) {
        switch http.request("http://\(status)\(Self.statusPath)", method: "GET", timeoutMs: min(timeoutMs, 2_000)) {
        case .failure(let e): throw TrafficError("nginx status \(status): \(e.message)")
        case .success(let r):
            let text = String(decoding: r.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            var values: [String: Int] = [:]
            for part in text.split(separator: " ") {
                let kv = part.split(separator: "=", maxSplits: 1)
                if kv.count == 2, let n = Int(kv[1]) { values[String(kv[0])] = n }
            }
            guard r.status == 200, let s = values["stable"], let c = values["canary"] else {
                throw TrafficError("nginx status \(status)\(Self.statusPath): HTTP \(r.status) \"\(text.prefix(80))\" (not warroom's weights: is \(file) included in nginx's http {}?)")
            }
            return (s, c)
        }
    }

    public func set(percent: Int) throws {
        guard (0...100).contains(percent) else { throw TrafficError("share \(percent) % is outside 0–100") }
        let text = Self.render(upstream: upstream, stable: stable, canary: canary, status: status, weights: HAProxyAdapter.weights(percent: percent))
        let before = FileManager.default.contents(atPath: file)
        try Self.writeAtomically(Data(text.utf8), to: file)
        do {
            _ = try nginx.run(flags + ["-t", "-q"], tailLines: 2)  // nginx says what is wrong, then "test failed"
        } catch {
            if let before { try? Self.writeAtomically(before, to: file) } else { unlink(file) }
            throw TrafficError("nginx -t refused the new \(file) (put back as it was): \(error)")
        }
        do {
            _ = try nginx.run(flags + ["-s", "reload"])
        } catch {
            // The signal never reached the master (no pid file, nginx not running): the running weights are the old
            // ones, and a later start or reload by anyone else must not pick up a step that was never made.
            if let before { try? Self.writeAtomically(before, to: file) } else { unlink(file) }
            throw TrafficError("nginx -s reload failed (\(file) put back as it was): \(error)")
        }
    }

    public func read() throws -> Int {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(timeoutMs, 100)) * 1_000_000
        while true {
            let written = try fileWeights()
            let running: (stable: Int, canary: Int)
            do { running = try runningWeights() } catch {
                if DispatchTime.now().uptimeNanoseconds > deadline { throw error }
                usleep(50_000)
                continue
            }
            if running == written {
                guard let share = HAProxyAdapter.share(stable: running.stable, canary: running.canary) else {
                    throw TrafficError("nginx upstream \(upstream): both servers are down")
                }
                return share
            }
            if DispatchTime.now().uptimeNanoseconds > deadline {
                throw TrafficError("nginx runs stable=\(running.stable) canary=\(running.canary) but \(file) says stable=\(written.stable) canary=\(written.canary) (not reloaded, or the reload failed: see nginx's error log)")
            }
            usleep(50_000)
        }
    }

    /// `data` into `path` through a temporary file in the same directory, flushed, then renamed over it: nginx (and a
    /// reader) sees the old file or the new one, never half of one.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let tmp = (path as NSString).deletingLastPathComponent + "/.\((path as NSString).lastPathComponent).warroom-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TrafficError("cannot write \(tmp): \(String(cString: strerror(errno)))") }
        let ok = data.withUnsafeBytes { buf -> Bool in
            var off = 0
            while off < buf.count {
                let n = write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 { if errno == EINTR { continue }; return false }
                off += n
            }
            return fsync(fd) == 0
        }
        let err = errno
        close(fd)
        guard ok else { unlink(tmp); throw TrafficError("cannot write \(tmp): \(String(cString: strerror(err)))") }
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw TrafficError("cannot rename \(tmp) to \(path): \(String(cString: strerror(e)))")
        }
    }
}
