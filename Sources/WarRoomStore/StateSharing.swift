#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A state directory shared with a Unix group (`--group NAME`): the directory is owned by the group with mode
/// 2770 (setgid: what is created in it belongs to the group), and every file the store creates in it — journal,
/// head, append.lock, lease.lock, lease, view.json, warroom.log, the checklist copies (their directory 2770 too)
/// — is 0660, whoever of the group creates it. Members append; anyone else is refused by the kernel ("Permission
/// denied", naming the file). Without a group, directory 0700 and files 0600, as always.
public enum StateSharing {
    /// The group ID of `name` (a group name, or a number).
    public static func groupID(named name: String) throws(JournalError) -> gid_t {
        if let g = getgrnam(name) { return g.pointee.gr_gid }
        if let n = UInt32(name), getgrgid(n) != nil { return gid_t(n) }
        throw JournalError(path: name, message: "no such group (see /etc/group, or `getent group \(name)`)")
    }

    /// Whether `stateDir` is shared with its group (has the setgid bit).
    public static func isShared(_ stateDir: String) -> Bool { FileIO.isShared(stateDir) }
}
