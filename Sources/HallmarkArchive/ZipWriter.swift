import Foundation
import HallmarkCore

/// Writes a zip archive (APPNOTE 6.3): deflated files, stored directories, Unix modes in the external attributes,
/// one fixed DOS time (UTC; 1980-01-01 at the earliest), no data descriptors. ZIP64 (APPNOTE 4.5.3) only where a
/// value needs it: a member of 4 GiB or more gets a ZIP64 extra field (0x0001) in its local header and central
/// record, a member starting past 4 GiB one in its central record, and an archive with 65535 members or more, or a
/// central directory past or over 4 GiB, the ZIP64 end of central directory record and locator. Smaller archives
/// are byte for byte what they were without ZIP64 support.
struct ZipWriter {
    let level: Int32
    let blockSize: Int
    let parallelism: Int
    let output: OutputFile
    let dosTime: UInt16
    let dosDate: UInt16
    /// Values at or over this are written as ZIP64; 0xFFFFFFFF unless a test forces ZIP64 on small archives.
    let zip64Threshold: UInt64
    private var central: [UInt8] = []
    private var count: UInt64 = 0
    private var deflater: ParallelDeflateStream?

    init(
        modificationTime: Int64, level: Int32, blockSize: Int, parallelism: Int, output: OutputFile,
        zip64Threshold: UInt64 = 0xFFFF_FFFF
    ) {
        self.level = level
        self.blockSize = blockSize
        self.parallelism = parallelism
        self.output = output
        self.zip64Threshold = min(zip64Threshold, 0xFFFF_FFFF)
        (dosTime, dosDate) = Self.dosDateTime(modificationTime)
    }

    static func dosDateTime(_ epoch: Int64) -> (UInt16, UInt16) {
        let earliest: Int64 = 315_532_800  // 1980-01-01T00:00:00Z
        var t = time_t(max(epoch, earliest))
        var parts = tm()
        gmtime_r(&t, &parts)
        let year = min(max(Int(parts.tm_year) + 1900, 1980), 2107)
        let time = UInt16(parts.tm_hour) << 11 | UInt16(parts.tm_min) << 5 | UInt16(parts.tm_sec / 2)
        let date = UInt16(year - 1980) << 9 | UInt16(parts.tm_mon + 1) << 5 | UInt16(parts.tm_mday)
        return (time, date)
    }

    /// A member whose size is known to be under this gets 32-bit sizes in its local header: deflate can grow
    /// incompressible data by a few bytes per 16 KiB block, so the margin below 4 GiB is 16 MiB.
    private static let localSizeLimit: UInt64 = 0xFF00_0000

    /// What the headers of one member say before its data is written.
    private struct Member {
        /// The name as stored (a directory's ends in `/`).
        let name: [UInt8]
        let isDirectory: Bool
        let mode: UInt32
        /// Where its local header starts.
        let headerOffset: UInt64
        /// Whether its local header carries 64-bit sizes (a file that may reach 4 GiB).
        let localZip64: Bool

        /// General purpose flag bit 11 when the name is not ASCII.
        var utf8Flag: UInt16 { name.allSatisfy { $0 < 0x80 } ? 0 : 0x0800 }
        /// Stored (0) for a directory, deflated (8) for a file.
        var method: UInt16 { isDirectory ? 0 : 8 }
    }

    /// What writing one member's data produced.
    private struct Written {
        var crc: UInt32 = 0
        var size: UInt64 = 0
        var compressed: UInt64 = 0
    }

    /// Writes `entry`'s local header and data, patches the header with the CRC and sizes, and keeps its central
    /// record for ``finish()``.
    mutating func append(_ entry: ArchiveEntry) throws(HallmarkError) {
        let name = Array((entry.isDirectory ? entry.path + "/" : entry.path).utf8)
        guard name.count <= 0xFFFF else { throw .invalidInput("\(entry.path): a name over 65535 bytes does not fit a zip header") }
        let headerOffset = output.offset
        let expected: UInt64
        switch entry.content {
        case .directory: expected = 0
        case .data(let data): expected = UInt64(data.count)
        case .file(let source): expected = try regularFileSize(source)
        }
        // The local header has room for 64-bit sizes only if it is written with them, before the data.
        let member = Member(
            name: name, isDirectory: entry.isDirectory, mode: entry.mode, headerOffset: headerOffset,
            localZip64: expected >= min(zip64Threshold, Self.localSizeLimit) && !entry.isDirectory)
        try output.write(localHeader(for: member))
        let written = entry.isDirectory ? Written() : try compress(entry.content)
        guard member.localZip64 || (written.size < 0xFFFF_FFFF && written.compressed < 0xFFFF_FFFF) else {
            throw .io("\(entry.path): grew past 4 GiB while it was being archived")
        }
        try patchLocalHeader(of: member, with: written)
        central.append(contentsOf: centralRecord(for: member, written: written))
        count += 1
    }

    /// The local file header, with the CRC and sizes left at zero to be patched once the data is written.
    private func localHeader(for member: Member) -> [UInt8] {
        var local = Bytes()
        local.u32(0x0403_4b50)
        local.u16(member.localZip64 ? 45 : 20)
        local.u16(member.utf8Flag)
        local.u16(member.method)
        local.u16(dosTime)
        local.u16(dosDate)
        local.u32(0)  // crc, patched below
        local.u32(member.localZip64 ? 0xFFFF_FFFF : 0)  // compressed size
        local.u32(member.localZip64 ? 0xFFFF_FFFF : 0)  // uncompressed size
        local.u16(UInt16(member.name.count))
        local.u16(member.localZip64 ? 20 : 0)
        local.bytes.append(contentsOf: member.name)
        if member.localZip64 {
            local.u16(0x0001)
            local.u16(16)
            local.u64(0)  // uncompressed size, patched below
            local.u64(0)  // compressed size, patched below
        }
        return local.bytes
    }

    /// Deflates `content` into the output with the one reusable deflater, returning its CRC and sizes.
    private mutating func compress(_ content: ArchiveEntry.Content) throws(HallmarkError) -> Written {
        let deflater: ParallelDeflateStream
        if let existing = self.deflater {
            existing.reset()
            deflater = existing
        } else {
            deflater = try ParallelDeflateStream(
                level: level, blockSize: blockSize, parallelism: parallelism, sink: output)
            self.deflater = deflater
        }
        switch content {
        case .data(let data):
            try withBytes(data) { (raw) throws(HallmarkError) in try deflater.compress(raw) }
        case .file(let source):
            try streamFile(source) { (chunk) throws(HallmarkError) in try deflater.compress(chunk) }
        case .directory:
            break
        }
        try deflater.finish()
        return Written(crc: deflater.crc, size: deflater.inputCount, compressed: deflater.outputCount)
    }

    /// Writes the CRC and sizes into the member's local header (into its ZIP64 field when it has one).
    private func patchLocalHeader(of member: Member, with written: Written) throws(HallmarkError) {
        var patch = Bytes()
        patch.u32(written.crc)
        if member.localZip64 {
            try output.patch(patch.bytes, at: member.headerOffset + 14)
            var sizes = Bytes()
            sizes.u64(written.size)
            sizes.u64(written.compressed)
            try output.patch(sizes.bytes, at: member.headerOffset + 30 + UInt64(member.name.count) + 4)
        } else {
            patch.u32(UInt32(written.compressed))
            patch.u32(UInt32(written.size))
            try output.patch(patch.bytes, at: member.headerOffset + 14)
        }
    }

    /// The member's central directory record. Its ZIP64 field holds, in order, only the values its 32-bit fields
    /// cannot.
    private func centralRecord(for member: Member, written: Written) -> [UInt8] {
        let offsetZip64 = member.headerOffset >= zip64Threshold
        var extra = Bytes()
        if member.localZip64 {
            extra.u64(written.size)
            extra.u64(written.compressed)
        }
        if offsetZip64 { extra.u64(member.headerOffset) }
        let zip64 = member.localZip64 || offsetZip64
        var record = Bytes()
        record.u32(0x0201_4b50)
        record.u16(3 << 8 | (zip64 ? 45 : 20))  // made by: Unix, spec 2.0 (4.5 with ZIP64)
        record.u16(zip64 ? 45 : 20)
        record.u16(member.utf8Flag)
        record.u16(member.method)
        record.u16(dosTime)
        record.u16(dosDate)
        record.u32(written.crc)
        record.u32(member.localZip64 ? 0xFFFF_FFFF : UInt32(written.compressed))
        record.u32(member.localZip64 ? 0xFFFF_FFFF : UInt32(written.size))
        record.u16(UInt16(member.name.count))
        record.u16(zip64 ? UInt16(4 + extra.bytes.count) : 0)  // extra
        record.u16(0)  // comment
        record.u16(0)  // disk
        record.u16(0)  // internal attributes
        let fileType: UInt32 = member.isDirectory ? 0o040000 : 0o100000
        record.u32((fileType | member.mode) << 16 | (member.isDirectory ? 0x10 : 0))
        record.u32(offsetZip64 ? 0xFFFF_FFFF : UInt32(member.headerOffset))
        record.bytes.append(contentsOf: member.name)
        if zip64 {
            record.u16(0x0001)
            record.u16(UInt16(extra.bytes.count))
            record.bytes.append(contentsOf: extra.bytes)
        }
        return record.bytes
    }

    mutating func finish() throws(HallmarkError) {
        let start = output.offset
        try output.write(central)
        let size = UInt64(central.count)
        let manyEntries = count >= 0xFFFF
        let farSize = size >= zip64Threshold
        let farStart = start >= zip64Threshold
        if manyEntries || farSize || farStart {
            let recordOffset = output.offset
            var record = Bytes()
            record.u32(0x0606_4b50)
            record.u64(44)  // the size of the rest of this record
            record.u16(3 << 8 | 45)
            record.u16(45)
            record.u32(0)  // this disk
            record.u32(0)  // the disk where the central directory starts
            record.u64(count)
            record.u64(count)
            record.u64(size)
            record.u64(start)
            record.u32(0x0706_4b50)  // locator
            record.u32(0)  // the disk with the ZIP64 record
            record.u64(recordOffset)
            record.u32(1)  // disks
            try output.write(record.bytes)
        }
        var end = Bytes()
        end.u32(0x0605_4b50)
        end.u16(0)
        end.u16(0)
        end.u16(manyEntries ? 0xFFFF : UInt16(count))
        end.u16(manyEntries ? 0xFFFF : UInt16(count))
        end.u32(farSize ? 0xFFFF_FFFF : UInt32(size))
        end.u32(farStart ? 0xFFFF_FFFF : UInt32(start))
        end.u16(0)
        try output.write(end.bytes)
    }
}

/// Little-endian field writer.
struct Bytes {
    var bytes: [UInt8] = []
    mutating func u16(_ value: UInt16) { bytes.append(UInt8(value & 0xFF)); bytes.append(UInt8(value >> 8)) }
    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }
    mutating func u64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8((value >> UInt64(shift)) & 0xFF)) }
    }
}
