import Foundation
import HallmarkCore

/// The fixed names in a release directory, and listing its files.
public enum ReleaseDirectory {
    public static let checksums = "checksums.txt"
    public static let signatures = "signatures.json"

    /// A file found while walking a directory.
    public struct Member: Sendable, Equatable {
        /// Path relative to the directory, `/`-separated.
        public var name: String
        public var isRegularFile: Bool
    }

    /// Every entry below `directory` except directories, sorted by name; temporary files Hallmark
    /// itself is writing (`.NAME.tmp-…`) are skipped.
    public static func members(of directory: String) throws(HallmarkError) -> [Member] {
        guard FileIO.isDirectory(directory) else { throw .io("\(directory): not a directory") }
        var out: [Member] = []
        func walk(_ relative: String) throws(HallmarkError) {
            let absolute = relative.isEmpty ? directory : directory + "/" + relative
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: absolute) } catch {
                throw .io("\(absolute): cannot list: \(error.localizedDescription)")
            }
            for name in names.sorted() {
                let child = relative.isEmpty ? name : relative + "/" + name
                let type: FileAttributeType?
                do {
                    type = try FileManager.default.attributesOfItem(atPath: directory + "/" + child)[.type] as? FileAttributeType
                } catch {
                    throw .io("\(directory)/\(child): cannot read its attributes: \(error.localizedDescription)")
                }
                if type == .typeDirectory {
                    try walk(child)
                } else {
                    out.append(Member(name: child, isRegularFile: type == .typeRegular))
                }
            }
        }
        try walk("")
        return out.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }
}
