import CSystemZlib
import HallmarkCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a gzip-compressed tar stream header by header, as GNU tar does: ustar names with their prefix, pax `x`
/// records for `path` and `size` (and `linkpath`, to name a refused link), GNU long names (`L`). What would make two
/// readers see different members — a global pax header that sets a path or size, two extended headers for one
/// member, sparse or multi-volume records, names that are not UTF-8, a directory with contents, data after the
/// end-of-archive blocks — is refused rather than guessed at.
final class TarReader {
    private let file: InputFile
    private let limits: ArchiveReader.Limits
    private let source: InflateStream
    /// The most the whole stream may decompress to: the total limit, or the ratio limit for this file's size.
    private let cap: UInt64
    private var checker: MemberChecker
    private let buffer: UnsafeMutableRawBufferPointer
    private static let bufferSize = 1 << 20
    private var display: String { file.display }

    init(file: InputFile, limits: ArchiveReader.Limits) throws(HallmarkError) {
        self.file = file
        self.limits = limits
        let cap = min(limits.maxTotalSize, limits.ratioCap(file.size))
        self.cap = cap
        source = try InflateStream(
            file: file, start: 0, end: file.size, gzip: true, subject: file.display, cap: cap,
            capMessage: "decompresses to more than \(cap) bytes (a compression bomb, or over the size limit)")
        checker = MemberChecker(limits: limits, display: file.display)
        buffer = .allocate(byteCount: Self.bufferSize, alignment: 4096)
    }

    deinit { buffer.deallocate() }

    /// Extended headers waiting for the member they describe.
    private struct Pending {
        var pax: [String: [UInt8]]?
        var longName: [UInt8]?
        var isEmpty: Bool { pax == nil && longName == nil }
    }

    /// Reads every member, handing each file or directory to `visit` with its body, and returns them checked.
    func read(visit: (ArchiveReader.Member, MemberBody) throws(HallmarkError) -> Void) throws(HallmarkError) -> [ArchiveReader.Checked] {
        var checked: [ArchiveReader.Checked] = []
        var pending = Pending()
        while true {
            guard let block = try readBlock(atHeader: true) else {
                guard pending.isEmpty else { throw .invalidInput("\(display): truncated (an extended header with no member after it)") }
                break
            }
            if block.allSatisfy({ $0 == 0 }) {
                guard pending.isEmpty else { throw .invalidInput("\(display): truncated (an extended header with no member after it)") }
                try drainEnd()
                break
            }
            let header = try TarHeader(block, display: display)
            if try readExtendedHeader(header, into: &pending) { continue }
            let (name, size, linkTarget) = try Self.fields(of: header, extendedBy: pending, display: display)
            pending = Pending()
            let kind = try Self.kind(of: header, name: name, linkTarget: linkTarget, display: display)
            if kind == .directory, size == 0, MemberChecker.isArchiveRoot(name) {
                continue  // the top directory itself (`./`): it is the destination, nothing to make
            }
            let member = try checker.admit(name, kind: kind, size: size, mode: header.mode)
            guard checker.total <= cap else {
                throw .invalidInput("\(display): its members declare \(checker.total) bytes, more than the \(cap) its \(file.size) bytes may decompress to (a compression bomb, or over the size limit)")
            }
            checked.append(try readBody(of: member, size: size, visit: visit))
        }
        return checked
    }

    /// Reads the body of `header` into `pending` when it is an extended header (pax `x`, GNU `L`) or checks it
    /// when it is a global pax header (`g`); returns whether it was one of those. A second extended header for
    /// one member, and a global header that changes members, are refused.
    private func readExtendedHeader(_ header: TarHeader, into pending: inout Pending) throws(HallmarkError) -> Bool {
        switch header.type {
        case UInt8(ascii: "x"):
            guard pending.isEmpty else { throw .invalidInput("\(display): two extended headers for one member (tools disagree on which wins)") }
            pending.pax = try Self.paxRecords(try readSmallBody(header.size, what: "a pax header"), display: display)
            return true
        case UInt8(ascii: "g"):
            let records = try Self.paxRecords(try readSmallBody(header.size, what: "a global pax header"), display: display)
            if let key = records.keys.sorted().first(where: Self.changesMembers) {
                throw .invalidInput("\(display): a global pax header sets \(key) for every member after it; refusing it")
            }
            return true
        case UInt8(ascii: "L"):
            guard pending.isEmpty else { throw .invalidInput("\(display): two extended headers for one member (tools disagree on which wins)") }
            let data = try readSmallBody(header.size, what: "a GNU long name")
            pending.longName = Array(data.prefix(while: { $0 != 0 }))
            return true
        default:
            return false
        }
    }

    /// The member's name, size and link target: the header's, as the pending GNU long name and pax `path`,
    /// `size` and `linkpath` records replace them. Sparse and multi-volume records, an empty path and a malformed
    /// size are refused.
    private static func fields(
        of header: TarHeader, extendedBy pending: Pending, display: String
    ) throws(HallmarkError) -> (name: [UInt8], size: UInt64, linkTarget: [UInt8]) {
        var name = header.name
        var size = header.size
        var linkTarget = header.linkName
        if let long = pending.longName { name = long }
        if let pax = pending.pax {
            if let key = pax.keys.sorted().first(where: { $0.hasPrefix("GNU.sparse.") || $0.hasPrefix("GNU.volume.") }) {
                throw .invalidInput("\(display): refusing member \"\(MemberChecker.abbreviated(String(decoding: name, as: UTF8.self)))\": pax record \(key) (sparse and multi-volume members are not read)")
            }
            if let path = pax["path"] {
                guard !path.isEmpty else { throw .invalidInput("\(display): an empty pax path record") }
                name = path
            }
            if let text = pax["size"] {
                guard let parsed = Self.decimal(text) else {
                    throw .invalidInput("\(display): refusing member \"\(MemberChecker.abbreviated(String(decoding: name, as: UTF8.self)))\": malformed pax size \"\(MemberChecker.abbreviated(String(decoding: text, as: UTF8.self)))\"")
                }
                size = parsed
            }
            if let link = pax["linkpath"] { linkTarget = link }
        }
        return (name, size, linkTarget)
    }

    /// A regular file or a directory; links and every other type are refused.
    private static func kind(
        of header: TarHeader, name: [UInt8], linkTarget: [UInt8], display: String
    ) throws(HallmarkError) -> ArchiveReader.Member.Kind {
        let shown = MemberChecker.abbreviated(String(decoding: name, as: UTF8.self))
        switch header.type {
        case UInt8(ascii: "0"), 0, UInt8(ascii: "7"): return .file
        case UInt8(ascii: "5"): return .directory
        case UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "K"):
            let target = MemberChecker.abbreviated(String(decoding: linkTarget, as: UTF8.self))
            throw .invalidInput("\(display): refusing member \"\(shown)\": links are not allowed\(target.isEmpty ? "" : " (to \(target))")")
        default:
            throw .invalidInput("\(display): refusing member \"\(shown)\": only regular files and directories are allowed")
        }
    }

    /// Hands the member's `size` bytes to `visit` as they are read (reading whatever it leaves), skips the padding
    /// after them, and returns the member with the CRC-32 of its body.
    private func readBody(
        of member: ArchiveReader.Member, size: UInt64, visit: (ArchiveReader.Member, MemberBody) throws(HallmarkError) -> Void
    ) throws(HallmarkError) -> ArchiveReader.Checked {
        var crc = CRC32()
        var remaining = size
        let body = MemberBody { () throws(HallmarkError) -> UnsafeRawBufferPointer? in
            guard remaining > 0 else { return nil }
            let chunk = try self.readChunk(Int(min(remaining, UInt64(Self.bufferSize))))
            remaining -= UInt64(chunk.count)
            crc.update(chunk)
            return chunk
        }
        try visit(member, body)
        try body.drain()
        try skipPadding(after: size)
        return .init(member: member, crc: crc.value)
    }

    /// pax keywords that change a member's name, size or kind: not allowed in a global header.
    static func changesMembers(_ key: String) -> Bool {
        ["path", "size", "linkpath"].contains(key) || key.hasPrefix("GNU.sparse.") || key.hasPrefix("GNU.volume.")
    }

    // MARK: Blocks

    /// The next 512-byte block, or nil at a clean end of the stream (only where a header would start).
    private func readBlock(atHeader: Bool) throws(HallmarkError) -> [UInt8]? {
        var filled = 0
        while filled < 512 {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<512]))
            if n == 0 { break }
            filled += n
        }
        if filled == 0 && atHeader { return nil }
        guard filled == 512 else { throw .invalidInput("\(display): truncated (the archive ends inside a block)") }
        return Array(UnsafeRawBufferPointer(rebasing: buffer[0..<512]))
    }

    /// Exactly `count` bytes (at most the buffer's size) of a member's body.
    private func readChunk(_ count: Int) throws(HallmarkError) -> UnsafeRawBufferPointer {
        var filled = 0
        while filled < count {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<count]))
            guard n > 0 else { throw .invalidInput("\(display): truncated (a member runs past the end)") }
            filled += n
        }
        return UnsafeRawBufferPointer(rebasing: buffer[0..<count])
    }

    private func skipPadding(after size: UInt64) throws(HallmarkError) {
        let padding = Int((512 - size % 512) % 512)
        if padding > 0 { _ = try readChunk(padding) }
    }

    /// The body of an extended header, read whole (they are small).
    private func readSmallBody(_ size: UInt64, what: String) throws(HallmarkError) -> [UInt8] {
        guard size <= 1 << 20 else { throw .invalidInput("\(display): \(what) of \(size) bytes is over the 1 MiB limit") }
        let data = Array(try readChunk(Int(size)))
        try skipPadding(after: size)
        return data
    }

    /// After the first zero block: the rest of the stream must be zeros (GNU tar stops here; another tool reading on
    /// would see members Hallmark never checked).
    private func drainEnd() throws(HallmarkError) {
        let zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
        defer { zeros.deallocate() }
        zeros.initializeMemory(as: UInt8.self, repeating: 0)
        while true {
            let n = try source.read(into: buffer)
            if n == 0 { return }
            guard memcmp(buffer.baseAddress!, zeros.baseAddress!, n) == 0 else {
                throw .invalidInput("\(display): data after the end-of-archive blocks (hidden members)")
            }
        }
    }

    // MARK: pax

    /// The records of a pax extended header: "LEN key=value\n" each, LEN counting the whole record; later
    /// records for a key win, as in GNU tar and Python's tarfile.
    static func paxRecords(_ data: [UInt8], display: String) throws(HallmarkError) -> [String: [UInt8]] {
        var records: [String: [UInt8]] = [:]
        var offset = 0
        let malformed = HallmarkError.invalidInput("\(display): a malformed pax extended header")
        while offset < data.count {
            var cursor = offset
            var length = 0
            while cursor < data.count, let digit = Self.digit(data[cursor]) {
                length = length * 10 + digit
                guard length <= data.count else { throw malformed }
                cursor += 1
            }
            guard cursor > offset, cursor < data.count, data[cursor] == UInt8(ascii: " "), length > cursor - offset + 1,
                offset + length <= data.count, data[offset + length - 1] == UInt8(ascii: "\n")
            else { throw malformed }
            let pair = data[(cursor + 1)..<(offset + length - 1)]
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")), equals > pair.startIndex,
                let key = String(validating: pair[pair.startIndex..<equals], as: UTF8.self)
            else { throw malformed }
            records[key] = Array(pair[(equals + 1)...])
            offset += length
        }
        return records
    }

    static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }

    /// A non-negative decimal number, as pax writes sizes; nil when it is anything else or does not fit 63 bits.
    static func decimal(_ text: [UInt8]) -> UInt64? {
        guard !text.isEmpty, text.count <= 19 else { return nil }
        var value: UInt64 = 0
        for byte in text {
            guard let digit = digit(byte) else { return nil }
            value = value * 10 + UInt64(digit)
        }
        return value <= UInt64(Int64.max) ? value : nil
    }
}

/// One 512-byte tar header, decoded and checked as GNU tar decodes it.
struct TarHeader {
    var name: [UInt8]
    var linkName: [UInt8]
    var size: UInt64
    var mode: UInt32
    var type: UInt8

    init(_ block: [UInt8], display: String) throws(HallmarkError) {
        // The checksum guards against reading garbage as a member; GNU tar accepts the sum of the bytes as unsigned
        // or as signed chars.
        var unsigned: Int64 = 0
        var signed: Int64 = 0
        for (i, byte) in block.enumerated() {
            let value = (148..<156).contains(i) ? UInt8(ascii: " ") : byte
            unsigned += Int64(value)
            signed += Int64(Int8(bitPattern: value))
        }
        guard let stated = Self.number(block[148..<156]), stated == unsigned || Int64(bitPattern: stated) == signed else {
            throw .invalidInput("\(display): a tar header's checksum is wrong (damaged archive)")
        }
        type = block[156]
        name = Self.string(block[0..<100])
        linkName = Self.string(block[157..<257])
        let prefix = Self.string(block[345..<500])
        if !prefix.isEmpty {
            // GNU tar joins the prefix only under POSIX magic (`ustar\0`, version `00`), Python's tarfile under
            // any magic: anything else with bytes there is read as two different names.
            guard Array(block[257..<263]) == Array("ustar\0".utf8), Array(block[263..<265]) == Array("00".utf8) else {
                throw .invalidInput("\(display): a tar header with a name prefix but no POSIX ustar magic (tools disagree on its name)")
            }
            name = prefix + [UInt8(ascii: "/")] + name
        }
        let shown = MemberChecker.abbreviated(String(decoding: name, as: UTF8.self))
        guard let size = Self.number(block[124..<136]) else {
            throw .invalidInput("\(display): refusing member \"\(shown)\": a malformed size in its tar header")
        }
        guard let mode = Self.number(block[100..<108]), mode <= 0o7777777 else {
            throw .invalidInput("\(display): refusing member \"\(shown)\": a malformed mode in its tar header")
        }
        self.size = size
        self.mode = UInt32(mode & 0o7777)
    }

    /// A NUL-terminated field.
    static func string(_ field: ArraySlice<UInt8>) -> [UInt8] { Array(field.prefix(while: { $0 != 0 })) }

    /// A numeric field: octal digits after optional spaces, ended by a space or NUL (or the field's end), or GNU's
    /// base-256 form for large positive values. Nil for anything else, empty or negative fields included.
    static func number(_ field: ArraySlice<UInt8>) -> UInt64? {
        guard let first = field.first else { return nil }
        if first & 0x80 != 0 {
            guard first == 0x80 else { return nil }
            var value: UInt64 = 0
            for byte in field.dropFirst() {
                guard value >> 55 == 0 else { return nil }
                value = value << 8 | UInt64(byte)
            }
            return value <= UInt64(Int64.max) ? value : nil
        }
        var index = field.startIndex
        while index < field.endIndex && field[index] == UInt8(ascii: " ") { index += 1 }
        var value: UInt64 = 0
        var digits = 0
        while index < field.endIndex, field[index] >= UInt8(ascii: "0"), field[index] <= UInt8(ascii: "7") {
            guard value >> 60 == 0 else { return nil }
            value = value << 3 | UInt64(field[index] - UInt8(ascii: "0"))
            digits += 1
            index += 1
        }
        guard digits > 0 else { return nil }
        while index < field.endIndex {
            guard field[index] == 0 || field[index] == UInt8(ascii: " ") else { return nil }
            index += 1
        }
        return value
    }
}
