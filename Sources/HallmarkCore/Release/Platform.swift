/// A build target: operating system and CPU architecture, in Go's names (`linux/amd64`, `darwin/arm64`).
public struct Platform: Sendable, Hashable, Comparable, TextCodable {
    public var os: String
    public var arch: String

    public static let knownOperatingSystems = ["aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "linux", "netbsd", "openbsd", "solaris", "windows"]
    public static let knownArchitectures = ["386", "amd64", "arm", "arm64", "armv6", "armv7", "loong64", "mips", "mips64", "mips64le", "mipsle", "ppc64", "ppc64le", "riscv64", "s390x", "wasm"]
    /// Common other spellings, to suggest the right name.
    static let aliases = ["x86_64": "amd64", "x64": "amd64", "aarch64": "arm64", "i386": "386", "i686": "386", "macos": "darwin", "osx": "darwin", "macosx": "darwin", "win": "windows", "win32": "windows", "win64": "windows"]

    public init(os: String, arch: String) {
        self.os = os
        self.arch = arch
    }

    /// Parses `os/arch`, refusing names it does not know with a suggestion.
    public init(parsing text: String) throws(HallmarkError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .invalidInput("target \"\(text)\" is not of the form os/arch (e.g. linux/amd64)")
        }
        for (value, known, kind) in [(parts[0], Self.knownOperatingSystems, "operating system"), (parts[1], Self.knownArchitectures, "architecture")]
        where !known.contains(value) {
            let hint = Self.aliases[value.lowercased()].map { " (did you mean \"\($0)\"?)" }
                ?? Suggestion.closest(to: value, in: known).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw .invalidInput("target \"\(text)\": unknown \(kind) \"\(value)\"\(hint); known: \(known.joined(separator: ", "))")
        }
        os = parts[0]
        arch = parts[1]
    }

    /// The platform this binary was compiled for, in Go's names.
    public static var host: Platform {
        #if os(Linux)
        let os = "linux"
        #elseif os(macOS)
        let os = "darwin"
        #elseif os(Windows)
        let os = "windows"
        #else
        let os = "unknown"
        #endif
        #if arch(x86_64)
        let arch = "amd64"
        #elseif arch(arm64)
        let arch = "arm64"
        #else
        let arch = "unknown"
        #endif
        return Platform(os: os, arch: arch)
    }

    public var description: String { "\(os)/\(arch)" }
    /// `os_arch`, for file names.
    public var slug: String { "\(os)_\(arch)" }
    /// The executable suffix on this platform.
    public var executableSuffix: String { os == "windows" ? ".exe" : "" }

    public static func < (lhs: Platform, rhs: Platform) -> Bool { lhs.description < rhs.description }
}

/// "Did you mean" suggestions by edit distance.
public enum Suggestion {
    /// The candidate nearest to `word`, if it is near enough to be a likely typo.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= max(2, word.count / 3) ? best.0 : nil
    }

    /// Levenshtein distance.
    public static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars)
        let y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        for i in 1...x.count {
            var current = [i] + Array(repeating: 0, count: y.count)
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[y.count]
    }
}
