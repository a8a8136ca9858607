import Foundation

public enum HookPlaceholders {
    /// Why `program` cannot run (relative to `directory`, or on PATH), or nil when it can.
    public static func programProblem(_ program: String, directory: String, environment: [String: String]) -> String? {
        if program.contains("/") {
            let full = program.hasPrefix("/") ? program : (directory as NSString).appendingPathComponent(program)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir) else { return "program \(program) not found (looked at \(full))" }
            if isDir.boolValue { return "program \(program) is a directory" }
            guard FileManager.default.isExecutableFile(atPath: full) else { return "program \(program) is not executable (chmod +x \(full))" }
            return nil
        }
        for dir in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            if FileManager.default.isExecutableFile(atPath: "\(dir)/\(program)") { return nil }
        }
        return "program \(program) not found on PATH"
    }
}
