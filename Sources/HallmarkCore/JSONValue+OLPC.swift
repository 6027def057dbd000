/// The "OLPC canonical JSON" TUF and securesystemslib sign: keys sorted by code point, no whitespace, strings
/// escaping only `"` and `\` (every other character raw), integers only.
extension JSONValue {
    /// The OLPC canonical bytes, or nil when the value holds a non-integer number (which OLPC cannot encode).
    public var olpcCanonicalData: [UInt8]? {
        var out: [UInt8] = []
        return writeOLPC(into: &out) ? out : nil
    }

    private func writeOLPC(into out: inout [UInt8]) -> Bool {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .number(let n):
            guard let value = Int64(n) else { return false }
            out += Array(String(value).utf8)
        case .string(let s): Self.writeOLPCString(s, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, e) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                guard e.writeOLPC(into: &out) else { return false }
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, (k, v)) in members.sorted(by: { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeOLPCString(k, into: &out)
                out.append(UInt8(ascii: ":"))
                guard v.writeOLPC(into: &out) else { return false }
            }
            out.append(UInt8(ascii: "}"))
        }
        return true
    }

    private static func writeOLPCString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }
}
