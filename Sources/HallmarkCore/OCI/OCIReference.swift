import Foundation

/// A place in an OCI registry, written `oci://HOST[:PORT]/REPOSITORY[:TAG][@sha256:HEX]`.
///
/// Names follow the OCI distribution spec: a repository is lower-case path components joined by `/`
/// (`[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`), a tag is `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
public struct OCIReference: Sendable, Equatable, CustomStringConvertible {
    /// `host` or `host:port`, as it appears in URLs and in Docker's config file.
    public var registry: String
    public var repository: String
    public var tag: String?
    public var digest: String?

    public init(registry: String, repository: String, tag: String? = nil, digest: String? = nil) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    public static let scheme = "oci://"

    /// Parses `oci://HOST[:PORT]/REPO[:TAG][@sha256:HEX]`; the error names what is wrong with it.
    public init(parsing text: String) throws(HallmarkError) {
        guard text.hasPrefix(Self.scheme) else { throw .usage("\(text): an OCI reference starts with oci://") }
        var rest = Substring(text.dropFirst(Self.scheme.count))
        guard let slash = rest.firstIndex(of: "/") else {
            throw .usage("\(text): name a repository, as in oci://HOST[:PORT]/REPOSITORY[:TAG]")
        }
        let registry = String(rest[..<slash])
        rest = rest[rest.index(after: slash)...]
        guard Self.isRegistry(registry) else { throw .usage("\(text): \"\(registry)\" is not a registry host[:port]") }
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            digest = String(rest[rest.index(after: at)...])
            rest = rest[..<at]
            guard let value = digest, Self.isDigest(value) else {
                throw .usage("\(text): the digest after @ must be sha256: and 64 lower-case hex digits")
            }
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":") {
            tag = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
            guard let value = tag, Self.isTag(value) else {
                throw .usage("\(text): \"\(tag ?? "")\" is not a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})")
            }
        }
        let repository = String(rest)
        guard Self.isRepository(repository) else {
            throw .usage("\(text): \"\(repository)\" is not a valid repository name (lower-case letters, digits, and . _ - / between them)")
        }
        self.init(registry: registry, repository: repository, tag: tag, digest: digest)
    }

    /// The tag or digest to ask the registry for: the digest when there is one.
    public var reference: String? { digest ?? tag }

    public var description: String {
        var text = Self.scheme + registry + "/" + repository
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest }
        return text
    }

    /// The same place, pinned to a manifest digest (and keeping the tag for people to read).
    public func pinned(to digest: String) -> OCIReference {
        OCIReference(registry: registry, repository: repository, tag: tag, digest: digest)
    }

    /// The tag a release version is published under: a semantic version's `+build` becomes `_build`,
    /// since `+` is not allowed in tags (the same mapping Helm uses).
    public static func tag(forVersion version: String) -> String? {
        let tag = version.replacingOccurrences(of: "+", with: "_")
        return isTag(tag) ? tag : nil
    }

    static func isRegistry(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 255 else { return false }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard let port = Int(parts[1]), (1...65535).contains(port) else { return false }
        } else if parts.count != 1 {
            return false
        }
        return parts[0].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") } && !parts[0].isEmpty
    }

    public static func isTag(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...128).contains(bytes.count) else { return false }
        func word(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F }
        return word(bytes[0]) && bytes.dropFirst().allSatisfy { word($0) || $0 == 0x2E || $0 == 0x2D }
    }

    public static func isDigest(_ text: String) -> Bool {
        guard text.hasPrefix("sha256:") else { return false }
        let hex = text.dropFirst(7)
        return hex.utf8.count == 64 && hex.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    static func isRepository(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 255 else { return false }
        for component in text.split(separator: "/", omittingEmptySubsequences: false) {
            // [a-z0-9]+ ( ( . | _ | __ | -+ ) [a-z0-9]+ )*
            let bytes = Array(component.utf8)
            func alnum(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) || (0x61...0x7A).contains(byte) }
            guard let first = bytes.first, let last = bytes.last, alnum(first), alnum(last) else { return false }
            var index = 0
            while index < bytes.count {
                if alnum(bytes[index]) { index += 1; continue }
                var end = index
                while end < bytes.count, !alnum(bytes[end]) { end += 1 }
                let separator = String(decoding: bytes[index..<end], as: UTF8.self)
                guard separator == "." || separator == "_" || separator == "__" || separator.allSatisfy({ $0 == "-" }) else { return false }
                index = end
            }
        }
        return true
    }
}
