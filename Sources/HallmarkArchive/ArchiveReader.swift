import CSystemZlib
import Foundation
import HallmarkCore

/// Reads tar.gz and zip archives defensively: every member is checked before anything is written — no `..`,
/// no absolute paths, no links, no devices, no duplicate names, and caps on entry count, sizes and compression
/// ratio (zip bombs). Extraction writes regular files and directories only, inside the target directory.
public struct ArchiveReader: Sendable {
    public struct Limits: Sendable {
        public var maxEntries = 10_000
        public var maxEntrySize: UInt64 = 2 << 30
        public var maxTotalSize: UInt64 = 4 << 30
        /// Uncompressed ÷ compressed, per zip member and for a whole tar.gz, once past `ratioFloor` bytes.
        public var maxRatio: UInt64 = 1_000
        /// Sizes up to this are never a bomb, whatever their ratio (a small file of zeros compresses well).
        public var ratioFloor: UInt64 = 16 << 20

        public init() {}
    }

    public struct Member: Sendable, Equatable {
        public enum Kind: String, Sendable { case file, directory }
        public var path: String
        public var kind: Kind
        public var mode: UInt32
        public var size: UInt64
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Every member, after all checks; throws naming the first unsafe one.
    public func members(of path: String, format: ArchiveFormat, display: String) throws(HallmarkError) -> [Member] {
        try members(of: path, format: format, display: display, keeping: { _ in false }).members
    }

    /// Every member, and the bytes of those `keep` selects, in one pass over the archive; nothing is returned
    /// unless every member passed its checks.
    public func members(
        of path: String, format: ArchiveFormat, display: String, keeping keep: (Member) -> Bool
    ) throws(HallmarkError) -> (members: [Member], kept: [String: Data]) {
        var kept: [String: Data] = [:]
        let members = try read(path, format: format, display: display) { member, data in
            if member.kind == .file && keep(member) { kept[member.path] = data }
        }
        return (members, kept)
    }

    /// Extracts every member into `directory` (which must exist), after checking all of them first.
    public func extractAll(_ path: String, format: ArchiveFormat, display: String, into directory: String) throws(HallmarkError) {
        _ = try members(of: path, format: format, display: display)
        _ = try read(path, format: format, display: display) { (member, data) throws(HallmarkError) in
            let target = directory + "/" + member.path
            if member.kind == .directory {
                do { try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true) } catch {
                    throw .io("\(target): cannot create: \(error.localizedDescription)")
                }
            } else {
                do {
                    try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try data.write(to: URL(fileURLWithPath: target))
                } catch {
                    throw .io("\(target): cannot write: \(error.localizedDescription)")
                }
                chmod(target, member.mode & 0o111 != 0 ? 0o755 : 0o644)
            }
        }
    }

    // MARK: Reading

    private func check(_ name: String, display: String, seen: inout Set<String>, count: Int) throws(HallmarkError) -> String {
        var path = name
        while path.hasPrefix("./") { path.removeFirst(2) }
        while path.hasSuffix("/") { path.removeLast() }
        if let reason = RelativePath.unsafeReason(path) { throw .invalidInput("\(display): refusing member \"\(name)\": \(reason)") }
        guard seen.insert(path).inserted else { throw .invalidInput("\(display): member \"\(path)\" appears twice") }
        guard count <= limits.maxEntries else { throw .invalidInput("\(display): more than \(limits.maxEntries) members") }
        return path
    }

    private func read(
        _ path: String, format: ArchiveFormat, display: String, visit: (Member, Data) throws(HallmarkError) -> Void
    ) throws(HallmarkError) -> [Member] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw .io("\(display): cannot read: \(error.localizedDescription)")
        }
        switch format {
        case .tarGz: return try readTar(try gunzip(data, display: display), display: display, visit: visit)
        case .zip: return try readZip(data, display: display, visit: visit)
        }
    }

    func gunzip(_ data: Data, display: String) throws(HallmarkError) -> Data {
        let cap = min(limits.maxTotalSize, max(UInt64(max(data.count, 1)) * limits.maxRatio, limits.ratioFloor))
        return try Inflater.inflate(data, gzip: true, cap: cap, display: display, capMessage: "decompresses to more than \(cap) bytes (a compression bomb, or over the size limit)")
    }

    private func readTar(_ tar: Data, display: String, visit: (Member, Data) throws(HallmarkError) -> Void) throws(HallmarkError) -> [Member] {
        let bytes = [UInt8](tar)
        var offset = 0
        var members: [Member] = []
        var seen = Set<String>()
        var paxPath: String?
        var total: UInt64 = 0
        func field(_ start: Int, _ length: Int) -> String {
            let slice = bytes[(offset + start)..<(offset + start + length)]
            let end = slice.firstIndex(of: 0) ?? slice.endIndex
            return String(decoding: slice[slice.startIndex..<end], as: UTF8.self)
        }
        func octal(_ start: Int, _ length: Int) -> UInt64? {
            let text = field(start, length).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
            return text.isEmpty ? 0 : UInt64(text, radix: 8)
        }
        while offset + 512 <= bytes.count {
            if bytes[offset..<(offset + 512)].allSatisfy({ $0 == 0 }) { break }
            // The header checksum guards against reading garbage as a member.
            var sum: UInt64 = 0
            for i in 0..<512 { sum += (148..<156).contains(i) ? 32 : UInt64(bytes[offset + i]) }
            guard let stated = octal(148, 8), stated == sum else { throw .invalidInput("\(display): a tar header's checksum is wrong (damaged archive)") }
            guard let size = octal(124, 12) else { throw .invalidInput("\(display): a tar header has a malformed size") }
            let type = bytes[offset + 156]
            var name = field(0, 100)
            let prefix = field(345, 155)
            if !prefix.isEmpty { name = prefix + "/" + name }
            let mode = UInt32(octal(100, 8) ?? 0o644)
            let dataStart = offset + 512
            let padded = Int((size + 511) / 512 * 512)
            guard dataStart + Int(size) <= bytes.count else { throw .invalidInput("\(display): truncated (a member runs past the end)") }
            let body = tar[dataStart..<(dataStart + Int(size))]
            offset = dataStart + padded
            switch type {
            case UInt8(ascii: "x"):
                paxPath = Self.paxPath(Data(body))
                continue
            case UInt8(ascii: "g"):
                continue
            case UInt8(ascii: "L"):
                paxPath = String(decoding: body.prefix(while: { $0 != 0 }), as: UTF8.self)
                continue
            default:
                break
            }
            if let long = paxPath { name = long }
            paxPath = nil
            let kind: Member.Kind
            switch type {
            case UInt8(ascii: "0"), 0: kind = .file
            case UInt8(ascii: "5"): kind = .directory
            case UInt8(ascii: "1"), UInt8(ascii: "2"):
                throw .invalidInput("\(display): refusing member \"\(name)\": links are not allowed")
            default:
                throw .invalidInput("\(display): refusing member \"\(name)\": only regular files and directories are allowed")
            }
            let path = try check(name, display: display, seen: &seen, count: members.count + 1)
            guard size <= limits.maxEntrySize else { throw .invalidInput("\(display): member \(path) is over the \(limits.maxEntrySize)-byte limit") }
            total += size
            guard total <= limits.maxTotalSize else { throw .invalidInput("\(display): over the \(limits.maxTotalSize)-byte total limit") }
            let member = Member(path: path, kind: kind, mode: mode & 0o777, size: size)
            members.append(member)
            try visit(member, Data(body))
        }
        return members
    }

    static func paxPath(_ records: Data) -> String? {
        let text = String(decoding: records, as: UTF8.self)
        for record in text.split(separator: "\n") {
            guard let space = record.firstIndex(of: " ") else { continue }
            let pair = record[record.index(after: space)...]
            if pair.hasPrefix("path=") { return String(pair.dropFirst(5)) }
        }
        return nil
    }

    private func readZip(_ data: Data, display: String, visit: (Member, Data) throws(HallmarkError) -> Void) throws(HallmarkError) -> [Member] {
        let bytes = [UInt8](data)
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt64 { UInt64(bytes[at]) | UInt64(bytes[at + 1]) << 8 | UInt64(bytes[at + 2]) << 16 | UInt64(bytes[at + 3]) << 24 }
        // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
        var eocd = -1
        var i = bytes.count - 22
        while i >= max(0, bytes.count - 65_557) {
            if u32(i) == 0x0605_4b50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw .invalidInput("\(display): not a zip archive (no end of central directory)") }
        let count = u16(eocd + 10)
        let cdSize = Int(u32(eocd + 12))
        let cdOffset = Int(u32(eocd + 16))
        guard count <= limits.maxEntries else { throw .invalidInput("\(display): more than \(limits.maxEntries) members") }
        guard cdOffset + cdSize <= eocd else { throw .invalidInput("\(display): the central directory is out of bounds (damaged archive)") }
        var members: [Member] = []
        var seen = Set<String>()
        var total: UInt64 = 0
        var p = cdOffset
        for _ in 0..<count {
            guard p + 46 <= bytes.count, u32(p) == 0x0201_4b50 else { throw .invalidInput("\(display): a central directory record is damaged") }
            let flags = u16(p + 8)
            let method = u16(p + 10)
            let crc = u32(p + 16)
            let compressed = u32(p + 20)
            let size = u32(p + 24)
            let nameLength = u16(p + 28)
            let extraLength = u16(p + 30)
            let commentLength = u16(p + 32)
            let external = u32(p + 38)
            let localOffset = Int(u32(p + 42))
            guard p + 46 + nameLength <= bytes.count else { throw .invalidInput("\(display): a central directory record is damaged") }
            let name = String(decoding: bytes[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            p += 46 + nameLength + extraLength + commentLength
            guard flags & 0x1 == 0 else { throw .invalidInput("\(display): member \(name) is encrypted") }
            let unixMode = UInt32(external >> 16)
            let fileType = unixMode & 0o170000
            if fileType == 0o120000 { throw .invalidInput("\(display): refusing member \"\(name)\": symbolic links are not allowed") }
            let isDirectory = name.hasSuffix("/") || fileType == 0o040000
            guard fileType == 0 || fileType == 0o100000 || fileType == 0o040000 else {
                throw .invalidInput("\(display): refusing member \"\(name)\": only regular files and directories are allowed")
            }
            let path = try check(name, display: display, seen: &seen, count: members.count + 1)
            guard size <= limits.maxEntrySize else { throw .invalidInput("\(display): member \(path) is over the \(limits.maxEntrySize)-byte limit") }
            guard size <= max(max(compressed, 1) * limits.maxRatio, limits.ratioFloor) else {
                throw .invalidInput("\(display): member \(path) expands \(size / max(compressed, 1))-fold (a zip bomb)")
            }
            total += size
            guard total <= limits.maxTotalSize else { throw .invalidInput("\(display): over the \(limits.maxTotalSize)-byte total limit") }
            guard localOffset + 30 <= bytes.count, u32(localOffset) == 0x0403_4b50 else { throw .invalidInput("\(display): member \(path)'s local header is damaged") }
            let start = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28)
            guard start + Int(compressed) <= bytes.count else { throw .invalidInput("\(display): truncated (member \(path) runs past the end)") }
            let raw = data[start..<(start + Int(compressed))]
            var body = Data()
            if !isDirectory {
                switch method {
                case 0: body = Data(raw)
                case 8: body = try Inflater.inflate(Data(raw), gzip: false, cap: size, display: display, capMessage: "member \(path) inflates past its stated size")
                default: throw .invalidInput("\(display): member \(path) uses compression method \(method); only stored and deflate are read")
                }
                guard UInt64(body.count) == size else { throw .invalidInput("\(display): member \(path) has the wrong size (damaged archive)") }
                var check = CRC32()
                body.withUnsafeBytes { check.update($0) }
                guard UInt64(check.value) == crc else { throw .invalidInput("\(display): member \(path) fails its CRC-32 (damaged archive)") }
            }
            let mode = unixMode & 0o777 == 0 ? (isDirectory ? 0o755 : 0o644) : unixMode & 0o777
            let member = Member(path: path, kind: isDirectory ? .directory : .file, mode: mode, size: size)
            members.append(member)
            try visit(member, body)
        }
        return members
    }
}

/// zlib inflate with an output cap.
enum Inflater {
    static func inflate(_ input: Data, gzip: Bool, cap: UInt64, display: String, capMessage: String) throws(HallmarkError) -> Data {
        var stream = z_stream()
        guard inflateInit2_(&stream, gzip ? 15 + 32 : -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .io("\(display): cannot start zlib")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        var failure: HallmarkError?
        input.withUnsafeBytes { raw in
            stream.next_in = UnsafeMutablePointer(mutating: raw.bindMemory(to: UInt8.self).baseAddress)
            stream.avail_in = UInt32(raw.count)
            while true {
                let status: Int32 = buffer.withUnsafeMutableBytes { out in
                    stream.next_out = out.bindMemory(to: UInt8.self).baseAddress
                    stream.avail_out = UInt32(chunk)
                    return CSystemZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk - Int(stream.avail_out)
                output.append(contentsOf: buffer[0..<produced])
                if UInt64(output.count) > cap {
                    failure = .invalidInput("\(display): \(capMessage)")
                    return
                }
                if status == Z_STREAM_END { return }
                if status != Z_OK {
                    failure = .invalidInput("\(display): damaged compressed data (zlib error \(status))")
                    return
                }
                if stream.avail_in == 0 && produced == 0 {
                    failure = .invalidInput("\(display): truncated compressed data")
                    return
                }
            }
        }
        if let failure { throw failure }
        return output
    }
}
