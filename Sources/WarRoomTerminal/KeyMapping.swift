import CNCurses
import WarRoomUI

/// The curses key codes this module decodes (the `KEY_*` macros, read through the shim).
public enum CursesKeyCode {
    public static var up: Int32 { wr_key_up() }
    public static var down: Int32 { wr_key_down() }
    public static var left: Int32 { wr_key_left() }
    public static var right: Int32 { wr_key_right() }
    public static var pageUp: Int32 { wr_key_ppage() }
    public static var pageDown: Int32 { wr_key_npage() }
    public static var home: Int32 { wr_key_home() }
    public static var end: Int32 { wr_key_end() }
    public static var backspace: Int32 { wr_key_backspace() }
    public static var delete: Int32 { wr_key_dc() }
    public static var backTab: Int32 { wr_key_btab() }
    public static var enter: Int32 { wr_key_enter() }
    public static var resize: Int32 { wr_key_resize() }
    /// `KEY_F(n)`; curses defines F0…F63.
    public static func function(_ n: Int) -> Int32 { wr_key_f(Int32(n)) }
}

extension Key {
    /// Decodes what `wget_wch` returned: `isKeyCode` when it returned `KEY_CODE_YES` (a `KEY_*` code),
    /// otherwise `code` is a character. Pure (no curses state), so tests can run it without a terminal.
    /// Returns nil for codes the console has no use for (they are skipped).
    public static func from(cursesCode code: Int32, isKeyCode: Bool) -> Key? {
        if isKeyCode {
            switch code {
            case CursesKeyCode.up: return .up
            case CursesKeyCode.down: return .down
            case CursesKeyCode.left: return .left
            case CursesKeyCode.right: return .right
            case CursesKeyCode.pageUp: return .pageUp
            case CursesKeyCode.pageDown: return .pageDown
            case CursesKeyCode.home: return .home
            case CursesKeyCode.end: return .end
            case CursesKeyCode.backspace: return .backspace
            case CursesKeyCode.delete: return .delete
            case CursesKeyCode.backTab: return .backTab
            case CursesKeyCode.enter: return .enter
            case CursesKeyCode.resize: return .resize
            default:
                let f0 = wr_key_f0()
                if code > f0, code <= f0 + 63 { return .function(Int(code - f0)) }
                return nil
            }
        }
        switch code {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        case 0: return .ctrl("@")
        case 1...26: return .ctrl(Character(Unicode.Scalar(UInt8(code) + 0x60)))  // ^A → "a"
        case 28...31: return .ctrl(Character(Unicode.Scalar(UInt8(code) + 0x40)))  // ^\ ^] ^^ ^_
        default:
            guard code >= 32, let scalar = Unicode.Scalar(UInt32(bitPattern: code)) else { return nil }
            // C1 controls would reach the UI as invisible keys.
            if scalar.value >= 0x80 && scalar.value < 0xA0 { return nil }
            return .char(Character(scalar))
        }
    }
}
