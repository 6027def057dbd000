import Foundation

/// One line of a checksum list: a digest and the file it belongs to.
public struct ChecksumEntry: Sendable, Equatable {
    /// How the line was written.
    public enum Style: Sendable, Equatable {
        /// `hex  name` (text mode) or `hex *name` (binary mode), as GNU `sha256sum` writes.
        case gnu
        /// `SHA256 (name) = hex`, as BSD tools and `sha256sum --tag` write.
        case bsd
    }

    public var algorithm: DigestAlgorithm
    /// The expected digest, lower-case hex.
    public var digest: String
    /// The file name, unescaped.
    public var path: String
    public var style: Style
    /// The 1-based line number in the list it was read from (0 for entries made in code).
    public var line: Int

    public init(algorithm: DigestAlgorithm, digest: String, path: String, style: Style = .gnu, line: Int = 0) {
        self.algorithm = algorithm
        self.digest = digest.lowercased()
        self.path = path
        self.style = style
        self.line = line
    }

    /// Whether the name needs GNU escaping (a backslash, newline or carriage return in it).
    public var needsEscaping: Bool { path.contains(where: { $0 == "\\" || $0 == "\n" || $0 == "\r" }) }

    /// The name as GNU tools print it: escaped, with a leading backslash, when it needs escaping.
    public var displayName: String { needsEscaping ? "\\" + Self.escape(path) : path }

    /// The GNU `sha256sum` line for this entry, without the newline.
    public var gnuLine: String {
        needsEscaping ? "\\\(digest)  \(Self.escape(path))" : "\(digest)  \(path)"
    }

    static func escape(_ name: String) -> String {
        name.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "\r", with: "\\r")
    }

    static func unescape(_ name: Substring) -> String? {
        var out = ""
        var iterator = name.makeIterator()
        while let c = iterator.next() {
            guard c == "\\" else { out.append(c); continue }
            switch iterator.next() {
            case "\\": out.append("\\")
            case "n": out.append("\n")
            case "r": out.append("\r")
            default: return nil
            }
        }
        return out
    }
}

/// A checksum list in the formats GNU coreutils reads: GNU lines and BSD-tag lines, comments, CRLF endings.
public struct ChecksumList: Sendable, Equatable {
    public var entries: [ChecksumEntry]
    /// Line numbers (1-based) of lines that are neither blank, a comment, nor a checksum line.
    public var improperLines: [Int]

    public init(entries: [ChecksumEntry], improperLines: [Int] = []) {
        self.entries = entries
        self.improperLines = improperLines
    }

    /// Parses a list as `sha256sum -c` does for one algorithm: lines for another algorithm are improper.
    public init(parsing data: Data, algorithm: DigestAlgorithm) {
        var entries: [ChecksumEntry] = []
        var improper: [Int] = []
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        for (offset, rawLine) in lines.enumerated() {
            let number = offset + 1
            var bytes = Substring(decoding: rawLine, as: UTF8.self)
            if offset == lines.count - 1 && bytes.isEmpty { break }
            if bytes.hasSuffix("\r") { bytes = bytes.dropLast() }
            if let entry = Self.parseLine(bytes, algorithm: algorithm, number: number) {
                entries.append(entry)
            } else {
                let trimmed = bytes.drop(while: { $0 == " " || $0 == "\t" })
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                improper.append(number)
            }
        }
        self.init(entries: entries, improperLines: improper)
    }

    private static func parseLine(_ line: Substring, algorithm: DigestAlgorithm, number: Int) -> ChecksumEntry? {
        var rest = line.drop(while: { $0 == " " || $0 == "\t" })
        var escaped = false
        if rest.hasPrefix("\\") {
            escaped = true
            rest = rest.dropFirst()
        }
        let hexLength = algorithm.byteCount * 2
        let tagPrefix = algorithm.bsdTag + " ("
        if rest.hasPrefix(tagPrefix) {
            // BSD tag: `SHA256 (name) = hex`; the digest must end the line.
            let body = rest.dropFirst(tagPrefix.count)
            guard let close = body.range(of: ") = ", options: .backwards) else { return nil }
            let rawName = body[..<close.lowerBound]
            let digest = body[close.upperBound...]
            guard Hex.isHex(digest, byteCount: algorithm.byteCount), !rawName.isEmpty else { return nil }
            guard let name = escaped ? ChecksumEntry.unescape(rawName) : String(rawName) else { return nil }
            return ChecksumEntry(algorithm: algorithm, digest: String(digest), path: name, style: .bsd, line: number)
        }
        // GNU: `hex` then a space or tab, an optional mode character (' ' or '*'), then the name.
        guard rest.utf8.count > hexLength else { return nil }
        let digest = rest.prefix(hexLength)
        guard Hex.isHex(digest, byteCount: algorithm.byteCount) else { return nil }
        var after = rest.dropFirst(hexLength)
        guard let separator = after.first, separator == " " || separator == "\t" else { return nil }
        after = after.dropFirst()
        if let mode = after.first, mode == " " || mode == "*" { after = after.dropFirst() }
        guard !after.isEmpty else { return nil }
        guard let name = escaped ? ChecksumEntry.unescape(after) : String(after) else { return nil }
        return ChecksumEntry(algorithm: algorithm, digest: String(digest), path: name, style: .gnu, line: number)
    }

    /// The list as GNU `sha256sum` writes it, sorted by name (byte order), one line per entry.
    public var gnuData: Data {
        let sorted = entries.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return Data(sorted.map { $0.gnuLine + "\n" }.joined().utf8)
    }
}
