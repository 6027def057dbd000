import Foundation
import HallmarkCore

/// Writes a zip archive (APPNOTE 6.3, no zip64): deflated files, stored directories, Unix modes in the
/// external attributes, one fixed DOS time (UTC; 1980-01-01 at the earliest), no extra fields.
struct ZipWriter {
    let level: Int32
    let output: OutputFile
    let dosTime: UInt16
    let dosDate: UInt16
    private var central: [UInt8] = []
    private var count = 0
    private var deflater: DeflateStream?

    init(modificationTime: Int64, level: Int32, output: OutputFile) {
        self.level = level
        self.output = output
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

    private static let limit: UInt64 = 0xFFFF_FFFE

    mutating func append(_ entry: ArchiveEntry) throws(HallmarkError) {
        let name = Array((entry.isDirectory ? entry.path + "/" : entry.path).utf8)
        let utf8Flag: UInt16 = name.allSatisfy { $0 < 0x80 } ? 0 : 0x0800
        let method: UInt16 = entry.isDirectory ? 0 : 8
        let headerOffset = output.offset
        guard headerOffset < Self.limit else { throw .invalidInput("\(output.path): over 4 GiB; zip64 is not supported, use tar.gz") }

        var local = Bytes()
        local.u32(0x0403_4b50)
        local.u16(20)
        local.u16(utf8Flag)
        local.u16(method)
        local.u16(dosTime)
        local.u16(dosDate)
        local.u32(0)  // crc, patched below
        local.u32(0)  // compressed size
        local.u32(0)  // uncompressed size
        local.u16(UInt16(name.count))
        local.u16(0)
        local.bytes.append(contentsOf: name)
        try output.write(local.bytes)

        var crc = CRC32()
        var size: UInt64 = 0
        var compressed: UInt64 = 0
        if !entry.isDirectory {
            let deflater: DeflateStream
            if let existing = self.deflater {
                existing.reset()
                deflater = existing
            } else {
                deflater = try DeflateStream(level: level, gzip: false, sink: output)
                self.deflater = deflater
            }
            switch entry.content {
            case .data(let data):
                try withBytes(data) { (raw) throws(HallmarkError) in
                    crc.update(raw)
                    try deflater.compress(raw)
                }
                size = UInt64(data.count)
            case .file(let source):
                try streamFile(source) { (chunk) throws(HallmarkError) in
                    crc.update(chunk)
                    size += UInt64(chunk.count)
                    try deflater.compress(chunk)
                }
            case .directory:
                break
            }
            try deflater.finishMember()
            compressed = deflater.compressedCount
        }
        guard size < Self.limit, compressed < Self.limit else {
            throw .invalidInput("\(entry.path): over 4 GiB; zip64 is not supported, use tar.gz")
        }
        var sizes = Bytes()
        sizes.u32(UInt32(crc.value))
        sizes.u32(UInt32(compressed))
        sizes.u32(UInt32(size))
        try output.patch(sizes.bytes, at: headerOffset + 14)

        var record = Bytes()
        record.u32(0x0201_4b50)
        record.u16(3 << 8 | 20)  // made by: Unix, spec 2.0
        record.u16(20)
        record.u16(utf8Flag)
        record.u16(method)
        record.u16(dosTime)
        record.u16(dosDate)
        record.u32(UInt32(crc.value))
        record.u32(UInt32(compressed))
        record.u32(UInt32(size))
        record.u16(UInt16(name.count))
        record.u16(0)  // extra
        record.u16(0)  // comment
        record.u16(0)  // disk
        record.u16(0)  // internal attributes
        let fileType: UInt32 = entry.isDirectory ? 0o040000 : 0o100000
        record.u32((fileType | entry.mode) << 16 | (entry.isDirectory ? 0x10 : 0))
        record.u32(UInt32(headerOffset))
        record.bytes.append(contentsOf: name)
        central.append(contentsOf: record.bytes)
        count += 1
        guard count < 0xFFFF else { throw .invalidInput("\(output.path): too many entries for a zip without zip64") }
    }

    mutating func finish() throws(HallmarkError) {
        let start = output.offset
        try output.write(central)
        var end = Bytes()
        end.u32(0x0605_4b50)
        end.u16(0)
        end.u16(0)
        end.u16(UInt16(count))
        end.u16(UInt16(count))
        end.u32(UInt32(central.count))
        end.u32(UInt32(start))
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
}
