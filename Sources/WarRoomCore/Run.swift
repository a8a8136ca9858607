/// Events, the reducer and the run state. Every change to a run is one `JournalEvent`;
/// replaying the journal's events through `RunState.apply` rebuilds the state exactly.

public enum ItemStatus: String, Sendable, Codable, CaseIterable {
    case open, done, skipped, blocked
}

/// One change to one item: who set which status, when, and why.
public struct ItemRecord: Sendable, Equatable, Codable {
    public var status: ItemStatus
    public var reason: String?
    public var note: String?
    public var actor: String
    public var time: Millis
    public var seq: Int

    public init(status: ItemStatus, reason: String? = nil, note: String? = nil, actor: String, time: Millis, seq: Int) {
        self.status = status
        self.reason = reason
        self.note = note
        self.actor = actor
        self.time = time
        self.seq = seq
    }
}

/// First event of every run.
public struct RunStarted: Sendable, Equatable, Codable {
    /// The checklist path as given when the run started.
    public var checklist: String
    /// SHA-256 of the checklist file's bytes, to tell when it changed under the run.
    public var checklistSHA256: String
    public var items: Int
    public var host: String
    public var pid: Int32

    public init(checklist: String, checklistSHA256: String, items: Int, host: String, pid: Int32) {
        self.checklist = checklist
        self.checklistSHA256 = checklistSHA256
        self.items = items
        self.host = host
        self.pid = pid
    }
}

/// Set one item's status.
public struct ItemSet: Sendable, Equatable, Codable {
    public var id: String
    public var status: ItemStatus
    public var reason: String?
    public var note: String?

    public init(id: String, status: ItemStatus, reason: String? = nil, note: String? = nil) {
        self.id = id
        self.status = status
        self.reason = reason
        self.note = note
    }
}

/// Take back the most recent change to one item.
public struct ItemUndo: Sendable, Equatable, Codable {
    public var id: String
    public init(id: String) { self.id = id }
}

public enum EventBody: Sendable, Equatable {
    case runStarted(RunStarted)
    case itemSet(ItemSet)
    case itemUndo(ItemUndo)

    /// The journal's `type` field.
    public var type: String {
        switch self {
        case .runStarted: return "run.started"
        case .itemSet: return "item.set"
        case .itemUndo: return "item.undo"
        }
    }
}

public struct JournalEvent: Sendable, Equatable {
    public var seq: Int
    public var time: Millis
    public var actor: String
    public var body: EventBody

    public init(seq: Int, time: Millis, actor: String, body: EventBody) {
        self.seq = seq
        self.time = time
        self.actor = actor
        self.body = body
    }
}

public struct ReduceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var seq: Int
    public var message: String
    public var description: String { message }
}

/// A change as it happened, for "who did what when".
public struct Change: Sendable, Equatable {
    public var seq: Int
    public var time: Millis
    public var actor: String
    public var item: String
    public var from: ItemStatus?
    public var to: ItemStatus?
    public var undo: Bool
    public var reason: String?
    public var note: String?
}

public struct RunState: Sendable {
    /// Short run identifier (the store derives it from the first line's hash).
    public var runID: String?
    public private(set) var started: RunStarted?
    public private(set) var startedAt: Millis?
    public private(set) var startedBy: String?
    /// Each item's change history; the last record is its current state. No entry: as written in the file.
    public private(set) var records: [String: [ItemRecord]] = [:]
    public private(set) var changes: [Change] = []
    public private(set) var lastSeq = 0
    public private(set) var lastTime: Millis?

    public init() {}

    /// Applies one event. Contract the journal writer relies on: every check happens before any change, so an
    /// event that throws leaves the state exactly as it was.
    public mutating func apply(_ event: JournalEvent) throws(ReduceError) {
        guard event.seq == lastSeq + 1 else {
            throw ReduceError(seq: event.seq, message: "expected seq \(lastSeq + 1), found \(event.seq)")
        }
        switch event.body {
        case .runStarted(let s):
            guard started == nil, event.seq == 1 else {
                throw ReduceError(seq: event.seq, message: "run.started may only be the first event")
            }
            started = s
            startedAt = event.time
            startedBy = event.actor
        case .itemSet(let s):
            guard started != nil else { throw ReduceError(seq: event.seq, message: "item.set before run.started") }
            let from = records[s.id]?.last?.status
            records[s.id, default: []].append(ItemRecord(status: s.status, reason: s.reason, note: s.note,
                                                          actor: event.actor, time: event.time, seq: event.seq))
            changes.append(Change(seq: event.seq, time: event.time, actor: event.actor, item: s.id, from: from,
                                  to: s.status, undo: false, reason: s.reason, note: s.note))
        case .itemUndo(let u):
            guard started != nil else { throw ReduceError(seq: event.seq, message: "item.undo before run.started") }
            guard var stack = records[u.id], let undone = stack.popLast() else {
                throw ReduceError(seq: event.seq, message: "item.undo for \(u.id), which has no change to undo")
            }
            records[u.id] = stack.isEmpty ? nil : stack
            changes.append(Change(seq: event.seq, time: event.time, actor: event.actor, item: u.id,
                                  from: undone.status, to: stack.last?.status, undo: true, reason: nil, note: nil))
        }
        lastSeq = event.seq
        lastTime = event.time
    }

    /// The item's current record, if anyone changed it in this run.
    public func record(_ id: String) -> ItemRecord? { records[id]?.last }

    /// Current status: the last change in this run, else the checkbox as written in the file.
    public func status(of item: Item) -> ItemStatus {
        if let r = records[item.id]?.last { return r.status }
        return item.checked ? .done : .open
    }

    /// The most recent item `actor` changed whose latest change is still theirs (what `u` takes back).
    public func lastUndoable(by actor: String) -> String? {
        for c in changes.reversed() where !c.undo && c.actor == actor {
            if let top = records[c.item]?.last, top.seq == c.seq { return c.item }
        }
        return nil
    }

    /// IDs with recorded state that the checklist no longer has (it was edited since). Reported, never dropped.
    public func orphans(in checklist: Checklist) -> [String] {
        records.keys.filter { checklist.itemIndex(id: $0) == nil }.sorted()
    }
}

public struct ChecklistProgress: Sendable, Equatable, Codable {
    public var items = 0
    public var done = 0
    public var skipped = 0
    public var blocked = 0
    public var open = 0

    public init() {}

    public init(checklist: Checklist, state: RunState, indices: some Sequence<Int>) {
        for i in indices {
            items += 1
            switch state.status(of: checklist.items[i]) {
            case .done: done += 1
            case .skipped: skipped += 1
            case .blocked: blocked += 1
            case .open: open += 1
            }
        }
    }

    /// Done or skipped: nothing left to do.
    public var complete: Int { done + skipped }
}
