/// Checks for names that must stay inside a directory: checksum list entries, archive members, release files.
///
/// Every check works on the UTF-8 bytes, as the kernel reads a path: Swift's `Character` comparisons group a `/`
/// with a combining mark after it (or a prepend mark before it) into one character, so `"../\u{34F}x"` would
/// hide its `..` component from a `split(separator: "/")` and `"/\u{34F}etc"` its leading slash from
/// `hasPrefix("/")`.
public enum RelativePath {
    static let slash: UInt8 = 0x2F
    static let backslash: UInt8 = 0x5C
    static let dot: UInt8 = 0x2E

    /// The `/`-separated components of `path`, as bytes.
    static func components(_ path: String) -> [ArraySlice<UInt8>] {
        Array(path.utf8).split(separator: slash, omittingEmptySubsequences: false)
    }

    /// Why `path` is unsafe to resolve inside a directory, or nil when it is a plain relative path.
    public static func unsafeReason(_ path: String) -> String? {
        let bytes = Array(path.utf8)
        if bytes.isEmpty { return "the name is empty" }
        if bytes.first == slash { return "absolute paths are not allowed" }
        if bytes.contains(0) { return "NUL bytes are not allowed in names" }
        if components(path).contains(where: { $0.elementsEqual([dot, dot]) }) { return "'..' would leave the directory" }
        let hasDriveSeparator = bytes.indices.dropLast().contains { bytes[$0] == 0x3A && bytes[$0 + 1] == backslash }
        let anySeparator = bytes.split(omittingEmptySubsequences: false) { $0 == slash || $0 == backslash }
        if bytes.first == backslash || hasDriveSeparator || anySeparator.contains(where: { $0.elementsEqual([dot, dot]) }) {
            return "Windows-style paths are not allowed"
        }
        return nil
    }

    /// Why `path` is not the one canonical name of a file — unsafe, or spelled with `.` or empty components
    /// (`./a`, `a//b`, `a/`), which would let two entries name one file — or nil. For names that identify a
    /// release's files (checksum lists, signature lists, registry layer titles), where each file has one name.
    public static func nonCanonicalReason(_ path: String) -> String? {
        if let reason = unsafeReason(path) { return reason }
        let parts = components(path)
        if parts.contains(where: { $0.elementsEqual([dot]) }) { return "'.' components are not allowed (each file has one name)" }
        if parts.contains(where: \.isEmpty) { return "empty components ('//' or a trailing '/') are not allowed (each file has one name)" }
        if Array(path.utf8).contains(backslash) { return "backslashes are not allowed in names (each file has one name)" }
        return nil
    }

    /// Whether `name` is one plain file name: not empty, no `/` or `\`, no NUL, not `.` or `..`.
    public static func isPlainName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return !bytes.isEmpty && !bytes.contains(slash) && !bytes.contains(backslash) && !bytes.contains(0)
            && !bytes.elementsEqual([dot]) && !bytes.elementsEqual([dot, dot])
    }

    /// Whether `path` starts with the directory `prefix` (given with its trailing `/`), compared byte for byte.
    public static func hasDirectoryPrefix(_ path: String, _ prefix: String) -> Bool {
        Array(path.utf8).starts(with: Array(prefix.utf8))
    }
}
