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
        if path == "/" {
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
        .usage("\(given): outside \(path), where this engine's files live")
    }

    /// `lexical` (absolute, folded) with its deepest existing ancestor resolved through the file system and the
    /// rest appended; a component that exists but cannot be resolved (a dangling link) is refused.
    static func throughLinks(_ lexical: String, display: String) throws(HallmarkError) -> String {
        var existing = lexical
        var rest: [String] = []
        while existing != "/" {
            if let real = realPath(existing) {
                return rest.isEmpty ? real : (real == "/" ? "" : real) + "/" + rest.reversed().joined(separator: "/")
            }
            if errno != ENOENT || exists(existing) {
                throw .usage("\(display): \(existing) cannot be resolved (a symbolic link that leads nowhere?)")
            }
            rest.append((existing as NSString).lastPathComponent)
            existing = (existing as NSString).deletingLastPathComponent
        }
        return "/" + rest.reversed().joined(separator: "/")
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

    /// `path` with empty and `.` components dropped and `..` applied (never above `/`).
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Whether `candidate` is `root` or below it (both normalized).
    static func contains(_ root: String, _ candidate: String) -> Bool {
        root == "/" || candidate == root || candidate.hasPrefix(root + "/")
    }
}
