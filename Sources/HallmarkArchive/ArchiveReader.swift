import Foundation
import HallmarkCore

/// Reads tar.gz and zip archives defensively, as a stream: every member is checked before its bytes are used — no
/// `..`, no absolute paths, no links, no devices, no duplicate names, one canonical name per path — and the limits
/// (entry count, member size, total size, expansion ratio) are counted as the bytes arrive, so a bomb ends in an
/// error after a bounded amount of work and memory. Extraction writes regular files and directories only, into an
/// empty directory, each one created relative to its parent's descriptor so no symbolic link is ever followed.
///
/// Each read of an archive opens it once; callers that must bind what they check (a digest, a signature) to what
/// they extract pass a private copy only they can write.
public struct ArchiveReader: Sendable {
    /// The hard limits. The defaults hold for every command; tests lower them.
    public struct Limits: Sendable {
        public var maxEntries = 10_000
        public var maxEntrySize: UInt64 = 2 << 30
        /// The sum of the members' sizes, and the decompressed size of a whole tar.gz stream.
        public var maxTotalSize: UInt64 = 4 << 30
        /// The archive file itself: nothing larger is read (no member could fit the total limit from it).
        public var maxArchiveSize: UInt64 = (4 << 30) + (16 << 20)
        /// Uncompressed ÷ compressed, per zip member and for a whole archive, once past `ratioFloor` bytes.
        public var maxRatio: UInt64 = 1_000
        /// Sizes up to this are never a bomb, whatever their ratio (a small file of zeros compresses well).
        public var ratioFloor: UInt64 = 16 << 20
        /// Components in one member's path (a deep path costs memory per level; releases need a handful).
        public var maxDepth = 64
        /// The sum of all members' name lengths, in bytes.
        public var maxNameBytes = 8 << 20

        public init() {}

        /// The most `compressed` bytes may expand to.
        func ratioCap(_ compressed: UInt64) -> UInt64 {
            let (product, overflow) = max(compressed, 1).multipliedReportingOverflow(by: maxRatio)
            return max(overflow ? .max : product, ratioFloor)
        }
    }

    /// One member, as checked.
    public struct Member: Sendable, Equatable {
        public enum Kind: String, Sendable { case file, directory }
        /// The canonical relative path: no `.` or empty components, no trailing `/`.
        public var path: String
        public var kind: Kind
        /// Permission bits only.
        public var mode: UInt32
        public var size: UInt64
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Every member, after all checks; throws naming the first unsafe one.
    public func members(of path: String, format: ArchiveFormat, display: String) throws(HallmarkError) -> [Member] {
        try scan(path, format: format, display: display) { _, _ in }
    }

    /// Every member, and the bytes of the small files `keep` selects (each at most `limit` bytes), in one pass over
    /// the archive; nothing is returned unless every member passed its checks.
    public func members(
        of path: String, format: ArchiveFormat, display: String, limit: Int = 16 << 20, keeping keep: (Member) -> Bool
    ) throws(HallmarkError) -> (members: [Member], kept: [String: Data]) {
        var kept: [String: Data] = [:]
        let members = try scan(path, format: format, display: display) { (member, body) throws(HallmarkError) in
            guard member.kind == .file && keep(member) else { return }
            guard member.size <= UInt64(limit) else {
                throw .invalidInput("\(display): member \(member.path) is over the \(limit)-byte limit for a file read whole")
            }
            var data = Data(capacity: Int(member.size))
            try body.forEachChunk { data.append(contentsOf: $0) }
            kept[member.path] = data
        }
        return (members, kept)
    }

    /// Reads the archive once, checking every member; `visit` sees each member after its own checks, and may
    /// stream its bytes from `body` (whatever it leaves is read and checked anyway). The archive as a whole passes
    /// only when this returns: a later member can still fail, and a zip member's CRC-32 is checked after its
    /// bytes, so `visit` must not act on what it sees before then.
    public func scan(
        _ path: String, format: ArchiveFormat, display: String, visit: (Member, MemberBody) throws(HallmarkError) -> Void
    ) throws(HallmarkError) -> [Member] {
        let file = try open(path, display: display)
        return try read(file, format: format, visit: visit).map(\.member)
    }

    /// Extracts every member into `directory`, which must exist, be empty, and not be a symbolic link. Every member
    /// is checked first (a first pass writes nothing); the second pass writes each file with
    /// `openat(O_CREAT|O_EXCL|O_NOFOLLOW)` below its parent's descriptor, and must see the same members with the same
    /// bytes. `observe` sees every file's bytes as they are written.
    @discardableResult
    public func extractAll(
        _ path: String, format: ArchiveFormat, display: String, into directory: String,
        observe: (Member, UnsafeRawBufferPointer) -> Void = { _, _ in }
    ) throws(HallmarkError) -> [Member] {
        let destination = try DirectoryWriter(emptyDirectory: directory)
        let file = try open(path, display: display)
        let checked = try read(file, format: format) { _, _ in }
        var index = 0
        let written = try read(file, format: format) { (member, body) throws(HallmarkError) in
            guard index < checked.count, checked[index].member == member else {
                throw .invalidInput("\(display): the archive changed while it was being read")
            }
            index += 1
            switch member.kind {
            case .directory:
                try destination.makeDirectory(member.path)
            case .file:
                let output = try destination.createFile(member.path)
                defer { output.close() }
                try body.forEachChunk { (chunk) throws(HallmarkError) in
                    observe(member, chunk)
                    try output.write(chunk)
                }
                try output.finish(mode: member.mode & 0o111 != 0 ? 0o755 : 0o644)
            }
        }
        guard written == checked else { throw .invalidInput("\(display): the archive changed while it was being read") }
        return written.map(\.member)
    }

    // MARK: Reading

    /// A member and the CRC-32 of its bytes, to compare two passes.
    struct Checked: Equatable {
        var member: Member
        var crc: UInt
    }

    private func open(_ path: String, display: String) throws(HallmarkError) -> InputFile {
        let file = try InputFile(path: path, display: display)
        guard file.size <= limits.maxArchiveSize else {
            throw .invalidInput("\(display): \(file.size) bytes is over the \(limits.maxArchiveSize)-byte limit for an archive")
        }
        return file
    }

    private func read(
        _ file: InputFile, format: ArchiveFormat, visit: (Member, MemberBody) throws(HallmarkError) -> Void
    ) throws(HallmarkError) -> [Checked] {
        switch format {
        case .tarGz: try TarReader(file: file, limits: limits).read(visit: visit)
        case .zip: try ZipReader(file: file, limits: limits).read(visit: visit)
        }
    }
}

/// The bytes of one member, read on demand while the archive is read: each byte once, counted and checked.
public final class MemberBody {
    private let next: () throws(HallmarkError) -> UnsafeRawBufferPointer?

    init(next: @escaping () throws(HallmarkError) -> UnsafeRawBufferPointer?) { self.next = next }

    /// Calls `body` with each block of the member's bytes, in order, until the end of the member.
    public func forEachChunk(_ body: (UnsafeRawBufferPointer) throws(HallmarkError) -> Void) throws(HallmarkError) {
        while let chunk = try next() { try body(chunk) }
    }

    /// Reads what is left, for its checks only.
    func drain() throws(HallmarkError) {
        while try next() != nil {}
    }
}
