import Foundation
import WarRoomCore

/// `ramp.traffic:` — the adapters' own settings checked for what they must look like, each problem with the line of
/// the setting (aws-alb's ARNs, the feature-flag adapters' URL and token, nginx's names that go into its config).
extension ConfigParser {
    /// Checks `config.settings` of its adapter (`lines`: each setting's line) and resolves `token_file` and nginx's
    /// `file` against the config's directory. False when something is wrong (each said with its line).
    mutating func lintTrafficSettings(_ config: inout TrafficConfig, lines: [String: Int]) -> Bool {
        var ok = true
        let s = config.settings
        func line(_ key: String) -> Int { lines[key] ?? config.line }
        func fail(_ key: String, _ message: String) {
            src.error(line(key), "ramp.traffic.\(key) (adapter \(config.adapter)) \(message)")
            ok = false
        }
        func path(_ p: String) -> String { p.hasPrefix("/") ? p : (directory as NSString).appendingPathComponent(p) }
        switch config.adapter {
        case "aws-alb":
            if let l = s["listener"], !(l.hasPrefix("arn:") && l.contains(":listener/")) {
                fail("listener", "must be a listener ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/…)")
            }
            for key in ["stable", "canary"] {
                if let v = s[key], !(v.hasPrefix("arn:") && v.contains(":targetgroup/")) {
                    fail(key, "must be a target group ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID)")
                }
            }
        case "launchdarkly", "unleash":
            if let u = s["base_url"], !(u.hasPrefix("http://") || u.hasPrefix("https://")) || u.contains("@") {
                fail("base_url", "must be an http:// or https:// URL without credentials (the token goes in token_env or token_file)")
            }
            switch (s["token_env"], s["token_file"]) {
            case (nil, nil):
                src.error(config.line, "ramp.traffic (adapter \(config.adapter)) needs token_env: (a variable holding the API token) or token_file:")
                ok = false
            case (.some, .some):
                fail("token_file", "and token_env both name the token: give one")
            case (let e?, nil):
                if environment[e] == nil {
                    src.warning(line("token_env"), "ramp.traffic.token_env: environment variable \(e) is not set here (the token is read when the console starts)")
                }
            case (nil, let f?):
                config.settings["token_file"] = path(f)
            }
            for key in ["project", "flag", "env", "feature", "strategy"] {
                if let v = s[key], v.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0.isWhitespace }) {
                    fail(key, "must be a key, without /, ?, # or spaces (found \"\(v)\")")
                }
            }
        case "nginx":
            // These go into nginx's config as written: one word each, nothing that could end a directive.
            for key in ["upstream", "stable", "canary", "status"] {
                if let v = s[key], v.contains(where: { $0.isWhitespace || ";{}\"'#$\\".contains($0) }) {
                    fail(key, "must be one word without ; { } quotes # $ or \\ (it is written into nginx's config; found \"\(v)\")")
                }
            }
            if let st = s["status"] {
                let port = st.split(separator: ":").last.flatMap { Int($0) }
                if !st.contains(":") || port == nil || !(1...65535).contains(port!) {
                    fail("status", "must be an address with a port for warroom's weights server, e.g. 127.0.0.1:9180 (found \"\(st)\")")
                }
            }
            if let f = s["file"] { config.settings["file"] = path(f) }
        default: break
        }
        return ok
    }
}
