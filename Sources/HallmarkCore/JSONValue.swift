import Foundation

/// A JSON document as a value: what Hallmark parses strictly and writes deterministically.
///
/// Numbers keep their source text, so a value read and written again keeps its exact digits.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The value for `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The members, when this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The elements, when this is an array.
    /// The value of an integral number that fits in an Int.
    public var intValue: Int? {
        if case .number(let text) = self { return Int(text) }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
}

// MARK: - Parsing

extension JSONValue {
    /// Limits applied while parsing untrusted JSON.
    public struct ParseLimits: Sendable {
        public var maximumBytes: Int
        public var maximumDepth: Int
        public init(maximumBytes: Int = 64 << 20, maximumDepth: Int = 128) {
            self.maximumBytes = maximumBytes
            self.maximumDepth = maximumDepth
        }
    }

    /// Why a document is not acceptable JSON.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var offset: Int
        public var description: String { offset >= 0 ? "\(reason) at byte \(offset)" : reason }
    }

    /// Parses a JSON document strictly: UTF-8 only, no trailing data, no duplicate keys, bounded size and depth.
    public init(parsing data: some DataProtocol, limits: ParseLimits = ParseLimits()) throws(ParseError) {
        guard data.count <= limits.maximumBytes else {
            throw ParseError(reason: "document is \(data.count) bytes, over the \(limits.maximumBytes)-byte limit", offset: -1)
        }
        let bytes = [UInt8](data)
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw ParseError(reason: "not valid UTF-8", offset: -1)
        }
        var parser = Parser(bytes: bytes, maximumDepth: limits.maximumDepth)
        self = try parser.parseDocument()
    }

    private struct Parser {
        let bytes: [UInt8]
        let maximumDepth: Int
        var index = 0

        init(bytes: [UInt8], maximumDepth: Int) {
            self.bytes = bytes
            self.maximumDepth = maximumDepth
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        }

        func fail(_ reason: String) -> ParseError { ParseError(reason: reason, offset: index) }

        mutating func parseDocument() throws(ParseError) -> JSONValue {
            skipWhitespace()
            guard index < bytes.count else { throw fail("empty document") }
            let value = try parseValue(depth: 0)
            skipWhitespace()
            guard index == bytes.count else { throw fail("unexpected data after the JSON value") }
            return value
        }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func parseValue(depth: Int) throws(ParseError) -> JSONValue {
            guard depth <= maximumDepth else { throw fail("nesting deeper than \(maximumDepth) levels") }
            guard index < bytes.count else { throw fail("unexpected end of document") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
            case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
            case UInt8(ascii: "n"): try expectLiteral("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
            default: throw fail("unexpected character")
            }
        }

        mutating func expectLiteral(_ literal: String) throws(ParseError) {
            let utf8 = Array(literal.utf8)
            guard bytes.count - index >= utf8.count, Array(bytes[index..<index + utf8.count]) == utf8 else {
                throw fail("invalid literal")
            }
            index += utf8.count
        }

        mutating func parseObject(depth: Int) throws(ParseError) -> JSONValue {
            index += 1
            var members: [String: JSONValue] = [:]
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                let key = try parseString()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                skipWhitespace()
                let value = try parseValue(depth: depth + 1)
                guard members.updateValue(value, forKey: key) == nil else { throw fail("duplicate member \"\(key)\"") }
                skipWhitespace()
                guard index < bytes.count else { throw fail("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                throw fail("expected ',' or '}'")
            }
        }

        mutating func parseArray(depth: Int) throws(ParseError) -> JSONValue {
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw fail("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
                throw fail("expected ',' or ']'")
            }
        }

        mutating func parseNumber() throws(ParseError) -> String {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid number") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else {
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid number") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid number") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

        mutating func parseString() throws(ParseError) -> String {
            index += 1
            var out = [UInt8]()
            while true {
                guard index < bytes.count else { throw fail("unterminated string") }
                let c = bytes[index]
                switch c {
                case UInt8(ascii: "\""):
                    index += 1
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    index += 1
                    guard index < bytes.count else { throw fail("unterminated escape") }
                    let e = bytes[index]
                    index += 1
                    switch e {
                    case UInt8(ascii: "\""): out.append(0x22)
                    case UInt8(ascii: "\\"): out.append(0x5C)
                    case UInt8(ascii: "/"): out.append(0x2F)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try parseHex4()
                        if (0xD800...0xDBFF).contains(scalar) {
                            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                                bytes[index + 1] == UInt8(ascii: "u")
                            else { throw fail("unpaired surrogate in string") }
                            index += 2
                            let low = try parseHex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate in string") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00...0xDFFF).contains(scalar) {
                            throw fail("unpaired surrogate in string")
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                        out.append(contentsOf: Array(String(Character(unicode)).utf8))
                    default:
                        throw fail("invalid escape")
                    }
                default:
                    guard c >= 0x20 else { throw fail("control character in string") }
                    out.append(c)
                    index += 1
                }
            }
        }

        mutating func parseHex4() throws(ParseError) -> UInt32 {
            guard bytes.count - index >= 4, let value = JSONValue.hex4(bytes[index..<index + 4]) else {
                throw fail("invalid \\u escape")
            }
            index += 4
            return value
        }
    }
}

extension JSONValue {
    /// The value of exactly four hex digits (RFC 8259's `\\u` escape), nil for anything else: no sign, no
    /// prefix (`UInt32(_:radix:)` alone would take `+041`).
    public static func hex4(_ digits: some Collection<UInt8>) -> UInt32? {
        guard digits.count == 4 else { return nil }
        var value: UInt32 = 0
        for digit in digits {
            let nibble: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = digit - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(nibble)
        }
        return value
    }
}

// MARK: - Writing

extension JSONValue {
    /// The RFC 8785 (JCS) serialization: members sorted by UTF-16 code units, no insignificant whitespace,
    /// minimal string escaping. Used wherever bytes are signed.
    public var canonicalData: Data {
        var out = [UInt8]()
        writeCanonical(into: &out)
        return Data(out)
    }

    /// A human-readable serialization with two-space indentation and sorted keys, ending in a newline.
    /// Deterministic: the same value always gives the same bytes.
    public var prettyData: Data {
        var out = [UInt8]()
        writePretty(into: &out, indent: 0)
        out.append(0x0A)
        return Data(out)
    }

    /// Members in RFC 8785 order (by UTF-16 code units). When no key has a scalar at or above U+E000 (no UTF-8
    /// byte at or above 0xEE), UTF-8 byte order is the same order and much faster to compare.
    private static func sortedMembers(_ members: [String: JSONValue]) -> [(String, JSONValue)] {
        if members.keys.allSatisfy({ $0.utf8.allSatisfy { $0 < 0xEE } }) {
            return members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        }
        return members.sorted { $0.key.utf16.lexicographicallyPrecedes($1.key.utf16) }
    }

    private func writeCanonical(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: Array("null".utf8))
        case .bool(let b): out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case .number(let n): out.append(contentsOf: Array(Self.canonicalNumber(n).utf8))
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, e) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                e.writeCanonical(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, (k, v)) in Self.sortedMembers(members).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(k, into: &out)
                out.append(UInt8(ascii: ":"))
                v.writeCanonical(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private func writePretty(into out: inout [UInt8], indent: Int) {
        func pad(_ n: Int) { for _ in 0..<(n * 2) { out.append(0x20) } }
        switch self {
        case .array(let elements) where !elements.isEmpty:
            out.append(UInt8(ascii: "["))
            out.append(0x0A)
            for (i, e) in elements.enumerated() {
                pad(indent + 1)
                e.writePretty(into: &out, indent: indent + 1)
                if i < elements.count - 1 { out.append(UInt8(ascii: ",")) }
                out.append(0x0A)
            }
            pad(indent)
            out.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            out.append(UInt8(ascii: "{"))
            out.append(0x0A)
            let sorted = Self.sortedMembers(members)
            for (i, (k, v)) in sorted.enumerated() {
                pad(indent + 1)
                Self.writeString(k, into: &out)
                out.append(UInt8(ascii: ":"))
                out.append(0x20)
                v.writePretty(into: &out, indent: indent + 1)
                if i < sorted.count - 1 { out.append(UInt8(ascii: ",")) }
                out.append(0x0A)
            }
            pad(indent)
            out.append(UInt8(ascii: "}"))
        default:
            writeCanonical(into: &out)
        }
    }

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C }) {
            out.append(contentsOf: s.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in s.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x00..<0x20:
                out.append(contentsOf: Array(String(format: "\\u%04x", byte).utf8))
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Serializes a number as ECMAScript does (RFC 8785 §3.2.2.3): the shortest round-tripping digits, in
    /// plain notation for magnitudes in [1e-6, 1e21) and exponent notation outside it.
    static func canonicalNumber(_ text: String) -> String {
        // A plain integer of at most 15 digits (no sign on zero, no leading zeros) is already in ECMAScript form.
        let integer = text.utf8.first == UInt8(ascii: "-") ? text.utf8.dropFirst() : text.utf8[...]
        if !integer.isEmpty, integer.count <= 15, integer.allSatisfy({ (0x30...0x39).contains($0) }),
            integer.first != 0x30 || (integer.count == 1 && text.utf8.count == 1)
        {
            return text
        }
        guard let value = Double(text), value.isFinite else { return text }
        if value == 0 { return "0" }
        // Swift's description gives the shortest digits that round-trip; take them apart.
        var repr = "\(abs(value))"
        var exponent = 0
        if let e = repr.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(repr[repr.index(after: e)...]) ?? 0
            repr = String(repr[..<e])
        }
        let parts = repr.split(separator: ".", omittingEmptySubsequences: false)
        var digits = Array(String(parts[0]) + (parts.count > 1 ? String(parts[1]) : ""))
        var point = parts[0].count + exponent
        while digits.count > 1, digits.first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while digits.count > 1, digits.last == "0" { digits.removeLast() }
        let k = digits.count
        let n = point
        let sign = value < 0 ? "-" : ""
        let d = String(digits)
        if k <= n && n <= 21 { return sign + d + String(repeating: "0", count: n - k) }
        if 0 < n && n <= 21 { return sign + String(digits[0..<n]) + "." + String(digits[n...]) }
        if -6 < n && n <= 0 { return sign + "0." + String(repeating: "0", count: -n) + d }
        let e = n - 1
        let mantissa = k == 1 ? d : String(digits[0]) + "." + String(digits[1...])
        return sign + mantissa + "e" + (e < 0 ? "-" : "+") + String(abs(e))
    }
}
