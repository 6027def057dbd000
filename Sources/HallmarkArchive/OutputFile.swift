import Foundation
import HallmarkCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file being written through a buffer, with positioned writes for patching headers.
final class OutputFile {
    let path: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private(set) var bytesWritten: UInt64 = 0
    private static let flushSize = 1 << 20

    init(path: String) throws(HallmarkError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io("\(path): cannot create: \(String(cString: strerror(errno)))") }
        buffer.reserveCapacity(Self.flushSize + (64 << 10))
    }

    /// The offset the next byte lands at.
    var offset: UInt64 { bytesWritten }

    func write(_ bytes: UnsafeRawBufferPointer) throws(HallmarkError) {
        buffer.append(contentsOf: bytes)
        bytesWritten += UInt64(bytes.count)
        if buffer.count >= Self.flushSize { try flush() }
    }

    func write(_ bytes: [UInt8]) throws(HallmarkError) {
        try withBytes(bytes) { (raw) throws(HallmarkError) in try write(raw) }
    }

    func flush() throws(HallmarkError) {
        var failure: Int32 = 0
        buffer.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
        if failure != 0 { throw .io("\(path): cannot write: \(String(cString: strerror(failure)))") }
    }

    /// Overwrites bytes already written at `offset` (flushing first).
    func patch(_ bytes: [UInt8], at offset: UInt64) throws(HallmarkError) {
        try flush()
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        if n != bytes.count { throw .io("\(path): cannot write: \(String(cString: strerror(errno)))") }
    }

    func close() throws(HallmarkError) {
        try flush()
        let failed = fsync(fd) != 0
        let code = errno
        Glibc.close(fd)
        fd = -1
        if failed { throw .io("\(path): cannot write: \(String(cString: strerror(code)))") }
    }

    /// Closes and removes a partly written file.
    func abandon() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
        unlink(path)
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }
}

/// Streams a file's bytes in large blocks.
func streamFile(_ path: String, _ body: (UnsafeRawBufferPointer) throws(HallmarkError) -> Void) throws(HallmarkError) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .io("\(path): cannot read: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    #if os(Linux)
    _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
    #endif
    let size = 1 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
    defer { buffer.deallocate() }
    while true {
        let n = read(fd, buffer.baseAddress, size)
        if n < 0 {
            if errno == EINTR { continue }
            throw .io("\(path): cannot read: \(String(cString: strerror(errno)))")
        }
        if n == 0 { return }
        try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    }
}

/// The size of a regular file, refusing anything else.
func regularFileSize(_ path: String) throws(HallmarkError) -> UInt64 {
    var info = stat()
    guard stat(path, &info) == 0 else { throw .io("\(path): \(String(cString: strerror(errno)))") }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw .invalidInput("\(path): not a regular file") }
    return UInt64(info.st_size)
}

/// Calls `body` with the bytes of `data`, keeping the error type.
func withBytes<C: ContiguousBytes>(
    _ data: C, _ body: (UnsafeRawBufferPointer) throws(HallmarkError) -> Void
) throws(HallmarkError) {
    var failure: HallmarkError?
    data.withUnsafeBytes { raw in
        do throws(HallmarkError) { try body(raw) } catch { failure = error }
    }
    if let failure { throw failure }
}
