import Testing
import WarRoomTerminal
import WarRoomUI

@Suite struct KeyMappingTests {
    @Test func keyCodes() {
        let table: [(Int32, Key)] = [
            (CursesKeyCode.up, .up), (CursesKeyCode.down, .down), (CursesKeyCode.left, .left),
            (CursesKeyCode.right, .right), (CursesKeyCode.pageUp, .pageUp), (CursesKeyCode.pageDown, .pageDown),
            (CursesKeyCode.home, .home), (CursesKeyCode.end, .end), (CursesKeyCode.backspace, .backspace),
            (CursesKeyCode.delete, .delete), (CursesKeyCode.backTab, .backTab), (CursesKeyCode.enter, .enter),
            (CursesKeyCode.resize, .resize), (CursesKeyCode.function(1), .function(1)),
            (CursesKeyCode.function(12), .function(12)),
        ]
        for (code, key) in table {
            #expect(Key.from(cursesCode: code, isKeyCode: true) == key)
        }
    }

    @Test func unknownKeyCodeIsSkipped() {
        // KEY_MOUSE (0631) and KEY_F0 itself are not keys the console uses.
        #expect(Key.from(cursesCode: 0o631, isKeyCode: true) == nil)
        #expect(Key.from(cursesCode: CursesKeyCode.function(0), isKeyCode: true) == nil)
    }

    @Test func characters() {
        #expect(Key.from(cursesCode: 9, isKeyCode: false) == .tab)
        #expect(Key.from(cursesCode: 10, isKeyCode: false) == .enter)
        #expect(Key.from(cursesCode: 13, isKeyCode: false) == .enter)
        #expect(Key.from(cursesCode: 27, isKeyCode: false) == .escape)
        #expect(Key.from(cursesCode: 127, isKeyCode: false) == .backspace)
        #expect(Key.from(cursesCode: 8, isKeyCode: false) == .backspace)
        #expect(Key.from(cursesCode: 1, isKeyCode: false) == .ctrl("a"))
        #expect(Key.from(cursesCode: 12, isKeyCode: false) == .ctrl("l"))
        #expect(Key.from(cursesCode: 26, isKeyCode: false) == .ctrl("z"))
        #expect(Key.from(cursesCode: 32, isKeyCode: false) == .char(" "))
        #expect(Key.from(cursesCode: 113, isKeyCode: false) == .char("q"))
        #expect(Key.from(cursesCode: 0x65E5, isKeyCode: false) == .char("日"))
        #expect(Key.from(cursesCode: 0x1F680, isKeyCode: false) == .char("🚀"))
        #expect(Key.from(cursesCode: 0x85, isKeyCode: false) == nil)  // C1 control
        #expect(Key.from(cursesCode: 0xD800, isKeyCode: false) == nil)  // not a scalar
    }

    @Test func keyCodeNumbersAreNotCharacters() {
        // KEY_UP (0403) as a plain character would be 'ă'; the flag decides.
        #expect(Key.from(cursesCode: CursesKeyCode.up, isKeyCode: false) == .char("ă"))
    }
}
