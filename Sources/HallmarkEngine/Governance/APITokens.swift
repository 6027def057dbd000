import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkStore

/// What an API token may do. Every role reads; `releaser` also requests, executes and asks for rollbacks;
/// `approver` also submits approvals and rejections (envelopes its holder signed); `admin` does all of these.
public enum APIRole: String, Codable, Sendable, CaseIterable {
    case viewer, releaser, approver, admin

    /// Whether this role may do what `needed` may.
    public func allows(_ needed: APIRole) -> Bool {
        self == .admin || needed == .viewer || self == needed
    }
}

/// The API's bearer tokens, kept in the evidence store so every node serving it knows them: a token is
/// `hm_` and 43 base64url characters (256 random bits), shown once at creation; the store keeps its SHA-256 only.
public struct APITokens: Sendable {
    /// Who a request's token says it is.
    public struct Caller: Codable, Sendable, Equatable {
        public var name: String
        public var role: APIRole

        public init(name: String, role: APIRole) {
            self.name = name
            self.role = role
        }
    }

    public struct Created: Codable, Sendable {
        public var schemaVersion = 1
        public var name: String
        public var role: APIRole
        public var token: String
    }

    public struct Listed: Codable, Sendable {
        public var name: String
        public var role: APIRole
        public var createdAt: String
    }

    public var context: EngineContext
    public var options: EvidenceStoreOptions

    public init(context: EngineContext, options: EvidenceStoreOptions) {
        self.context = context
        self.options = options
    }

    /// Token names: 1–64 of `A-Z a-z 0-9 . _ @ -` (they appear in records and logs).
    static func checkName(_ name: String) throws(HallmarkError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-".utf8)
        guard !name.isEmpty, name.utf8.count <= 64, name.utf8.allSatisfy(allowed.contains) else {
            throw .usage("--name \(name.prefix(64)): use 1 to 64 letters, digits, '.', '_', '@' or '-'")
        }
    }

    public func create(name: String, role: APIRole) async throws(HallmarkError) -> Created {
        try Self.checkName(name)
        var generator = SystemRandomNumberGenerator()
        let secret = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let token = "hm_" + secret.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let stored = APIToken(name: name, role: role.rawValue, sha256: Self.digest(token), createdAt: Int64(context.clock.now().timeIntervalSince1970))
        return try await EvidenceLog.with(context, options, writing: true) { log async throws(HallmarkError) in
            guard try await log.store.addToken(stored) else {
                throw .usage("--name \(name): a token with this name exists; revoke it first (hallmark serve token revoke --name \(name))")
            }
            return Created(name: name, role: role, token: token)
        }
    }

    public func list() async throws(HallmarkError) -> [Listed] {
        try await EvidenceLog.with(context, options, writing: true) { log async throws(HallmarkError) in
            try await log.store.tokens().map { token in
                Listed(name: token.name, role: APIRole(rawValue: token.role) ?? .viewer, createdAt: RFC3339.format(unixSeconds: token.createdAt))
            }
        }
    }

    public func revoke(name: String) async throws(HallmarkError) {
        try Self.checkName(name)
        try await EvidenceLog.with(context, options, writing: true) { log async throws(HallmarkError) in
            guard try await log.store.revokeToken(name: name) else { throw .usage("--name \(name): no such token") }
        }
    }

    /// The caller a bearer token names, or nil when the store has no such token (or it is malformed). A token
    /// whose stored role this build does not know is refused.
    public func authenticate(_ token: String) async throws(HallmarkError) -> Caller? {
        guard token.hasPrefix("hm_"), token.utf8.count == 46 else { return nil }
        return try await EvidenceLog.with(context, options, writing: false) { log async throws(HallmarkError) in
            guard let stored = try await log.store.token(sha256: Self.digest(token)), let role = APIRole(rawValue: stored.role) else { return nil }
            return Caller(name: stored.name, role: role)
        }
    }

    static func digest(_ token: String) -> String { Hex.encode(SHA256Hasher.hash(Data(token.utf8))) }
}
