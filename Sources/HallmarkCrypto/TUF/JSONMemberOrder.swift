import Foundation
import HallmarkCore

/// The member names of one object inside a JSON document, in the order the document writes them.
///
/// `JSONValue` keeps objects unordered; TUF needs one order: a consistent-snapshot target is fetched as
/// `HASH.NAME` with the first hash its `hashes` object lists. The document must already have parsed as JSON;
/// anything unexpected gives nil.
public enum JSONMemberOrder {
    /// The names of the object reached by following `path` (object member names) from the top.
    public static func keys(in data: Data, at path: [String]) -> [String]? {
        var scanner = Scanner(bytes: Array(data))
        return scanner.keys(at: path[...])
    }

    private struct Scanner {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func keys(at path: ArraySlice<String>) -> [String]? {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { return nil }
            i += 1
            var names: [String] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { return path.isEmpty ? [] : nil }
            while true {
                skipSpace()
                guard let name = string() else { return nil }
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                if let first = path.first, first == name { return keys(at: path.dropFirst()) }
                names.append(name)
                guard skipValue() else { return nil }
                skipSpace()
                guard i < bytes.count else { return nil }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                guard bytes[i] == UInt8(ascii: "}") else { return nil }
                i += 1
                return path.isEmpty ? names : nil
            }
        }

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        /// A string at `i`, decoded (escapes resolved), or nil.
        mutating func string() -> String? {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            var units: [UInt16] = []
            var raw: [UInt8] = []
            func flush() {
                units += String(decoding: raw, as: UTF8.self).utf16
                raw.removeAll()
            }
            while i < bytes.count {
                let b = bytes[i]
                i += 1
                if b == UInt8(ascii: "\"") {
                    flush()
                    return String(decoding: units, as: UTF16.self)
                }
                guard b == UInt8(ascii: "\\") else {
                    raw.append(b)
                    continue
                }
                guard i < bytes.count else { return nil }
                let e = bytes[i]
                i += 1
                flush()
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): units.append(UInt16(e))
                case UInt8(ascii: "b"): units.append(0x08)
                case UInt8(ascii: "f"): units.append(0x0C)
                case UInt8(ascii: "n"): units.append(0x0A)
                case UInt8(ascii: "r"): units.append(0x0D)
                case UInt8(ascii: "t"): units.append(0x09)
                case UInt8(ascii: "u"):
                    guard i + 4 <= bytes.count,
                        let value = JSONValue.hex4(bytes[i..<i + 4]).map({ UInt16($0) })
                    else {
                        return nil
                    }
                    units.append(value)
                    i += 4
                default: return nil
                }
            }
            return nil
        }

        /// Skips one value of any kind.
        mutating func skipValue() -> Bool {
            skipSpace()
            guard i < bytes.count else { return false }
            switch bytes[i] {
            case UInt8(ascii: "\""): return string() != nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while i < bytes.count {
                    switch bytes[i] {
                    case UInt8(ascii: "\""):
                        guard string() != nil else { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 {
                            i += 1
                            return true
                        }
                    default: break
                    }
                    i += 1
                }
                return false
            default:
                while i < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")].contains(bytes[i]) {
                    i += 1
                }
                return true
            }
        }
    }
}
