import HallmarkCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opening a file that must be regular, for every reader of untrusted files (the archive reader, install's and the
/// air gap's private copies).
public enum RegularFile {
    /// Opens `path` for reading and returns the descriptor with its `fstat`, refusing anything but a regular file
    /// (symbolic links are followed). The open does not block: a FIFO planted where a file is expected fails at
    /// once (`invalidInput`, exit 2) instead of waiting forever for a writer. The descriptor is blocking again when
    /// returned; the caller closes it.
    public static func open(_ path: String, display: String) throws(HallmarkError) -> (fd: Int32, info: stat) {
        #if canImport(Glibc)
        let fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        #else
        let fd = Darwin.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        #endif
        guard fd >= 0 else { throw .io("\(display): cannot read: \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw .io("\(display): cannot read: \(String(cString: strerror(code)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .invalidInput("\(display): \(kindName(info.st_mode)), not a regular file; pass the path of a regular file")
        }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
            let code = errno
            close(fd)
            throw .io("\(display): cannot read: \(String(cString: strerror(code)))")
        }
        return (fd, info)
    }

    /// The bytes of the regular file `components` names below the directory `root`, or nil when there is none
    /// there: every component is opened relative to its parent's descriptor with `O_NOFOLLOW` (directories with
    /// `O_DIRECTORY`), so a symbolic link anywhere on the way, planted before or during the walk, is never
    /// followed and nothing outside `root` is opened. The file is opened without blocking (a FIFO is refused, not
    /// waited on) and must be regular; more than `limit` bytes is an error.
    public static func readBeneath(_ root: String, _ components: [String], limit: Int, display: String) throws(HallmarkError) -> [UInt8]? {
        guard !components.isEmpty, components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("/") }) else { return nil }
        #if canImport(Glibc)
        var current = Glibc.open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        #else
        var current = Darwin.open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        #endif
        guard current >= 0 else { throw .io("\(root): cannot open the directory: \(String(cString: strerror(errno)))") }
        for component in components.dropLast() {
            let next = openat(current, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            close(current)
            guard next >= 0 else { return nil }
            current = next
        }
        let fd = openat(current, components[components.count - 1], O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        close(current)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        guard info.st_size <= limit else { throw .invalidInput("\(display): larger than the \(limit / (1 << 20)) MiB it may be") }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buffer in pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(done)) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw .io("\(display): cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            done += n
        }
        return Array(bytes.prefix(done))
    }

    /// "a FIFO", "a directory"…: what a file that is not regular is, for messages.
    public static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: "a regular file"
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFLNK: "a symbolic link"
        default: "not a file"
        }
    }
}

/// A regular file opened once for reading. Every read is positioned, with 64-bit offsets, so nothing depends on
/// the file's size fitting 32 bits, and a path swapped after opening changes nothing.
final class InputFile {
    /// How errors name the file.
    let display: String
    /// The size when it was opened.
    let size: UInt64
    private let fd: Int32

    /// Opens `path` as a regular file (see ``RegularFile/open(_:display:)``).
    init(path: String, display: String) throws(HallmarkError) {
        let (fd, info) = try RegularFile.open(path, display: display)
        self.fd = fd
        self.display = display
        size = UInt64(info.st_size)
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
    }

    deinit { close(fd) }

    /// Reads up to `buffer.count` bytes at `offset`; fewer only at the end of the file.
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(HallmarkError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let n = pread(fd, base + done, buffer.count - done, off_t(offset + UInt64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("\(display): cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Exactly `count` bytes at `offset`, or an error saying that `what` runs past the end of the archive.
    func bytes(at offset: UInt64, count: Int, what: String) throws(HallmarkError) -> [UInt8] {
        guard offset <= size, UInt64(count) <= size - offset else {
            throw .invalidInput("\(display): truncated or damaged (\(what) runs past the end of the file)")
        }
        guard count > 0 else { return [] }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 8)
        defer { buffer.deallocate() }
        let n = try read(at: offset, into: buffer)
        guard n == count else { throw .invalidInput("\(display): the file shrank while it was read") }
        return Array(buffer.bindMemory(to: UInt8.self))
    }
}

/// `start + length`, or nil when it would overflow.
func checkedEnd(_ start: UInt64, _ length: UInt64) -> UInt64? {
    let (sum, overflow) = start.addingReportingOverflow(length)
    return overflow ? nil : sum
}

/// Little-endian fields of a byte array, read with bounds the caller has checked.
extension Array where Element == UInt8 {
    func u16(_ at: Int) -> UInt64 { UInt64(self[at]) | UInt64(self[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt64 { u16(at) | u16(at + 2) << 16 }
    func u64(_ at: Int) -> UInt64 { u32(at) | u32(at + 4) << 32 }
}

/// What the file system says about a path (after following symbolic links), for callers that only need an answer,
/// not the C structure.
public enum FileStatus {
    /// The size in bytes of what `path` names, or nil (with `errno` set) when it cannot be examined.
    public static func size(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(info.st_size)
    }

    /// Whether `path` names a regular file: not a directory, and not a FIFO, socket or device.
    public static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Whether anything exists at `path`.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    public enum EntryType: Sendable { case file, directory, link, other }

    /// What `path` itself is (`lstat`: a symbolic link is `.link`, not what it leads to), or nil when nothing is there.
    public static func entryType(_ path: String) -> EntryType? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .link
        default: return .other
        }
    }

    /// Whether anything exists at `path` itself, a symbolic link that leads nowhere included (`lstat`).
    public static func entryExists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}

extension RegularFile {
    /// ``open(_:display:)``, with the size instead of the whole `fstat`.
    public static func openSized(_ path: String, display: String) throws(HallmarkError) -> (fd: Int32, size: UInt64) {
        let (fd, info) = try open(path, display: display)
        return (fd, UInt64(info.st_size))
    }
}
