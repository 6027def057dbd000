import Foundation
import HallmarkCore

/// Directory helpers every operation uses: make, replace and remove directories, and relative paths.
enum Paths {
    /// `path` relative to `base` (both absolute), with `..` where needed; `.` when equal.
    static func relative(_ path: String, from base: String) -> String {
        let target = (path as NSString).standardizingPath.split(separator: "/").map(String.init)
        let origin = (base as NSString).standardizingPath.split(separator: "/").map(String.init)
        var common = 0
        while common < target.count && common < origin.count && target[common] == origin[common] { common += 1 }
        let parts = Array(repeating: "..", count: origin.count - common) + target[common...]
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    static func makeDirectory(_ path: String) throws(HallmarkError) {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw .io("\(path): cannot create the directory: \(error.localizedDescription)")
        }
    }

    static func removeIfPresent(_ path: String) throws(HallmarkError) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        do { try FileManager.default.removeItem(atPath: path) } catch {
            throw .io("\(path): cannot remove: \(error.localizedDescription)")
        }
    }

    /// Puts `staging` at `target` with renames: the old `target` (if any) moves aside first and is removed last.
    static func replaceDirectory(_ target: String, with staging: String, scratch: String) throws(HallmarkError) {
        try makeDirectory((target as NSString).deletingLastPathComponent)
        let hadPrevious = FileManager.default.fileExists(atPath: target)
        if hadPrevious {
            try removeIfPresent(scratch)
            guard rename(target, scratch) == 0 else { throw .io("\(target): cannot move the previous release aside: \(String(cString: strerror(errno)))") }
        }
        guard rename(staging, target) == 0 else {
            let code = errno
            if hadPrevious { _ = rename(scratch, target) }
            throw .io("\(target): cannot move the release into place: \(String(cString: strerror(code)))")
        }
        if hadPrevious { try removeIfPresent(scratch) }
    }

    /// The first symbolic link found at or below `directory` (not following links), or nil; nil too when
    /// `directory` does not exist yet.
    static func firstSymbolicLink(in directory: String) -> String? {
        let manager = FileManager.default
        func isLink(_ path: String) -> Bool {
            do { return try manager.attributesOfItem(atPath: path)[.type] as? FileAttributeType == .typeSymbolicLink } catch { return false }
        }
        if isLink(directory) { return directory }
        guard FileIO.isDirectory(directory), let walker = manager.enumerator(atPath: directory) else { return nil }
        for case let relative as String in walker where isLink(directory + "/" + relative) { return directory + "/" + relative }
        return nil
    }
}
