import Foundation
import WarRoomConfig
import WarRoomCore

/// `warroom run --checklist FILE` without a config: the same derivation `warroom init --from` writes.
func deriveRunConfig(checklistPath: String) throws(Failure) -> LoadedRun {
    let loaded = try loadChecklist(checklistPath)
    try requireValid(loaded.checklist)
    let d = loaded.checklist.derive()
    return LoadedRun(config: RunConfig.derived(d, checklist: loaded.checklist, path: absolutePath(checklistPath)), checklist: loaded,
                     notes: d.notes)
}

extension RunConfig {
    /// The observation window used when the checklist states none for a step.
    static let derivedDefaultHold: Millis = 5 * 60_000

    static func derived(_ d: Derivation, checklist: Checklist, path: String) -> RunConfig {
        let steps = d.steps.map { RampStep(percent: $0.percent, holdMs: $0.holdMs, require: $0.require.map(\.ref), ticks: $0.ticks.map(\.ref)) }
        let plan = RampPlan(steps: steps, holdMs: derivedDefaultHold, hasApply: false, hasRollbackHook: false,
                            targets: RollbackTargets(decideMs: d.targets.decideMs, executeMs: d.targets.executeMs,
                                                     verifyMs: d.targets.verifyMs))
        var seen = Set<String>()
        let lights = d.criteria.compactMap { c -> LightConfig? in
            guard seen.insert(c.name).inserted else { return nil }
            return LightConfig(name: c.name, note: c.threshold.map(describe), line: c.line)
        }
        var sloSeen = Set<String>()
        let slos = d.slos.compactMap { s -> SLOConfig? in
            guard let op = Comparison(rawValue: s.op), sloSeen.insert(s.name).inserted else { return nil }
            return SLOConfig(name: s.name, unit: s.unit, objective: Condition(op, s.value), line: s.line)
        }
        let service = checklist.title ?? (path as NSString).lastPathComponent
        let dir = (path as NSString).deletingLastPathComponent
        return RunConfig(path: nil, service: service, checklist: path, plan: plan, hookDirectory: dir.isEmpty ? "." : dir,
                         lights: lights, contacts: nil, slos: slos)
    }

    static func describe(_ t: DerivedThreshold) -> String {
        var s = "\(t.subject) \(t.op) \(plain(t.value))\(t.unit.map { $0 == "%" ? "%" : " \($0)" } ?? "")"
        if let f = t.forMs { s += " for \(DurationText.format(f))" }
        return s
    }

    static func plain(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

}

/// Writes a starter `warroom.yaml` from a derivation, with the checklist lines each part came from.
enum ConfigWriter {
    static func yaml(_ d: Derivation, checklist: Checklist, checklistRef: String, t0: ProposedT0? = nil) -> String {
        var out: [String] = []
        func q(_ s: String) -> String {
            var e = "\""
            for ch in s.unicodeScalars {
                switch ch {
                case "\"": e += "\\\""
                case "\\": e += "\\\\"
                case "\n": e += "\\n"
                case "\t": e += "\\t"
                default:
                    if ch.value < 0x20 || ch.value == 0x7F { e += String(format: "\\x%02X", ch.value) } else { e.unicodeScalars.append(ch) }
                }
            }
            return e + "\""
        }
        let service = checklist.title ?? (checklistRef as NSString).lastPathComponent
        out.append("# warroom config derived from \(checklistRef) by `warroom init --from`.")
        out.append("# Review it: the ramp, rollback criteria and SLOs below were read from the checklist's text.")
        out.append("service: \(q(service))")
        out.append("checklist: \(q(checklistRef))")
        if let t0 {
            // A proposal only: a past date would make every phase OVERDUE at once.
            out.append("# t0: \(t0.iso)   # proposed from line \(t0.line): \(oneLine(t0.text, 60))\(t0.dateOnly ? " (no time of day stated)" : "")")
            out.append("#   mission clock zero: uncomment (and correct) it to give the checklist's phases due times")
        } else {
            out.append("# t0: 2026-11-23T09:00:00Z      # mission clock zero (optional)")
        }
        out.append("ramp:")
        if d.steps.isEmpty {
            out.append("  # no ramp in the checklist: a tracker of the checklist only. To ramp, list steps, e.g.:")
            out.append("  # steps: [10, 25, 50, 100]")
            out.append("  steps: []")
        } else {
            out.append("  steps:")
            for s in d.steps {
                var item = "    - {percent: \(s.percent)"
                if let h = s.holdMs { item += ", hold: \(DurationText.format(h))" }
                guard s.require.isEmpty, s.ticks.isEmpty else {
                    out.append("    - percent: \(s.percent)   # line \(s.line): \(oneLine(s.text, 70))")
                    if let h = s.holdMs { out.append("      hold: \(DurationText.format(h))") }
                    if !s.require.isEmpty {
                        out.append("      require:   # done before GO into \(s.percent) % (a skipped item blocks unless {id: …, skipped_ok: true})")
                        for r in s.require { out.append("        - \(q(r.ref))   # line \(r.line): \(oneLine(r.text, 60))") }
                    }
                    if !s.ticks.isEmpty {
                        out.append("      ticks:   # the step's own items: GO ticks them, a rollback reopens them")
                        for r in s.ticks { out.append("        - \(q(r.ref))   # line \(r.line): \(oneLine(r.text, 60))") }
                    }
                    continue
                }
                item += "}"
                out.append(item + "   # line \(s.line): \(oneLine(s.text, 70))")
            }
        }
        out.append("  hold: \(DurationText.format(RunConfig.derivedDefaultHold))   # observation window where a step states none")
        out.append("  # apply: [\"./scripts/set-weight\", \"{service}\", \"{percent}\"]   # moves real traffic; without it the ramp is a tracker")
        out.append("  # rollback: [\"./scripts/set-weight\", \"{service}\", \"0\"]")
        out.append("  timeout: 60s")
        let t = d.targets
        if t.decideMs != nil || t.executeMs != nil || t.verifyMs != nil {
            var parts: [String] = []
            if let v = t.decideMs { parts.append("decide: \(DurationText.format(v))") }
            if let v = t.executeMs { parts.append("execute: \(DurationText.format(v))") }
            if let v = t.verifyMs { parts.append("verify: \(DurationText.format(v))") }
            out.append("  targets: {\(parts.joined(separator: ", "))}")
        } else {
            out.append("  # targets: {decide: 5m, execute: 10m, verify: 5m}   # none stated in the checklist")
        }
        if d.criteria.isEmpty {
            out.append("rollback: []   # no rollback triggers found in the checklist")
        } else {
            out.append("rollback:")
            var seen = Set<String>()
            for c in d.criteria where seen.insert(c.name).inserted {
                out.append("  - {name: \(q(c.name)), manual: true}   # line \(c.line)")
                if let th = c.threshold {
                    out.append("    # to bind: source: prom, query: '…', trip: \"\(th.op) \(RunConfig.plain(th.value))\"\(th.forMs.map { ", for: \(DurationText.format($0))" } ?? "")")
                }
            }
        }
        if !d.slos.isEmpty {
            out.append("slos:   # unbound until you give each a source and query (unbound SLOs show UNKNOWN and block GO)")
            var names = Set<String>()
            for s in d.slos {
                guard names.insert(s.name).inserted else {
                    out.append("  # also at line \(s.line): \(s.name) \(s.op) \(RunConfig.plain(s.value))\(s.unit ?? "") (one objective per SLO name: pick one)")
                    continue
                }
                var item = "  - {name: \(q(s.name)), objective: \"\(s.op) \(RunConfig.plain(s.value))\""
                if let u = s.unit { item += ", unit: \(q(u))" }
                item += "}"
                out.append(item + "   # line \(s.line)")
            }
        }
        out.append("# sources:")
        out.append("#   prom: {prometheus: \"http://127.0.0.1:9090\", interval: 5s, timeout: 2s}")
        if d.contacts.isEmpty {
            out.append("# contacts: none found in the checklist")
            out.append("#   - {role: Incident Commander, name: \"\", phone: \"\", handle: \"\"}")
        } else {
            out.append("# contacts: read from the checklist when the console starts (\(d.contacts.count) found); list them here to override")
        }
        for n in d.notes { out.append("# note: \(n)") }
        return out.joined(separator: "\n") + "\n"
    }

    static func oneLine(_ s: String, _ max: Int) -> String {
        let flat = s.replacingOccurrences(of: "\n", with: " ")
        return flat.count > max ? String(flat.prefix(max - 1)) + "…" : flat
    }
}
