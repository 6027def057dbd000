import Foundation
import HallmarkCore
import HallmarkCrypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A directory only this user can enter (`mkdtemp`, mode 0700), for private copies of inputs that are checked and
/// then used: a check made on a copy in here holds for the use, whoever can write the original.
public struct PrivateDirectory: Sendable {
    public let path: String

    /// Creates `PARENT/LABEL-XXXXXX`.
    public init(in parent: String, label: String) throws(HallmarkError) {
        var template = Array(((parent.hasSuffix("/") ? parent : parent + "/") + label + "-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw .io("\(parent): cannot create a private working directory: \(String(cString: strerror(errno)))")
        }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Removes the directory and everything left in it.
    public func remove() { FileIO.removeQuietly(path) }
}

/// One copy of a file's bytes, hashed on the way.
public enum FileCopy {
    /// What was copied: the sha256 of exactly the bytes written, and their count.
    public struct Copied: Sendable {
        public var sha256: String
        public var size: UInt64
    }

    /// Copies the regular file `source` to the new file `destination` (created with O_EXCL|O_NOFOLLOW and `mode`,
    /// synced), reading it once and hashing the bytes as they are written. Refuses, without blocking, a source that
    /// is not a regular file (a FIFO, a device, a directory), and a source over `limit` bytes before reading it
    /// (`kind` names what the limit is for). On failure the destination is removed.
    public static func copy(
        _ source: String, to destination: String, mode: mode_t, display: String, limit: UInt64 = .max, kind: String = "this kind of file"
    ) throws(HallmarkError) -> Copied {
        let (input, statedSize) = try FileIO.openRegularFile(source, display: display)
        defer { close(input) }
        guard statedSize <= limit else {
            throw .invalidInput("\(display): \(statedSize) bytes is over the \(limit)-byte limit for \(kind)")
        }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw .io("\(destination): cannot create: \(String(cString: strerror(errno)))") }
        var closed = false
        var succeeded = false
        defer {
            if !closed { close(output) }
            if !succeeded { unlink(destination) }
        }
        let hasher = StreamingSHA256()
        var size: UInt64 = 0
        let blockSize = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 4096)
        defer { buffer.deallocate() }
        while true {
            let n = read(input, buffer.baseAddress, blockSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("\(display): cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            size += UInt64(n)
            guard size <= limit else { throw .invalidInput("\(display): grew past the \(limit)-byte limit while it was read") }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            hasher.update(chunk)
            var done = 0
            while done < n {
                let written = write(output, chunk.baseAddress! + done, n - done)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw .io("\(destination): cannot write: \(String(cString: strerror(errno)))")
                }
                done += written
            }
        }
        guard fchmod(output, mode) == 0, fsync(output) == 0 else {
            throw .io("\(destination): cannot write: \(String(cString: strerror(errno)))")
        }
        closed = true
        guard close(output) == 0 else { throw .io("\(destination): cannot write: \(String(cString: strerror(errno)))") }
        succeeded = true
        return Copied(sha256: hasher.finalizeHex(), size: size)
    }

    /// Copies `source` into `directory` as `name`, with its detached signatures (`.sig`, `.minisig`) when they
    /// exist, so a signature check and every later use read the same private bytes. A signature path that exists
    /// but is not a regular file (a FIFO, a directory) is refused, not skipped.
    /// `resolve` turns each path read (the source and its signatures) into the one to open, refusing those that
    /// lead where the caller's paths may not go (an engine context's root).
    public static func copyWithSignatures(
        _ source: String, into directory: PrivateDirectory, as name: String, display: String, limit: UInt64, kind: String,
        resolve: (String) throws(HallmarkError) -> String
    ) throws(HallmarkError) -> (path: String, copied: Copied) {
        let path = directory.path + "/" + name
        let copied = try copy(try resolve(source), to: path, mode: 0o600, display: display, limit: limit, kind: kind)
        for suffix in [".sig", ".minisig"] {
            let signature = try resolve(source + suffix)
            guard FileIO.exists(signature) else { continue }
            _ = try copy(signature, to: path + suffix, mode: 0o600, display: display + suffix, limit: 64 << 10, kind: "a signature")
        }
        return (path, copied)
    }
}
