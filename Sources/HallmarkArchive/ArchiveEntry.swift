import Foundation
import HallmarkCore

/// The archive formats Hallmark writes.
public enum ArchiveFormat: String, Sendable, Codable, CaseIterable {
    case tarGz = "tar.gz"
    case zip

    /// The file-name extension, with its dot.
    public var fileExtension: String { "." + rawValue }

    /// The IANA media type of the archive.
    public var mediaType: String {
        switch self {
        case .tarGz: "application/gzip"
        case .zip: "application/zip"
        }
    }
}

/// One member of an archive: a regular file (from disk or from memory) or a directory.
public struct ArchiveEntry: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        /// A file on disk, streamed into the archive.
        case file(String)
        /// Bytes held in memory.
        case data(Data)
        /// A directory entry.
        case directory
    }

    /// The `/`-separated path inside the archive.
    public var path: String
    public var content: Content
    /// Permission bits only (0755 for executables and directories, 0644 for everything else).
    public var mode: UInt32

    public init(path: String, content: Content, mode: UInt32) {
        self.path = path
        self.content = content
        self.mode = mode
    }

    public static func executable(_ path: String, from source: String) -> ArchiveEntry {
        ArchiveEntry(path: path, content: .file(source), mode: 0o755)
    }

    public static func regular(_ path: String, from source: String) -> ArchiveEntry {
        ArchiveEntry(path: path, content: .file(source), mode: 0o644)
    }

    public var isDirectory: Bool { content == .directory }
}

/// Writes archives whose bytes depend only on the entries' paths, contents and modes and on one fixed time:
/// entries sorted by path, parents listed before children, uid/gid 0 without names, no wall-clock times.
public struct DeterministicArchiver: Sendable {
    /// Modification time of every entry, in seconds since the epoch (from `SOURCE_DATE_EPOCH` or the commit).
    public var modificationTime: Int64
    /// libdeflate compression level, 0 (stored) to 12 (smallest); 6, the default, is also gzip's.
    public var compressionLevel: Int32
    /// zip: sizes and offsets at or over this are written with ZIP64 records. 0xFFFFFFFF (the default) uses ZIP64
    /// only where 32 bits cannot hold a value; a lower value exercises the ZIP64 records on small archives.
    public var zip64Threshold: UInt64 = 0xFFFF_FFFF
    /// Threads that compress the blocks of one deflate stream (at least 1). The bytes written do not depend on it.
    public var parallelism: Int

    /// The input of a deflate stream (the tar stream of a tar.gz, a zip member's bytes) is compressed in blocks of
    /// this many bytes, each on its own: part of the format, so fixed — never derived from the number of cores.
    public static let compressionBlockSize = 1 << 20

    public init(
        modificationTime: Int64, compressionLevel: Int32 = 6,
        parallelism: Int = ProcessInfo.processInfo.activeProcessorCount
    ) {
        self.modificationTime = modificationTime
        self.compressionLevel = compressionLevel
        self.parallelism = max(1, parallelism)
    }

    /// The entries as they will be written: safe relative paths, sorted, with a directory entry for every
    /// parent directory. Throws on an unsafe or duplicate path.
    public static func normalized(_ entries: [ArchiveEntry]) throws(HallmarkError) -> [ArchiveEntry] {
        var byPath: [String: ArchiveEntry] = [:]
        for entry in entries {
            var path = entry.path
            while path.hasSuffix("/") { path.removeLast() }
            if let reason = RelativePath.unsafeReason(path) {
                throw .invalidInput("archive member \"\(entry.path)\": \(reason)")
            }
            if byPath[path] != nil { throw .invalidInput("archive member \"\(path)\" is named twice") }
            var normalized = entry
            normalized.path = path
            normalized.mode = entry.isDirectory ? 0o755 : (entry.mode & 0o111 != 0 ? 0o755 : 0o644)
            byPath[path] = normalized
            var parent = Self.parent(of: path)
            while !parent.isEmpty {
                if let existing = byPath[parent], !existing.isDirectory {
                    throw .invalidInput("archive member \"\(parent)\" is both a file and a directory")
                }
                byPath[parent] = ArchiveEntry(path: parent, content: .directory, mode: 0o755)
                parent = Self.parent(of: parent)
            }
        }
        return byPath.values.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    /// Writes `entries` as `format` to `path` (created or truncated) and returns the archive's size.
    @discardableResult
    public func write(_ entries: [ArchiveEntry], format: ArchiveFormat, to path: String) throws(HallmarkError) -> UInt64 {
        let sorted = try Self.normalized(entries)
        let output = try OutputFile(path: path)
        do {
            switch format {
            case .tarGz:
                let gzip = try GzipStream(
                    level: compressionLevel, blockSize: Self.compressionBlockSize, parallelism: parallelism,
                    sink: output)
                var tar = TarWriter(modificationTime: modificationTime) { bytes throws(HallmarkError) in
                    try gzip.compress(bytes)
                }
                for entry in sorted { try tar.append(entry) }
                try tar.finish()
                try gzip.finish()
            case .zip:
                var zip = ZipWriter(
                    modificationTime: modificationTime, level: compressionLevel, blockSize: Self.compressionBlockSize,
                    parallelism: parallelism, output: output, zip64Threshold: zip64Threshold)
                for entry in sorted { try zip.append(entry) }
                try zip.finish()
            }
            try output.close()
        } catch {
            output.abandon()
            throw error
        }
        return output.bytesWritten
    }
}
