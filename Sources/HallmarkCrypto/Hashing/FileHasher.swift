import Crypto
import Dispatch
import Foundation
import HallmarkConcurrency
import HallmarkCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streaming file hashing: one file read once in large blocks, or many files spread over the cores.
public enum FileHasher {
    /// Read size: large enough that the hash, not the system calls, sets the pace.
    static let blockSize = 1 << 20

    /// Streams the file at `path` through `body`, one block at a time; errors name the file as `display`.
    static func stream(
        _ path: String, display: String? = nil, _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(HallmarkError) {
        let name = display ?? path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError(name, errno) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw .io("\(name): is a directory, not a file")
        }
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 4096)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, blockSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw ioError(name, errno)
            }
            if count == 0 { return }
            body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    static func ioError(_ path: String, _ code: Int32) -> HallmarkError {
        switch code {
        case ENOENT: .io("\(path): No such file or directory")
        case EACCES: .io("\(path): Permission denied")
        case EISDIR: .io("\(path): is a directory, not a file")
        default: .io("\(path): \(String(cString: strerror(code)))")
        }
    }

    /// The hex digest of one file; errors name it as `display` (default: the path).
    public static func hexDigest(
        ofFileAt path: String, algorithm: DigestAlgorithm, display: String? = nil
    ) throws(HallmarkError) -> String {
        switch algorithm {
        case .sha256:
            var hasher = SHA256()
            try stream(path, display: display) { hasher.update(bufferPointer: $0) }
            return Hex.encode(hasher.finalize())
        case .sha384:
            var hasher = SHA384()
            try stream(path, display: display) { hasher.update(bufferPointer: $0) }
            return Hex.encode(hasher.finalize())
        case .sha512:
            var hasher = SHA512()
            try stream(path, display: display) { hasher.update(bufferPointer: $0) }
            return Hex.encode(hasher.finalize())
        }
    }

    public static func sha256Digest(ofFileAt path: String) throws(HallmarkError) -> SHA256.Digest {
        var hasher = SHA256()
        try stream(path) { hasher.update(bufferPointer: $0) }
        return hasher.finalize()
    }

    public static func sha384Digest(ofFileAt path: String) throws(HallmarkError) -> SHA384.Digest {
        var hasher = SHA384()
        try stream(path) { hasher.update(bufferPointer: $0) }
        return hasher.finalize()
    }

    /// Hex SHA-1 and SHA-256 of a file in one read. SHA-1 only because SPDX 2.3 requires it for every file;
    /// Hallmark never relies on it for integrity.
    public static func spdxDigests(ofFileAt path: String, display: String? = nil) throws(HallmarkError) -> (sha1: String, sha256: String, size: UInt64) {
        var a = Insecure.SHA1()
        var b = SHA256()
        var size: UInt64 = 0
        try stream(path, display: display) {
            a.update(bufferPointer: $0)
            b.update(bufferPointer: $0)
            size += UInt64($0.count)
        }
        return (Hex.encode(a.finalize()), Hex.encode(b.finalize()), size)
    }

    /// SHA-256, SHA-384 and SHA-512 of a file in one read, for verifying signatures of unknown digest.
    public static func multiDigest(ofFileAt path: String) throws(HallmarkError)
        -> (sha256: SHA256.Digest, sha384: SHA384.Digest, sha512: SHA512.Digest)
    {
        var a = SHA256()
        var b = SHA384()
        var c = SHA512()
        try stream(path) {
            a.update(bufferPointer: $0)
            b.update(bufferPointer: $0)
            c.update(bufferPointer: $0)
        }
        return (a.finalize(), b.finalize(), c.finalize())
    }

    /// Hex digests of many files, computed in parallel on up to `maximumConcurrency` cores; results keep the
    /// order of `paths`, each a digest or the error reading that file (named by `displayNames` when given).
    public static func hexDigests(
        ofFilesAt paths: [String], algorithm: DigestAlgorithm, displayNames: [String]? = nil,
        maximumConcurrency: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> [Result<String, HallmarkError>] {
        Parallel.map(Array(paths.indices), width: maximumConcurrency) { (index) throws(HallmarkError) -> String in
            try hexDigest(ofFileAt: paths[index], algorithm: algorithm, display: displayNames?[index])
        }
    }
}
