import Foundation
import HallmarkCore

/// One PEM block: its label (`PRIVATE KEY`, `PUBLIC KEY`, …) and the DER bytes it carries.
public struct PEMDocument: Sendable, Equatable {
    public var label: String
    public var der: [UInt8]

    public init(label: String, der: [UInt8]) {
        self.label = label
        self.der = der
    }

    /// Parses the first PEM block in `text`; `source` names the file in errors.
    public init(parsing text: String, source: String) throws(HallmarkError) {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN ") && $0.hasSuffix("-----") }) else {
            throw .invalidKey("\(source): not a PEM file (no -----BEGIN line); expected a key such as `hallmark keys generate` writes")
        }
        let label = String(lines[begin].dropFirst("-----BEGIN ".count).dropLast(5))
        guard let end = lines[begin...].firstIndex(of: "-----END \(label)-----") else {
            throw .invalidKey("\(source): the PEM block \"\(label)\" has no END line: the key is truncated")
        }
        let body = lines[(begin + 1)..<end].filter { !$0.contains(":") }.joined()
        guard !body.isEmpty, let der = Data(base64Encoded: body) else {
            throw .invalidKey("\(source): the PEM block \"\(label)\" is not valid base64: the key is damaged")
        }
        self.init(label: label, der: Array(der))
    }

    /// The PEM text, with 64-column lines and a trailing newline.
    public var pemText: String {
        let base64 = Data(der).base64EncodedString()
        var lines: [String] = []
        var index = base64.startIndex
        while index < base64.endIndex {
            let next = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[index..<next]))
            index = next
        }
        return "-----BEGIN \(label)-----\n" + lines.joined(separator: "\n") + "\n-----END \(label)-----\n"
    }
}
