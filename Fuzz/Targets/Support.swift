// Shared by every fuzz target (compiled into each one by scripts/fuzz; not part of the package build).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The input libFuzzer hands a target, as an array (nil pointer when empty).
func fuzzBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// A broken invariant is a crash like any other: libFuzzer saves the input as `crash-…` and stops.
func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        fputs("fuzz invariant broken: \(message())\n", stderr)
        abort()
    }
}
