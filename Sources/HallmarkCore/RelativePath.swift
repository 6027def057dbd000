/// Checks for names that must stay inside a directory: checksum list entries, archive members, release files.
public enum RelativePath {
    /// Why `path` is unsafe to resolve inside a directory, or nil when it is a plain relative path.
    public static func unsafeReason(_ path: String) -> String? {
        if path.isEmpty { return "the name is empty" }
        if path.hasPrefix("/") { return "absolute paths are not allowed" }
        if path.contains("\0") { return "NUL bytes are not allowed in names" }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains("..") { return "'..' would leave the directory" }
        if path.hasPrefix("\\") || path.contains(":\\") || path.split(separator: "\\").contains("..") {
            return "Windows-style paths are not allowed"
        }
        return nil
    }

    /// Why `path` is not the one canonical name of a file — unsafe, or spelled with `.` or empty components
    /// (`./a`, `a//b`, `a/`), which would let two entries name one file — or nil. For names that identify a
    /// release's files (checksum lists, signature lists, registry layer titles), where each file has one name.
    public static func nonCanonicalReason(_ path: String) -> String? {
        if let reason = unsafeReason(path) { return reason }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains(".") { return "'.' components are not allowed (each file has one name)" }
        if components.contains("") { return "empty components ('//' or a trailing '/') are not allowed (each file has one name)" }
        return nil
    }
}
