import Foundation

/// The registry credentials part of Docker's client config file (`$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`), the file `docker login`, `oras login` and `skopeo login --authfile` write.
///
/// `auths` maps a registry (written `host`, `host:port`, or as a URL such as `https://host/v1/`) to
/// `auth` (base64 of `user:password`) or `username`/`password`, or an `identitytoken`. `credHelpers` maps a
/// registry to a credential helper, and `credsStore` names the helper for every other registry; a helper is
/// the program `docker-credential-NAME`.
public struct DockerConfig: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var username: String?
        public var password: String?
        public var identityToken: String?
    }

    public var auths: [String: Entry]
    public var credHelpers: [String: String]
    public var credsStore: String?

    public init(auths: [String: Entry] = [:], credHelpers: [String: String] = [:], credsStore: String? = nil) {
        self.auths = auths
        self.credHelpers = credHelpers
        self.credsStore = credsStore
    }

    /// Parses config.json; `source` names the file in errors.
    public init(parsing data: Data, source: String) throws(HallmarkError) {
        let value: JSONValue
        do { value = try JSONValue(parsing: data) } catch { throw .invalidInput("\(source): not acceptable JSON: \(error.description)") }
        guard case .object(let root) = value else { throw .invalidInput("\(source): expected a JSON object") }
        var auths: [String: Entry] = [:]
        if case .object(let map)? = root["auths"] {
            for (registry, entryValue) in map {
                guard case .object(let entry) = entryValue else { continue }
                var result = Entry()
                if case .string(let auth)? = entry["auth"], !auth.isEmpty {
                    guard let decoded = Data(base64Encoded: auth), let text = String(data: decoded, encoding: .utf8),
                        let colon = text.firstIndex(of: ":")
                    else {
                        throw .invalidInput("\(source): auths[\"\(registry)\"].auth is not base64 of user:password")
                    }
                    result.username = String(text[..<colon])
                    result.password = String(text[text.index(after: colon)...])
                }
                if case .string(let user)? = entry["username"], !user.isEmpty { result.username = user }
                if case .string(let password)? = entry["password"], !password.isEmpty { result.password = password }
                if case .string(let token)? = entry["identitytoken"], !token.isEmpty { result.identityToken = token }
                auths[registry] = result
            }
        }
        var helpers: [String: String] = [:]
        if case .object(let map)? = root["credHelpers"] {
            for (registry, helper) in map { if case .string(let name) = helper { helpers[registry] = name } }
        }
        var store: String?
        if case .string(let name)? = root["credsStore"], !name.isEmpty { store = name }
        self.init(auths: auths, credHelpers: helpers, credsStore: store)
    }

    /// The key under which a registry's entry may be stored: `host:port`, with or without a scheme and path.
    public static func registryKey(_ key: String) -> String {
        var text = key
        for scheme in ["https://", "http://"] where text.hasPrefix(scheme) { text.removeFirst(scheme.count) }
        if let slash = text.firstIndex(of: "/") { text = String(text[..<slash]) }
        return text.lowercased()
    }

    /// The stored entry for `registry` (`host[:port]`), however its key was written.
    public func entry(for registry: String) -> Entry? {
        let wanted = registry.lowercased()
        if let exact = auths[registry] { return exact }
        return auths.keys.sorted().first { Self.registryKey($0) == wanted }.flatMap { auths[$0] }
    }

    /// The credential helper for `registry`, if any: its own entry, else `credsStore`.
    public func helper(for registry: String) -> String? {
        let wanted = registry.lowercased()
        if let name = credHelpers.keys.sorted().first(where: { Self.registryKey($0) == wanted }).flatMap({ credHelpers[$0] }) { return name }
        return credsStore
    }
}
