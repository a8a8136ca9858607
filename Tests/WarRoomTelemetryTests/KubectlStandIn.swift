import Foundation
@testable import WarRoomCore
@testable import WarRoomTelemetry

/// A stand-in `kubectl` for the Kubernetes traffic adapters' tests: a script in a directory of its own that records
/// each argv as one line of `[arg]` groups in `calls`, answers `get` with `object.json`, and on a change (`patch`,
/// `annotate`, `argo rollouts promote|abort`) replaces `object.json` with the recorded state after it, when the test
/// wrote one (`after-patch.json`, `after-annotate.json`, `after-promote-1.json` for the first promote, …), so the
/// read-back sees the change. With a file `fail`, it prints that file to stderr and exits 1.
struct KubectlStandIn {
    let dir: String
    var program: String { dir + "/kubectl" }

    init(dir: String) { self.dir = dir }

    init(answering object: String) throws {
        dir = NSTemporaryDirectory() + "warroom-kubectl-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
        #!/bin/sh
        d="$(dirname "$0")"
        for a in "$@"; do printf '[%s]' "$a"; done >> "$d/calls"; echo >> "$d/calls"
        if [ -f "$d/fail" ]; then cat "$d/fail" >&2; exit 1; fi
        case "$1" in
          get) cat "$d/object.json" ;;
          patch|annotate)
            if [ -f "$d/after-$1.json" ]; then cp "$d/after-$1.json" "$d/object.json"; fi
            echo "$2/$3 changed" ;;
          argo)
            n=$(grep -c "^\\[argo\\]\\[rollouts\\]\\[$3\\]" "$d/calls")
            if [ -f "$d/after-$3-$n.json" ]; then cp "$d/after-$3-$n.json" "$d/object.json"; fi
            echo "rollout '$4' $3 done" ;;
          *) echo "error: unknown command \\"$1\\" for \\"kubectl\\"" >&2; exit 1 ;;
        esac
        """.write(toFile: dir + "/kubectl", atomically: true, encoding: .utf8)
        chmod(dir + "/kubectl", 0o755)
        try write("object.json", object)
    }

    func write(_ file: String, _ text: String) throws {
        try text.write(toFile: dir + "/" + file, atomically: true, encoding: .utf8)
    }

    /// Each call's argv as `[get][ingress][…]`.
    var calls: [String] {
        ((try? String(contentsOfFile: dir + "/calls", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// The adapters block their thread while kubectl runs: on a thread of its own (neither Swift concurrency's pool nor
    /// GCD's, which the process runner needs), as the traffic runner's queue is.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            Thread { c.resume(with: Result { try body() }) }.start()
        }
    }
}
