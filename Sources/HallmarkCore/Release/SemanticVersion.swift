/// A Semantic Versioning 2.0.0 version, optionally written with a leading `v` (as in git tags).
public struct SemanticVersion: Sendable, Hashable, Comparable, TextCodable {
    public var major: UInt64
    public var minor: UInt64
    public var patch: UInt64
    public var prerelease: [String]
    public var build: [String]
    /// Whether the text had a leading `v`.
    public var hasVPrefix: Bool

    /// Parses `text`; on failure the error says which rule of semver 2.0 was broken.
    public init(parsing text: String) throws(HallmarkError) {
        var rest = Substring(text)
        hasVPrefix = rest.hasPrefix("v")
        if hasVPrefix { rest = rest.dropFirst() }
        func fail(_ why: String) -> HallmarkError {
            .invalidInput("\"\(text)\" is not a semantic version (semver 2.0: MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], e.g. v1.4.0): \(why)")
        }
        var buildPart: Substring?
        if let plus = rest.firstIndex(of: "+") {
            buildPart = rest[rest.index(after: plus)...]
            rest = rest[..<plus]
        }
        var prePart: Substring?
        if let dash = rest.firstIndex(of: "-") {
            prePart = rest[rest.index(after: dash)...]
            rest = rest[..<dash]
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard core.count == 3 else { throw fail("it needs exactly three numbers separated by dots") }
        var numbers: [UInt64] = []
        for part in core {
            guard !part.isEmpty, part.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw fail("\"\(part)\" is not a number")
            }
            guard part == "0" || !part.hasPrefix("0") else { throw fail("\"\(part)\" has a leading zero") }
            guard let value = UInt64(part) else { throw fail("\"\(part)\" is too large") }
            numbers.append(value)
        }
        (major, minor, patch) = (numbers[0], numbers[1], numbers[2])
        func identifiers(_ part: Substring?, numericRule: Bool, label: String) throws(HallmarkError) -> [String] {
            guard let part else { return [] }
            let ids = part.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            for id in ids {
                guard !id.isEmpty else { throw fail("an empty \(label) identifier") }
                guard id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                    throw fail("\(label) identifier \"\(id)\" may hold only [0-9A-Za-z-]")
                }
                if numericRule, id.allSatisfy({ $0.isNumber }), id.count > 1, id.hasPrefix("0") {
                    throw fail("numeric \(label) identifier \"\(id)\" has a leading zero")
                }
            }
            return ids
        }
        prerelease = try identifiers(prePart, numericRule: true, label: "pre-release")
        build = try identifiers(buildPart, numericRule: false, label: "build")
    }

    public var isPrerelease: Bool { !prerelease.isEmpty }

    public var description: String {
        var text = (hasVPrefix ? "v" : "") + "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { text += "-" + prerelease.joined(separator: ".") }
        if !build.isEmpty { text += "+" + build.joined(separator: ".") }
        return text
    }

    /// The version without `v`, as package ecosystems write it.
    public var bare: String {
        var copy = self
        copy.hasVPrefix = false
        return copy.description
    }

    /// Precedence per semver 2.0 §11 (build metadata is ignored).
    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        if lhs.major != rhs.major { return lhs.major < rhs.major }
        if lhs.minor != rhs.minor { return lhs.minor < rhs.minor }
        if lhs.patch != rhs.patch { return lhs.patch < rhs.patch }
        if lhs.prerelease.isEmpty || rhs.prerelease.isEmpty { return !lhs.prerelease.isEmpty && rhs.prerelease.isEmpty }
        for (a, b) in zip(lhs.prerelease, rhs.prerelease) where a != b {
            switch (UInt64(a), UInt64(b)) {
            case let (x?, y?): return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.utf8.lexicographicallyPrecedes(b.utf8)
            }
        }
        return lhs.prerelease.count < rhs.prerelease.count
    }

    public static func == (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch, lhs.prerelease) == (rhs.major, rhs.minor, rhs.patch, rhs.prerelease)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(major); hasher.combine(minor); hasher.combine(patch); hasher.combine(prerelease)
    }
}
