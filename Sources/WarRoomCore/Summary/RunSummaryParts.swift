/// The parts of a `RunSummary`: the run's start, the ramp, decisions, criteria, the rollback and the checklist.

extension RunSummary {
    /// A role's sign-off and who signed it (nil: unsigned).
    public struct RoleSignature: Sendable, Equatable {
        public var role: String
        /// Its line in the checklist; nil for a role signed in the journal that the checklist no longer names.
        public var line: Int?
        public var itemID: String?
        public var signature: Signature?
    }

    public struct Start: Sendable, Equatable {
        /// Short run identifier (from the journal's first line).
        public var id: String?
        public var at: Millis
        public var by: String
        /// The checklist path as given when the run started.
        public var checklist: String
    }

    /// What a console's header shows: who drives, where the ramp is, what the gate says, how far the checklist is.
    public struct Header: Sendable, Equatable {
        /// See `RunSummary.driver`.
        public var driver: String?
        public var percent: Int
        /// 1-based step of the plan; nil at 0 % or off the plan.
        public var step: Int?
        /// How many steps the plan has (0: no plan).
        public var steps: Int
        /// The gate's one line (`READY → 25 %`, `WAITING 3:12 (…)`, `BLOCKED: …`); nil without a plan.
        public var gate: String?
        public var gateState: GateState
        public var progress: ChecklistProgress
        /// Done or skipped, as a whole percentage of the items (rounded down).
        public var percentComplete: Int
    }

    public struct Ramp: Sendable, Equatable {
        public var percent: Int
        /// 1-based step number, nil at 0 % or off the plan.
        public var step: Int?
        /// The plan's percentages (empty: no plan).
        public var steps: [Int]
        /// No `apply` hook: the ramp only tracks what people do by hand.
        public var tracker: Bool
        /// At 0 % after a rollback that executed.
        public var rolledBack: Bool
        /// Whether GO is allowed now, and if not why; nil without a plan.
        public var gate: GateVerdict?
    }

    public struct Hook: Sendable, Equatable {
        public enum Status: String, Sendable {
            case ok, failed
            /// No result journaled yet.
            case running
        }
        public var status: Status
        public var summary: String?
        public var durationMs: Millis?
        public var tail: [String]
        /// When the result arrived.
        public var at: Millis?
    }

    public struct Decision: Sendable, Equatable {
        public var seq: Int
        public var time: Millis
        public var actor: String
        public var kind: DecisionKind
        public var from: Int
        public var to: Int
        public var reason: String?
        /// The gate's verdict when the key was pressed.
        public var verdict: String
        /// What the gate said was not met (for an OVERRIDE: what was overridden).
        public var unmet: [String]
        /// Nil when the decision asked for no hook.
        public var hook: Hook?
        /// The move happened (no hook, or its hook succeeded).
        public var applied: Bool
        public var gauges: [SnapshotEntry]
        public var lights: [SnapshotEntry]

        init(_ d: DecisionRecord) {
            seq = d.seq
            time = d.time
            actor = d.actor
            kind = d.kind
            from = d.decision.from
            to = d.decision.to
            reason = d.reason
            verdict = d.decision.verdict
            unmet = d.decision.unmet
            if d.decision.hook != nil {
                if let h = d.hook {
                    hook = Hook(status: h.ok ? .ok : .failed, summary: h.summary, durationMs: h.durationMs, tail: h.tail, at: d.hookTime)
                } else {
                    hook = Hook(status: .running, summary: nil, durationMs: nil, tail: [], at: nil)
                }
            }
            applied = d.effective && !d.pending
            gauges = d.decision.gauges
            lights = d.decision.lights
        }
    }

    /// How the run stands (or ended).
    public struct Outcome: Sendable, Equatable {
        public enum State: String, Sendable {
            case completed
            case rolledBack = "rolled-back"
            case inProgress = "in-progress"
            case notStarted = "not-started"
        }
        public var state: State
        /// `Completed at 100 %`, `Rolled back to 0 % — verified by sun-hee at T+01:02:30`, …
        public var text: String
        /// For a rollback: whether it was verified.
        public var verified: Bool?
        /// What is unfinished or went wrong (a hook that has not reported, a rollback hook that failed).
        public var notes: [String]
        /// What the run skipped or left behind on its way: each override (listed), items open, items blocked,
        /// sign-offs missing. A run is clean (✅) only when it completed with none of these.
        public var shortfalls: [String] = []
        /// Completed with nothing skipped or left behind.
        public var clean: Bool { state == .completed && shortfalls.isEmpty && notes.isEmpty }

        /// Adds what the run left behind to the outcome's line: "Reached 100 % — with 3 overrides, 197 items open, …".
        mutating func account(overrides: [String], open: Int, blocked: Int, missingSignOffs: [String]) {
            if !overrides.isEmpty {
                shortfalls.append(NumberText.counted(overrides.count, "override", "overrides") + " (" + overrides.joined(separator: "; ") + ")")
            }
            if open > 0 { shortfalls.append(NumberText.counted(open, "item", "items") + " open") }
            if blocked > 0 { shortfalls.append("\(blocked) blocked") }
            if !missingSignOffs.isEmpty {
                shortfalls.append(NumberText.counted(missingSignOffs.count, "sign-off", "sign-offs") + " missing ("
                                  + missingSignOffs.joined(separator: ", ") + ")")
            }
            guard !shortfalls.isEmpty, state != .notStarted else { return }
            if state == .completed { text = "Reached \(text.dropFirst("Completed at ".count))" }
            text += " — with " + shortfalls.joined(separator: ", ")
        }

        init(run: RunState, lastStep: Int, clockOrigin: Millis) {
            notes = []
            if let p = run.pendingDecision {
                let d = run.decisions[p]
                notes.append("the hook for \(d.kind.label) \(d.decision.from) → \(d.decision.to) % has not reported")
            }
            if let rb = run.rollback, let failed = rb.failed {
                notes.append("the rollback hook failed (\(failed)): traffic did not move")
            }
            verified = nil
            if let rb = run.rollback, rb.executedAt != nil, run.percent == 0 {
                let by = rb.verifiedAt.map { "verified by \(rb.verifiedBy ?? "?") at \(Timestamp.clock($0 - clockOrigin, signed: true))" }
                state = .rolledBack
                text = "Rolled back to 0 % — " + (by ?? "not verified")
                verified = rb.verifiedAt != nil
            } else if run.percent > 0, run.percent == 100 || run.percent == lastStep {
                state = .completed
                text = "Completed at \(run.percent) %"
            } else if run.percent > 0 || !run.decisions.isEmpty {
                state = .inProgress
                text = "In progress at \(run.percent) %"
            } else {
                state = .notStarted
                text = "Not started (0 %)"
            }
        }
    }

    public struct CriterionEvent: Sendable, Equatable {
        public var seq: Int
        public var time: Millis
        public var actor: String
        /// A trip; false: a clear.
        public var trip: Bool
        public var change: LightChange
    }

    public struct VerdictEvent: Sendable, Equatable {
        public var seq: Int
        public var time: Millis
        public var change: VerdictChange
    }

    /// One timed phase of a rollback against its target.
    public struct Phase: Sendable, Equatable {
        public enum Name: String, Sendable {
            /// First trip → ROLLBACK.
            case decide
            /// ROLLBACK → 0 %.
            case execute
            /// 0 % → VERIFIED.
            case verify
        }
        public enum Result: String, Sendable {
            case within, over
            case notMeasured = "not-measured"
            case noTarget = "no-target"
        }
        public var name: Name
        public var ms: Millis?
        public var targetMs: Millis?
        public var result: Result {
            guard let ms else { return .notMeasured }
            guard let targetMs else { return .noTarget }
            return ms <= targetMs ? .within : .over
        }
    }

    public struct Rollback: Sendable, Equatable {
        /// Seq of the ROLLBACK decision.
        public var decision: Int
        public var actor: String
        public var reason: String?
        public var trippedAt: Millis?
        public var decidedAt: Millis
        public var executedAt: Millis?
        public var verifiedAt: Millis?
        public var verifiedBy: String?
        /// The rollback hook failed with this summary: traffic did not move.
        public var failed: String?
        /// Decide, execute, verify.
        public var phases: [Phase]

        init(_ rb: RollbackTimeline, run: RunState, targets: RollbackTargets) {
            let d = run.decisions.first { $0.seq == rb.decision }
            decision = rb.decision
            actor = d?.actor ?? "?"
            reason = d?.reason
            trippedAt = rb.trippedAt
            decidedAt = rb.decidedAt
            executedAt = rb.executedAt
            verifiedAt = rb.verifiedAt
            verifiedBy = rb.verifiedBy
            failed = rb.failed
            phases = [Phase(name: .decide, ms: rb.decideMs, targetMs: targets.decideMs),
                      Phase(name: .execute, ms: rb.executeMs, targetMs: targets.executeMs),
                      Phase(name: .verify, ms: rb.verifyMs, targetMs: targets.verifyMs)]
        }
    }
}
