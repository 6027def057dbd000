import Foundation
import HallmarkCore

/// The part of the file system an engine's paths live in. The command line's root is `/` with the process's
/// working directory; a server's is its data directory, so that a path from a request cannot reach anything
/// outside it. Paths are resolved lexically (`.` and `..` folded) and refused when they would climb out.
public struct FileSystemRoot: Sendable, Equatable {
    /// The root directory: an absolute, normalized path.
    public let path: String
    /// The directory relative paths start from: an absolute path inside `path`.
    public let workingDirectory: String

    /// A root at `path` with relative paths starting at `workingDirectory` (the root itself when nil).
    public init(path: String, workingDirectory: String? = nil) throws(HallmarkError) {
        guard path.hasPrefix("/") else { throw .usage("the file-system root \(path) is not an absolute path") }
        let root = Self.normalize(path)
        let working = workingDirectory.map(Self.normalize) ?? root
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
    /// directory) is refused.
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
        let resolved = Self.normalize(joined)
        guard Self.contains(path, resolved) else {
            throw .usage("\(relativeOrAbsolute): outside \(path), where this engine's files live")
        }
        return resolved
    }

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
