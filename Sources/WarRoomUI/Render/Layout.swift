import WarRoomCore

/// Where everything goes at a given terminal size. Pure: the reducer uses it for page sizes, render for drawing.
public struct Layout: Sendable, Equatable {
    public enum Kind: Sendable { case full, compact, tooSmall }
    public static let minimum = Size(width: 60, height: 15)

    public var kind: Kind
    public var header: Rect
    public var ramp: Rect
    public var slo: Rect
    public var rollback: Rect
    public var contacts: Rect?
    public var checklist: Rect
    public var decisions: Rect?
    public var message: Rect
    public var footer: Rect
    /// Lines at the bottom of the checklist pane for the selected item's detail (0–3).
    public var detailLines: Int

    public init(_ size: Size) {
        let w = size.width, h = size.height
        let zero = Rect(x: 0, y: 0, width: 0, height: 0)
        header = Rect(x: 0, y: 0, width: w, height: 1)
        message = Rect(x: 0, y: h - 2, width: w, height: 1)
        footer = Rect(x: 0, y: h - 1, width: w, height: 1)
        if w < Layout.minimum.width || h < Layout.minimum.height {
            kind = .tooSmall
            ramp = zero; slo = zero; rollback = zero; checklist = zero
            contacts = nil; decisions = nil; detailLines = 0
            return
        }
        let bodyY = 1, bodyH = h - 3
        if w >= 100 && h >= 30 {
            kind = .full
            let left = min(48, max(36, w * 36 / 100))
            // Contacts keep at least a third of the column; ramp, SLO and rollback share the rest.
            let upper = bodyH - max(7, bodyH / 3)
            let rampH = max(5, upper * 3 / 10)
            let sloH = max(5, (upper - rampH) / 2)
            ramp = Rect(x: 0, y: bodyY, width: left, height: rampH)
            slo = Rect(x: 0, y: ramp.maxY, width: left, height: sloH)
            rollback = Rect(x: 0, y: slo.maxY, width: left, height: max(5, upper - rampH - sloH))
            contacts = Rect(x: 0, y: rollback.maxY, width: left, height: bodyY + bodyH - rollback.maxY)
            let decisionsH = max(6, min(10, bodyH / 4))
            checklist = Rect(x: left, y: bodyY, width: w - left, height: bodyH - decisionsH)
            decisions = Rect(x: left, y: checklist.maxY, width: w - left, height: decisionsH)
        } else {
            kind = .compact
            // At 24 rows and more, five lines a pane: a wrapped name or a blocker's reason still fits beside the rest.
            let strip = h >= 24 ? 7 : 5
            let third = w / 3
            ramp = Rect(x: 0, y: bodyY, width: third, height: strip)
            slo = Rect(x: third, y: bodyY, width: third, height: strip)
            rollback = Rect(x: 2 * third, y: bodyY, width: w - 2 * third, height: strip)
            checklist = Rect(x: 0, y: bodyY + strip, width: w, height: bodyH - strip)
            contacts = nil
            decisions = nil
        }
        let inner = checklist.height - 2
        detailLines = inner >= 12 ? 3 : (inner >= 7 ? 1 : 0)
    }

    /// Item rows visible in the checklist pane.
    public var checklistRows: Int { max(0, checklist.height - 2 - detailLines) }
}

/// `T-24h`, `T-30m`, `T+1h30m`, `T-0`: a phase's offset from mission-clock zero, as people write it.
public func missionOffsetText(_ minutes: Int) -> String {
    guard minutes != 0 else { return "T-0" }
    let sign = minutes < 0 ? "-" : "+"
    let m = abs(minutes)
    if m < 60 { return "T\(sign)\(m)m" }
    return "T\(sign)\(m / 60)h" + (m % 60 == 0 ? "" : "\(m % 60)m")
}
