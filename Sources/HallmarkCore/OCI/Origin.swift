/// A URL's origin (RFC 6454): scheme, host and port. Credentials earned from one origin go to that origin only.
public struct Origin: Hashable, Sendable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int

    /// The origin of an `http://` or `https://` URL, or nil for anything else.
    public init?(url: String) {
        let lower = url.lowercased()
        let scheme: String
        if lower.hasPrefix("https://") { scheme = "https" } else if lower.hasPrefix("http://") { scheme = "http" } else { return nil }
        var authority = Substring(url.dropFirst(scheme.count + 3))
        if let end = authority.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { authority = authority[..<end] }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        guard !authority.isEmpty else { return nil }
        var host = String(authority)
        var port = scheme == "https" ? 443 : 80
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let rest = host[host.index(after: close)...]
            if rest.hasPrefix(":") {
                guard let value = Int(rest.dropFirst()), (1...65_535).contains(value) else { return nil }
                port = value
            } else if !rest.isEmpty {
                return nil
            }
            host = String(host[...close])
        } else if let colon = host.lastIndex(of: ":") {
            guard let value = Int(host[host.index(after: colon)...]), (1...65_535).contains(value) else { return nil }
            port = value
            host = String(host[..<colon])
        }
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port
    }

    /// Whether the host is this machine: `localhost`, `[::1]`, or a dotted-decimal IPv4 address in 127.0.0.0/8
    /// (four numbers 0-255 without leading zeros; a name such as `127.0.0.evil` or `127.0.0.08` is resolved as a
    /// DNS name and can point anywhere).
    public var isLoopback: Bool {
        if host == "localhost" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        // No leading zeros: resolvers read `08` as a name, not a number (and `010` as octal).
        return parts.allSatisfy { part in
            (1...3).contains(part.count) && part.allSatisfy { ("0"..."9").contains($0) } && Int(part)! <= 255
                && (part == "0" || part.first != "0")
        }
    }

    public var description: String { "\(scheme)://\(host):\(port)" }

    /// `location` (a redirect's or an upload's `Location`) made absolute against `url`: an absolute http(s) URL as
    /// it is, an absolute path on `url`'s origin, or a path relative to `url`'s directory.
    public static func resolve(_ location: String, against url: String) -> String? {
        if Origin(url: location) != nil { return location }
        guard let origin = Origin(url: url) else { return nil }
        if location.contains("://") || location.hasPrefix("//") { return nil }
        let authority = url.dropFirst(origin.scheme.count + 3).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let prefix = origin.scheme + "://" + authority
        if location.hasPrefix("/") { return prefix + location }
        let path = url.dropFirst(prefix.count).prefix { $0 != "?" && $0 != "#" }
        let directory = path.lastIndex(of: "/").map { String(path[...$0]) } ?? "/"
        return prefix + directory + location
    }
}
