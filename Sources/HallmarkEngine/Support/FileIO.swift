import Foundation
import HallmarkArchive
import HallmarkCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File reads with size caps and writes that never leave a half-written file behind.
public enum FileIO {
    /// Default cap on metadata files read whole (JSON, lists, signatures, keys).
    public static let defaultReadLimit = 64 << 20

    /// Reads a whole file, refusing files over `limit` bytes. `display` names the file in errors.
    public static func read(_ path: String, display: String? = nil, limit: Int = defaultReadLimit) throws(HallmarkError) -> Data {
        let name = display ?? path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .io("\(name): No such file or directory")
        }
        guard !isDirectory.boolValue else { throw .io("\(name): is a directory, not a file") }
        let size: Int
        do { size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0 } catch {
            throw .io("\(name): cannot read its size: \(error.localizedDescription)")
        }
        guard size <= limit else {
            throw .invalidInput("\(name): \(size) bytes is over the \(limit)-byte limit for this kind of file")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .io("\(name): cannot read: \(error.localizedDescription)")
        }
    }

    /// Reads a UTF-8 text file with a size cap.
    public static func readText(_ path: String, display: String? = nil, limit: Int = defaultReadLimit) throws(HallmarkError) -> String {
        let data = try read(path, display: display, limit: limit)
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalidInput("\(display ?? path): not UTF-8 text")
        }
        return text
    }

    /// Writes `data` to a temporary file beside `path`, syncs it, then renames it into place.
    public static func writeAtomically(_ data: Data, to path: String, mode: mode_t = 0o644) throws(HallmarkError) {
        let staged = try stage(data, for: path, mode: mode)
        try commit([staged])
    }

    /// A file written to a temporary name and waiting to be renamed into place.
    public struct StagedFile: Sendable {
        public var temporaryPath: String
        public var finalPath: String
    }

    /// Writes `data` to a temporary file in `path`'s directory.
    /// `sync: false` skips the fsync (a file whose loss on power failure costs nothing but a little safety margin).
    public static func stage(_ data: Data, for path: String, mode: mode_t = 0o644, sync: Bool = true) throws(HallmarkError) -> StagedFile {
        let directory = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.\(base).tmp-\(getpid())-\(nextCounter())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw .io("\(path): cannot write: \(String(cString: strerror(errno))) (is the directory there and writable?)")
        }
        var failure: Int32 = 0
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if failure == 0, sync, fsync(fd) != 0 { failure = errno }
        fchmod(fd, mode)
        close(fd)
        if failure != 0 {
            unlink(temporary)
            throw .io("\(path): cannot write: \(String(cString: strerror(failure)))")
        }
        return StagedFile(temporaryPath: temporary, finalPath: path)
    }

    /// Writes `data` over the start of `path` (created when missing; never through a link), without syncing:
    /// for small fixed-width state rewritten often. Best effort: failures are ignored.
    public static func overwriteInPlace(_ data: Data, at path: String, mode: mode_t) {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { return }
        _ = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        close(fd)
    }

    /// Renames staged files into place; if any rename fails, the remaining temporaries are removed.
    public static func commit(_ files: [StagedFile]) throws(HallmarkError) {
        for (index, file) in files.enumerated() {
            if rename(file.temporaryPath, file.finalPath) != 0 {
                let code = errno
                for rest in files[index...] { unlink(rest.temporaryPath) }
                throw .io("\(file.finalPath): cannot move into place: \(String(cString: strerror(code)))")
            }
        }
    }

    /// Removes staged temporaries (after a later failure).
    public static func discard(_ files: [StagedFile]) {
        for file in files { unlink(file.temporaryPath) }
    }

    private static let counter = LockedCounter()
    private static func nextCounter() -> Int { counter.next() }

    /// The size of the file at `path` in bytes; errors name it as `display`.
    public static func size(_ path: String, display: String? = nil) throws(HallmarkError) -> UInt64 {
        guard let size = FileStatus.size(path) else { throw .io("\(display ?? path): \(String(cString: strerror(errno)))") }
        return size
    }

    /// Removes a scratch file or directory. A failure leaves litter behind, never a different result, so it is
    /// not reported.
    public static func removeQuietly(_ path: String) {
        do { try FileManager.default.removeItem(atPath: path) } catch { return }
    }

    /// Whether a regular file exists at `path` (after following symbolic links): not a directory, and not a FIFO,
    /// socket or device, which would block or never end when read.
    public static func isFile(_ path: String) -> Bool {
        FileStatus.isRegularFile(path)
    }

    /// Whether `path` itself is a symbolic link (not followed).
    public static func isSymbolicLink(_ path: String) -> Bool {
        do {
            return try FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType == .typeSymbolicLink
        } catch {
            return false
        }
    }

    /// Whether anything exists at `path` (after following symbolic links): a file, a directory, a FIFO…
    public static func exists(_ path: String) -> Bool {
        FileStatus.exists(path)
    }

    /// "a FIFO", "a directory"…: what a file that is not regular is, for messages.
    public static func kindName(_ mode: mode_t) -> String { RegularFile.kindName(mode) }

    /// Opens `path` for reading as a regular file, without blocking on a FIFO (``RegularFile/open(_:display:)``).
    public static func openRegularFile(_ path: String, display: String) throws(HallmarkError) -> (fd: Int32, size: UInt64) {
        try RegularFile.openSized(path, display: display)
    }

    /// Whether a directory exists at `path`.
    public static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
