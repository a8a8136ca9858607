import ArgumentParser
import Foundation

/// Runs the `warroom` command line. Exit codes: 0 ok, 1 invalid input or failed check, 2 usage.
public enum WarRoomMain {
    /// Monotonic time when main started (for the console's "first screen in N ms" log line).
    nonisolated(unsafe) static var startedNS: UInt64 = 0

    public static func run(_ arguments: [String]? = nil) -> Never {
        startedNS = monotonicNS()
        // A full disk or a file-size limit must fail a write (and say NOT SAVED), not kill the process.
        signal(SIGXFSZ, SIG_IGN)
        // `warroom status | head` must not die of SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try Warroom.parseAsRoot(arguments)
            try command.run()
            exit(0)
        } catch let failure as Failure {
            writeStderr("warroom: \(failure.message)")
            exit(1)
        } catch {
            let code = Warroom.exitCode(for: error)
            let message = Warroom.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { say(message) }
                exit(0)
            }
            if !message.isEmpty { writeStderr(message) }
            if code == .validationFailure { exit(2) }
            exit(code.rawValue)
        }
    }
}

/// A failure the user can act on: printed as `warroom: message`, exit 1.
struct Failure: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

struct Warroom: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warroom",
        abstract: "A terminal war-room console for production go-lives.",
        discussion: """
        Exit codes: 0 ok, 1 invalid input or a failed check, 2 usage error.
        """,
        subcommands: [Run.self, Init.self, Follow.self, Lint.self, Check.self, Sign.self, Status.self, Verify.self, WitnessCommand.self, Report.self, TrafficCommand.self, Export.self, Import.self, Demo.self, DemoWeight.self, DemoBackend.self, DemoExec.self, ReplayCommand.self]
    )
}

/// Wall-clock time for journal entries. `WARROOM_NOW` (ISO 8601) pins it, for reproducible output in tests.
enum Clock {
    /// WARROOM_NOW pins the clock (tests, golden output); read once: the environment does not change while we run,
    /// and copying it on every call cost a quarter of the console's idle CPU with 100 sources.
    static let pinned: Int64? = ProcessInfo.processInfo.environment["WARROOM_NOW"].flatMap { WarRoomCoreTimestamp.parse($0) }

    static func now() -> Int64 {
        if let pinned { return pinned }
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// The real wall clock, never pinned: the driver lease's heartbeats and expiry are judged across processes.
func wallClockNow() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

func monotonicNS() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func defaultActor(environment env: [String: String] = ProcessInfo.processInfo.environment,
                  account: () -> String? = accountName) -> String {
    // Under sudo the person is SUDO_USER, not root; else the account the process runs as (what $USER claims can be
    // anything); $USER / $LOGNAME only when the account has no name.
    if let u = env["SUDO_USER"], !u.isEmpty { return u }
    if let name = account(), !name.isEmpty { return name }
    if let u = env["USER"], !u.isEmpty { return u }
    if let u = env["LOGNAME"], !u.isEmpty { return u }
    return "unknown"
}

/// The name of the account this process runs as (getpwuid), if it has one.
func accountName() -> String? {
    guard let pw = getpwuid(getuid()), let name = pw.pointee.pw_name else { return nil }
    return String(cString: name)
}

func hostName() -> String {
    var buf = [CChar](repeating: 0, count: 256)
    guard gethostname(&buf, buf.count) == 0 else { return "localhost" }
    return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
