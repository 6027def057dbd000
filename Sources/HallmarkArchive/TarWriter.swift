import Foundation
import HallmarkCore

/// Writes a POSIX ustar stream (pax extended headers for long paths and large files) with fixed metadata:
/// uid/gid 0, empty user and group names, one modification time.
struct TarWriter {
    let modificationTime: Int64
    let emit: (UnsafeRawBufferPointer) throws(HallmarkError) -> Void
    private var written: UInt64 = 0
    /// GNU tar's default record size; archives are padded to a whole record, as tar does.
    static let recordSize: UInt64 = 10240

    init(modificationTime: Int64, emit: @escaping (UnsafeRawBufferPointer) throws(HallmarkError) -> Void) {
        self.modificationTime = modificationTime
        self.emit = emit
    }

    mutating func append(_ entry: ArchiveEntry) throws(HallmarkError) {
        switch entry.content {
        case .directory:
            try writeHeader(path: entry.path + "/", size: 0, mode: entry.mode, type: UInt8(ascii: "5"))
        case .data(let data):
            try writeHeader(path: entry.path, size: UInt64(data.count), mode: entry.mode, type: UInt8(ascii: "0"))
            try withBytes(data) { (raw) throws(HallmarkError) in try output(raw) }
            try pad()
        case .file(let source):
            let size = try regularFileSize(source)
            try writeHeader(path: entry.path, size: size, mode: entry.mode, type: UInt8(ascii: "0"))
            var copied: UInt64 = 0
            try streamFile(source) { (chunk) throws(HallmarkError) in
                copied += UInt64(chunk.count)
                guard copied <= size else { throw .io("\(source): the file grew while it was being archived") }
                try output(chunk)
            }
            guard copied == size else { throw .io("\(source): the file shrank while it was being archived") }
            try pad()
        }
    }

    /// Two zero blocks, then zeros to the end of the record.
    mutating func finish() throws(HallmarkError) {
        let total = written + 1024
        let end = 1024 + (Self.recordSize - total % Self.recordSize) % Self.recordSize
        try output([UInt8](repeating: 0, count: Int(end)))
    }

    private mutating func output(_ bytes: UnsafeRawBufferPointer) throws(HallmarkError) {
        try emit(bytes)
        written += UInt64(bytes.count)
    }

    private mutating func output(_ bytes: [UInt8]) throws(HallmarkError) {
        try withBytes(bytes) { (raw) throws(HallmarkError) in try output(raw) }
    }

    private mutating func pad() throws(HallmarkError) {
        let remainder = Int(written % 512)
        if remainder != 0 { try output([UInt8](repeating: 0, count: 512 - remainder)) }
    }

    private static let maximumOctalSize: UInt64 = 0o77777777777

    private mutating func writeHeader(path: String, size: UInt64, mode: UInt32, type: UInt8) throws(HallmarkError) {
        let bytes = Array(path.utf8)
        var name = bytes
        var prefix: [UInt8] = []
        var pax: [(String, String)] = []
        if bytes.count > 100 {
            // ustar splits at a slash: prefix (≤155) / name (≤100); otherwise a pax header carries the path.
            if let split = Self.ustarSplit(bytes) {
                prefix = Array(bytes[..<split])
                name = Array(bytes[(split + 1)...])
            } else {
                pax.append(("path", path))
                name = Array(bytes.suffix(100))
            }
        }
        if size > Self.maximumOctalSize { pax.append(("size", String(size))) }
        if !pax.isEmpty {
            var records = Data()
            for (key, value) in pax { records.append(Self.paxRecord(key, value)) }
            let paxName = Array("PaxHeaders/".utf8) + Array(name.suffix(89))
            try output(Self.header(
                name: paxName, prefix: [], size: UInt64(records.count), mode: 0o644, type: UInt8(ascii: "x"),
                mtime: modificationTime))
            try withBytes(records) { (raw) throws(HallmarkError) in try output(raw) }
            try pad()
        }
        try output(Self.header(
            name: name, prefix: prefix, size: min(size, Self.maximumOctalSize), mode: mode, type: type, mtime: modificationTime))
    }

    /// A pax record: "LEN key=value\n", where LEN counts the whole record including itself.
    static func paxRecord(_ key: String, _ value: String) -> Data {
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).count + body.utf8.count != length { length = String(length).count + body.utf8.count }
        return Data((String(length) + body).utf8)
    }

    static func ustarSplit(_ bytes: [UInt8]) -> Int? {
        for index in stride(from: min(bytes.count - 1, 155), through: 1, by: -1) where bytes[index] == UInt8(ascii: "/") {
            if bytes.count - index - 1 <= 100 && bytes.count - index - 1 > 0 { return index }
        }
        return nil
    }

    static func header(name: [UInt8], prefix: [UInt8], size: UInt64, mode: UInt32, type: UInt8, mtime: Int64) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int, width: Int) {
            for (i, byte) in bytes.prefix(width).enumerated() { block[offset + i] = byte }
        }
        func octal(_ value: UInt64, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
        }
        put(name, at: 0, width: 100)
        put(octal(UInt64(mode), width: 8), at: 100, width: 8)
        put(octal(0, width: 8), at: 108, width: 8)  // uid
        put(octal(0, width: 8), at: 116, width: 8)  // gid
        put(octal(size, width: 12), at: 124, width: 12)
        put(octal(UInt64(max(0, mtime)), width: 12), at: 136, width: 12)
        put([UInt8](repeating: UInt8(ascii: " "), count: 8), at: 148, width: 8)
        block[156] = type
        put(Array("ustar".utf8) + [0], at: 257, width: 6)
        put(Array("00".utf8), at: 263, width: 2)
        // uname and gname stay empty; devmajor/devminor as GNU tar writes them.
        put(octal(0, width: 8), at: 329, width: 8)
        put(octal(0, width: 8), at: 337, width: 8)
        put(prefix, at: 345, width: 155)
        let sum = block.reduce(0) { $0 + UInt64($1) }
        let digits = String(sum, radix: 8)
        put(Array((String(repeating: "0", count: max(0, 6 - digits.count)) + digits).utf8) + [0, UInt8(ascii: " ")], at: 148, width: 8)
        return block
    }
}
