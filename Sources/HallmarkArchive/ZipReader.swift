import HallmarkCore

/// Reads a zip archive from its central directory (ZIP64 included), checking the whole structure before any member
/// is inflated: every member's local header must agree with its central record, every member's bytes (local header,
/// data, data descriptor) must lie before the central directory without overlapping another's — the "overlapping
/// entries" bomb, where many records share one compressed kernel — and the declared sizes must fit the limits and
/// the ratio to the file's size. Each member is then inflated as a stream, capped at its declared size, and checked
/// against its size and CRC-32. Every offset and size is 64-bit and checked before use.
final class ZipReader {
    private let file: InputFile
    private let limits: ArchiveReader.Limits
    private let buffer: UnsafeMutableRawBufferPointer
    private static let bufferSize = 1 << 20
    private var display: String { file.display }

    init(file: InputFile, limits: ArchiveReader.Limits) {
        self.file = file
        self.limits = limits
        buffer = .allocate(byteCount: Self.bufferSize, alignment: 4096)
    }

    deinit { buffer.deallocate() }

    /// One member as the central directory and its local header describe it.
    struct Entry {
        var name: [UInt8]
        var member: ArchiveReader.Member
        var flags: UInt64
        var method: UInt64
        var crc: UInt64
        var compressed: UInt64
        var size: UInt64
        var localOffset: UInt64
        var usesZip64Sizes: Bool
        var dataStart: UInt64 = 0
        /// The end of everything that belongs to the member: its data and any data descriptor.
        var end: UInt64 = 0
    }

    func read(visit: (ArchiveReader.Member, MemberBody) throws(HallmarkError) -> Void) throws(HallmarkError) -> [ArchiveReader.Checked] {
        var checked: [ArchiveReader.Checked] = []
        for entry in try entries() {
            let subject = "\(display): member \(entry.member.path)"
            var crc = CRC32()
            var produced: UInt64 = 0
            let next: () throws(HallmarkError) -> UnsafeRawBufferPointer?
            if entry.member.kind == .directory || entry.compressed == 0 {
                next = { nil }
            } else if entry.method == 0 {
                var position = entry.dataStart
                next = { () throws(HallmarkError) -> UnsafeRawBufferPointer? in
                    let count = Int(min(entry.size - produced, UInt64(Self.bufferSize)))
                    guard count > 0 else { return nil }
                    let chunk = UnsafeMutableRawBufferPointer(rebasing: self.buffer[0..<count])
                    guard try self.file.read(at: position, into: chunk) == count else {
                        throw .invalidInput("\(self.display): the file shrank while it was read")
                    }
                    position += UInt64(count)
                    produced += UInt64(count)
                    crc.update(UnsafeRawBufferPointer(chunk))
                    return UnsafeRawBufferPointer(chunk)
                }
            } else {
                let stream = try InflateStream(
                    file: file, start: entry.dataStart, end: entry.dataStart + entry.compressed, gzip: false, subject: subject,
                    cap: entry.size, capMessage: "inflates past its stated size (a zip bomb, or a damaged archive)")
                next = { () throws(HallmarkError) -> UnsafeRawBufferPointer? in
                    let n = try stream.read(into: self.buffer)
                    guard n > 0 else { return nil }
                    produced += UInt64(n)
                    let chunk = UnsafeRawBufferPointer(rebasing: self.buffer[0..<n])
                    crc.update(chunk)
                    return chunk
                }
            }
            let body = MemberBody(next: next)
            try visit(entry.member, body)
            try body.drain()
            if entry.member.kind == .file {
                guard produced == entry.size else { throw .invalidInput("\(subject) has the wrong size (damaged archive)") }
                guard UInt64(crc.value) == entry.crc else { throw .invalidInput("\(subject) fails its CRC-32 (damaged archive)") }
            }
            checked.append(.init(member: entry.member, crc: UInt(entry.crc)))
        }
        return checked
    }

    // MARK: Structure

    /// Every member, after every check that needs no inflation.
    func entries() throws(HallmarkError) -> [Entry] {
        let end = try endOfCentralDirectory()
        guard end.count <= UInt64(limits.maxEntries) else { throw .invalidInput("\(display): more than \(limits.maxEntries) members") }
        guard let directoryEnd = checkedEnd(end.offset, end.size), directoryEnd == end.end else {
            throw .invalidInput("\(display): the central directory is out of bounds, or bytes come before the archive (damaged or altered archive)")
        }
        guard end.size >= end.count * 46 else { throw .invalidInput("\(display): the central directory is too small for its records (damaged archive)") }
        var checker = MemberChecker(limits: limits, display: display)
        var entries: [Entry] = []
        var position = end.offset
        for _ in 0..<end.count {
            let (entry, next) = try centralRecord(at: position, directoryEnd: directoryEnd, checker: &checker)
            entries.append(entry)
            position = next
        }
        guard position == directoryEnd else { throw .invalidInput("\(display): the central directory holds bytes no record accounts for (damaged or altered archive)") }
        for index in entries.indices { try readLocalHeader(&entries[index], directoryStart: end.offset) }
        let order = entries.indices.sorted { entries[$0].localOffset < entries[$1].localOffset }
        for (previous, next) in zip(order, order.dropFirst()) where entries[next].localOffset < entries[previous].end {
            throw .invalidInput(
                "\(display): members \(entries[previous].member.path) and \(entries[next].member.path) overlap (a zip bomb made of overlapping entries, or a damaged archive)")
        }
        // The members tile the file from its first byte to the central directory: a local header no central
        // record names, hidden in a gap, is a member for streaming readers (bsdtar from a pipe) only.
        var covered: UInt64 = 0
        for index in order {
            guard entries[index].localOffset == covered else {
                throw .invalidInput(
                    "\(display): \(entries[index].localOffset - min(covered, entries[index].localOffset)) bytes before member \(entries[index].member.path) belong to no member (hidden data, or a damaged archive)")
            }
            covered = entries[index].end
        }
        guard covered == end.offset else {
            throw .invalidInput(
                "\(display): \(end.offset - min(covered, end.offset)) bytes before the central directory belong to no member (hidden data, or a damaged archive)")
        }
        let cap = limits.ratioCap(file.size)
        guard checker.total <= cap else {
            throw .invalidInput("\(display): its members declare \(checker.total) bytes, more than the \(cap) its \(file.size) bytes may expand to (a zip bomb)")
        }
        return entries
    }

    private struct End {
        var count: UInt64
        var size: UInt64
        var offset: UInt64
        /// Where the central directory must end: the ZIP64 end record, or the end record.
        var end: UInt64
    }

    private func endOfCentralDirectory() throws(HallmarkError) -> End {
        guard file.size >= 22 else { throw .invalidInput("\(display): not a zip archive (no end of central directory)") }
        let tailLength = Int(min(file.size, 22 + 0xFFFF))
        let tailStart = file.size - UInt64(tailLength)
        let tail = try file.bytes(at: tailStart, count: tailLength, what: "the end of central directory")
        // The last signature in the file is the record (as unzip and Python's zipfile find it); its comment must
        // run exactly to the end of the file.
        var found = -1
        var index = tailLength - 4
        while index >= 0 {
            if tail.u32(index) == 0x0605_4b50 { found = index; break }
            index -= 1
        }
        guard found >= 0 else { throw .invalidInput("\(display): not a zip archive (no end of central directory)") }
        guard found + 22 <= tailLength, found + 22 + Int(tail.u16(found + 20)) == tailLength else {
            throw .invalidInput("\(display): the end of central directory record is damaged")
        }
        let recordOffset = tailStart + UInt64(found)
        let disk = tail.u16(found + 4), directoryDisk = tail.u16(found + 6)
        let countHere = tail.u16(found + 8), count = tail.u16(found + 10)
        let size = tail.u32(found + 12), offset = tail.u32(found + 16)
        let spansDisks = HallmarkError.invalidInput("\(display): a zip archive split over several disks is not read")
        if recordOffset >= 20 {
            let locator = try file.bytes(at: recordOffset - 20, count: 20, what: "the ZIP64 locator")
            if locator.u32(0) == 0x0706_4b50 {
                guard locator.u32(4) == 0, locator.u32(16) == 1 else { throw spansDisks }
                let z64Offset = locator.u64(8)
                let record = try file.bytes(at: z64Offset, count: 56, what: "the ZIP64 end of central directory")
                guard record.u32(0) == 0x0606_4b50, record.u64(4) >= 44, let z64End = checkedEnd(z64Offset, 12),
                    let recordEnd = checkedEnd(z64End, record.u64(4)), recordEnd == recordOffset - 20
                else { throw .invalidInput("\(display): the ZIP64 end of central directory record is damaged") }
                guard record.u32(16) == 0, record.u32(20) == 0, record.u64(24) == record.u64(32),
                    disk == 0 || disk == 0xFFFF, directoryDisk == 0 || directoryDisk == 0xFFFF
                else { throw spansDisks }
                let z64 = End(count: record.u64(32), size: record.u64(40), offset: record.u64(48), end: z64Offset)
                // The 32-bit fields either say "see the ZIP64 record" or agree with it.
                guard count == 0xFFFF || count == z64.count, countHere == 0xFFFF || countHere == z64.count,
                    size == 0xFFFF_FFFF || size == z64.size, offset == 0xFFFF_FFFF || offset == z64.offset
                else { throw .invalidInput("\(display): the end of central directory and its ZIP64 record disagree (damaged or crafted archive)") }
                return z64
            }
        }
        guard disk == 0, directoryDisk == 0, countHere == count else { throw spansDisks }
        guard count != 0xFFFF, size != 0xFFFF_FFFF, offset != 0xFFFF_FFFF else {
            throw .invalidInput("\(display): the end of central directory points to a ZIP64 record that is not there (damaged archive)")
        }
        return End(count: count, size: size, offset: offset, end: recordOffset)
    }

    /// One central directory record at `position`, checked; returns it and where the next one starts.
    private func centralRecord(
        at position: UInt64, directoryEnd: UInt64, checker: inout MemberChecker
    ) throws(HallmarkError) -> (Entry, UInt64) {
        let damaged = HallmarkError.invalidInput("\(display): a central directory record is damaged")
        guard position <= directoryEnd, directoryEnd - position >= 46 else { throw damaged }
        let fixed = try file.bytes(at: position, count: 46, what: "the central directory")
        guard fixed.u32(0) == 0x0201_4b50 else { throw damaged }
        let nameLength = Int(fixed.u16(28)), extraLength = Int(fixed.u16(30)), commentLength = Int(fixed.u16(32))
        let recordEnd = position + 46 + UInt64(nameLength + extraLength + commentLength)
        guard recordEnd <= directoryEnd else { throw damaged }
        let variable = try file.bytes(at: position + 46, count: nameLength + extraLength, what: "the central directory")
        let name = Array(variable[0..<nameLength])
        let shown = String(decoding: name, as: UTF8.self)
        let fields = try extraFields(Array(variable[nameLength...]), of: shown)
        let flags = fixed.u16(8), method = fixed.u16(10), crc = fixed.u32(16), external = fixed.u32(38)
        var compressed = fixed.u32(20), size = fixed.u32(24), disk = fixed.u16(34), localOffset = fixed.u32(42)
        let usesZip64Sizes = size == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF
        if usesZip64Sizes || localOffset == 0xFFFF_FFFF || disk == 0xFFFF {
            // The ZIP64 extra field holds, in this order, only the fields whose 32-bit value is all ones.
            guard let z64 = fields[0x0001] else {
                throw .invalidInput("\(display): member \"\(shown)\" lacks the ZIP64 field its sizes point to (damaged archive)")
            }
            var cursor = 0
            func next(_ width: Int) throws(HallmarkError) -> UInt64 {
                guard cursor + width <= z64.count else {
                    throw .invalidInput("\(display): member \"\(shown)\" has a short ZIP64 field (damaged archive)")
                }
                defer { cursor += width }
                return width == 8 ? z64.u64(cursor) : z64.u32(cursor)
            }
            if size == 0xFFFF_FFFF { size = try next(8) }
            if compressed == 0xFFFF_FFFF { compressed = try next(8) }
            if localOffset == 0xFFFF_FFFF { localOffset = try next(8) }
            if disk == 0xFFFF { disk = try next(4) }
        }
        guard disk == 0 else { throw .invalidInput("\(display): a zip archive split over several disks is not read") }
        guard flags & 0x1 == 0, flags & 0x40 == 0, flags & 0x2000 == 0 else { throw .invalidInput("\(display): member \(shown) is encrypted") }
        if flags & 0x800 == 0 && name.contains(where: { $0 >= 0x80 }) {
            throw .invalidInput("\(display): refusing member \"\(shown)\": a non-ASCII name without the UTF-8 flag (tools would read it differently)")
        }
        try checkUnicodePath(fields, name: name, shown: shown)
        let unixMode = UInt32(external >> 16)
        let fileType = unixMode & 0o170000
        if fileType == 0o120000 { throw .invalidInput("\(display): refusing member \"\(shown)\": symbolic links are not allowed") }
        guard fileType == 0 || fileType == 0o100000 || fileType == 0o040000 else {
            throw .invalidInput("\(display): refusing member \"\(shown)\": only regular files and directories are allowed")
        }
        if (fileType == 0o040000 || external & 0x10 != 0) && name.last != UInt8(ascii: "/") {
            throw .invalidInput("\(display): refusing member \"\(shown)\": a directory mode or attribute without a trailing '/' (unzip makes a file of it, bsdtar a directory)")
        }
        let isDirectory = name.last == UInt8(ascii: "/")
        let mode = unixMode & 0o777 == 0 ? (isDirectory ? 0o755 : 0o644) : unixMode & 0o777
        let member = try checker.admit(name, kind: isDirectory ? .directory : .file, size: size, mode: mode)
        if !isDirectory {
            guard method == 0 || method == 8 else {
                throw .invalidInput("\(display): member \(member.path) uses compression method \(method); only stored and deflate are read")
            }
            guard size <= limits.ratioCap(compressed) else {
                throw .invalidInput("\(display): member \(member.path) expands \(size / max(compressed, 1))-fold (a zip bomb)")
            }
            // A stored member's end can only be found by scanning for a descriptor inside its data, which a
            // streaming reader does and may be fooled into finding another member there: refused.
            guard method == 8 || flags & 0x8 == 0 else {
                throw .invalidInput("\(display): refusing member \(member.path): stored with a data descriptor (streaming readers would look for its end inside its data)")
            }
            guard method == 8 || compressed == size else {
                throw .invalidInput("\(display): member \(member.path) is stored with two different sizes (damaged archive)")
            }
            guard compressed > 0 || size == 0 else { throw .invalidInput("\(display): member \(member.path) has the wrong size (damaged archive)") }
        }
        let entry = Entry(
            name: name, member: member, flags: flags, method: method, crc: crc, compressed: compressed, size: size,
            localOffset: localOffset, usesZip64Sizes: usesZip64Sizes)
        return (entry, recordEnd)
    }

    /// Reads a member's local header (and data descriptor), which must agree with its central record, and sets
    /// where its data starts and where everything that belongs to it ends.
    private func readLocalHeader(_ entry: inout Entry, directoryStart: UInt64) throws(HallmarkError) {
        let path = entry.member.path
        let local = try file.bytes(at: entry.localOffset, count: 30, what: "member \(path)'s local header")
        guard local.u32(0) == 0x0403_4b50 else { throw .invalidInput("\(display): member \(path)'s local header is damaged") }
        let disagree = HallmarkError.invalidInput(
            "\(display): member \(path)'s local header disagrees with the central directory (tools would read different files)")
        let flags = local.u16(6), method = local.u16(8)
        let nameLength = Int(local.u16(26)), extraLength = Int(local.u16(28))
        let variable = try file.bytes(at: entry.localOffset + 30, count: nameLength + extraLength, what: "member \(path)'s local header")
        // Encryption, data descriptor and UTF-8 name flags must agree (unzip reads the local UTF-8 flag).
        guard Array(variable[0..<nameLength]) == entry.name, method == entry.method, flags & 0x809 == entry.flags & 0x809 else { throw disagree }
        entry.dataStart = entry.localOffset + 30 + UInt64(nameLength + extraLength)
        guard let dataEnd = checkedEnd(entry.dataStart, entry.compressed), dataEnd <= directoryStart else {
            throw .invalidInput("\(display): member \(path) runs into the central directory or past the end (truncated or damaged archive)")
        }
        let fields = try extraFields(Array(variable[nameLength...]), of: path)
        try checkUnicodePath(fields, name: entry.name, shown: path)
        if flags & 0x8 == 0 {
            var size = local.u32(22), compressed = local.u32(18)
            if size == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF {
                // A local ZIP64 field carries both sizes.
                guard let z64 = fields[0x0001], z64.count >= 16 else { throw disagree }
                size = z64.u64(0)
                compressed = z64.u64(8)
            }
            guard local.u32(14) == entry.crc, size == entry.size, compressed == entry.compressed else { throw disagree }
            entry.end = dataEnd
        } else {
            // A data descriptor follows the data: an optional signature, the CRC-32, then both sizes (64-bit in ZIP64).
            let available = Int(min(24, directoryStart - dataEnd))
            let descriptor = try file.bytes(at: dataEnd, count: available, what: "member \(path)'s data descriptor")
            let start = available >= 4 && descriptor.u32(0) == 0x0807_4b50 ? 4 : 0
            let wide = entry.usesZip64Sizes || fields[0x0001] != nil
            let length = start + (wide ? 20 : 12)
            guard available >= length else { throw disagree }
            let crc = descriptor.u32(start)
            let compressed = wide ? descriptor.u64(start + 4) : descriptor.u32(start + 4)
            let size = wide ? descriptor.u64(start + 12) : descriptor.u32(start + 8)
            guard crc == entry.crc, compressed == entry.compressed, size == entry.size else { throw disagree }
            entry.end = dataEnd + UInt64(length)
        }
    }

    /// The extra fields by header id. Refused, since tools would read the member differently: the same id twice
    /// (unzip and libarchive take the last, a reader keeping the first sees another name), and fields that make
    /// a member a link or change its type for some tools only (libarchive's `xl` 0x6c78, the ASi Unix 0x756e and
    /// PKWARE Unix 0x000d fields, which carry link targets). Id 0 is padding and is skipped; parsing stops at a
    /// field that runs past the end.
    func extraFields(_ extra: [UInt8], of shown: String) throws(HallmarkError) -> [UInt64: [UInt8]] {
        var fields: [UInt64: [UInt8]] = [:]
        var index = 0
        while index + 4 <= extra.count {
            let id = extra.u16(index), length = Int(extra.u16(index + 2))
            guard index + 4 + length <= extra.count else { break }
            defer { index += 4 + length }
            if id == 0 { continue }
            guard ![0x6c78, 0x756e, 0x000d].contains(id) else {
                throw .invalidInput(
                    "\(display): refusing member \"\(shown)\": an extra field (0x\(String(id, radix: 16))) that makes it a link or another type for some tools")
            }
            guard fields[id] == nil else {
                throw .invalidInput(
                    "\(display): refusing member \"\(shown)\": two extra fields with id 0x\(String(id, radix: 16)) (tools would read it differently)")
            }
            fields[id] = Array(extra[(index + 4)..<(index + 4 + length)])
        }
        return fields
    }

    /// An Info-ZIP Unicode Path field (0x7075), when there is one, must name the member as its header does.
    func checkUnicodePath(_ fields: [UInt64: [UInt8]], name: [UInt8], shown: String) throws(HallmarkError) {
        if let unicode = fields[0x7075], unicode.count < 5 || Array(unicode[5...]) != name {
            throw .invalidInput("\(display): refusing member \"\(shown)\": its Unicode path field names another file (tools would read it differently)")
        }
    }
}
