import Foundation
import HallmarkArchive
import HallmarkCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The part of the file system an engine's paths live in. The command line's root is `/` with the process's
/// working directory; a server's is its data directory, so that a path from a request cannot reach anything
/// outside it.
///
/// Under a root other than `/`, a path is folded lexically (`.` and `..`), then its deepest existing ancestor is
/// resolved through the file system (`realpath`, so symbolic links count where they lead), and the result must
/// still lie inside the root; a symbolic link that leads nowhere is refused, since creating a file through it
/// would create it wherever it points. The resolved path is what the operation then opens. (A link swapped in
/// after the check can still redirect an open: whoever writes into the data directory is trusted with it.)
public struct FileSystemRoot: Sendable, Equatable {
    /// The root directory: an absolute path, with symbolic links resolved when it exists.
    public let path: String
    /// The directory relative paths start from: an absolute path inside `path`.
    public let workingDirectory: String

    /// A root at `path` with relative paths starting at `workingDirectory` (the root itself when nil).
    public init(path: String, workingDirectory: String? = nil) throws(HallmarkError) {
        guard path.hasPrefix("/") else { throw .usage("the file-system root \(path) is not an absolute path") }
        let root = Self.canonical(Self.normalize(path))
        guard Array(root.utf8) != [0x2F] else {
            throw .usage("the file-system root \(path) is the whole file system; use FileSystemRoot.whole for that")
        }
        let working = workingDirectory.map { Self.canonical(Self.normalize($0)) } ?? root
        guard Self.contains(root, working) else {
            throw .usage("the working directory \(working) is outside the file-system root \(root)")
        }
        self.path = root
        self.workingDirectory = working
    }

    /// The whole file system, relative paths starting at `workingDirectory`.
    public static func whole(workingDirectory: String) -> FileSystemRoot {
        let working = normalize(workingDirectory.hasPrefix("/") ? workingDirectory : "/" + workingDirectory)
        return FileSystemRoot(unchecked: "/", working)
    }

    /// Equal when both paths are the same bytes (String's `==` would take NFC and NFD spellings as equal).
    public static func == (lhs: FileSystemRoot, rhs: FileSystemRoot) -> Bool {
        Array(lhs.path.utf8) == Array(rhs.path.utf8) && Array(lhs.workingDirectory.utf8) == Array(rhs.workingDirectory.utf8)
    }

    private init(unchecked path: String, _ workingDirectory: String) {
        self.path = path
        self.workingDirectory = workingDirectory
    }

    /// An absolute path for `relativeOrAbsolute`: relative paths start at the working directory, absolute ones
    /// must already be inside the root. A path that leaves the root (`../..`, `/etc/passwd` under a data
    /// directory, a symbolic link inside it that points out) is refused.
    public func resolve(_ relativeOrAbsolute: String) throws(HallmarkError) -> String {
        guard !relativeOrAbsolute.isEmpty else { throw .usage("an empty path") }
        guard !relativeOrAbsolute.utf8.contains(0) else { throw .usage("a path with a NUL byte") }
        if Array(path.utf8) == [0x2F] {
            // The whole file system: joined as given, so that `link/..` means what the kernel says it means.
            if relativeOrAbsolute.hasPrefix("/") { return relativeOrAbsolute }
            if relativeOrAbsolute == "." { return workingDirectory }
            return (workingDirectory as NSString).appendingPathComponent(relativeOrAbsolute)
        }
        let joined = relativeOrAbsolute.hasPrefix("/") ? relativeOrAbsolute : workingDirectory + "/" + relativeOrAbsolute
        let lexical = Self.normalize(joined)
        guard Self.contains(path, lexical) else { throw outside(relativeOrAbsolute) }
        let resolved = try Self.throughLinks(lexical, display: relativeOrAbsolute)
        guard Self.contains(path, resolved) else { throw outside(relativeOrAbsolute) }
        return resolved
    }

    private func outside(_ given: String) -> HallmarkError {
        .usage("\(given): outside the data directory, or through a link that leads nowhere")
    }

    /// `lexical` (absolute, folded) with its deepest existing ancestor resolved through the file system and the
    /// rest appended; a component that exists but cannot be resolved (a dangling link) is refused.
    static func throughLinks(_ lexical: String, display: String) throws(HallmarkError) -> String {
        let components = Array(lexical.utf8).split(separator: 0x2F, omittingEmptySubsequences: true)
        func join(_ parts: ArraySlice<ArraySlice<UInt8>>) -> String {
            String(decoding: parts.flatMap { [0x2F] + $0 }, as: UTF8.self)
        }
        var count = components.count
        while count > 0 {
            let existing = join(components[..<count])
            if let real = realPath(existing) {
                let rest = components[count...]
                return rest.isEmpty ? real : (real == "/" ? "" : real) + join(rest)
            }
            if errno != ENOENT || exists(existing) {
                // The same words as a path that leads out: the answer must not tell what exists outside the root.
                throw .usage("\(display): outside the data directory, or through a link that leads nowhere")
            }
            count -= 1
        }
        return lexical
    }

    /// `realpath(3)` of `path`, or nil (with `errno` set).
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether anything (a dangling link included) is at `path`, without following a final link.
    static func exists(_ path: String) -> Bool { FileStatus.entryExists(path) }

    /// `path` resolved through the file system when it exists, else as given.
    static func canonical(_ path: String) -> String { realPath(path) ?? path }

    /// `path` with empty and `.` components dropped and `..` applied (never above `/`), working on the UTF-8
    /// bytes as the kernel does: a `/` is byte 0x2F whatever follows it (Swift's `Character` would join `/` and a
    /// combining mark into one, hiding a `..` from a fold done on characters).
    static func normalize(_ path: String) -> String {
        var parts: [ArraySlice<UInt8>] = []
        for part in Array(path.utf8).split(separator: 0x2F, omittingEmptySubsequences: true) {
            if part.elementsEqual([0x2E]) { continue }
            if part.elementsEqual([0x2E, 0x2E]) {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        var bytes: [UInt8] = [0x2F]
        for (index, part) in parts.enumerated() {
            if index > 0 { bytes.append(0x2F) }
            bytes.append(contentsOf: part)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `candidate` is `root` or below it (both normalized), compared byte for byte: canonically equal
    /// spellings of a name (NFC and NFD) are different directories on Linux.
    static func contains(_ root: String, _ candidate: String) -> Bool {
        let rootBytes = Array(root.utf8)
        let candidateBytes = Array(candidate.utf8)
        if rootBytes == [0x2F] { return true }
        guard candidateBytes.starts(with: rootBytes) else { return false }
        return candidateBytes.count == rootBytes.count || candidateBytes[rootBytes.count] == 0x2F
    }
}
