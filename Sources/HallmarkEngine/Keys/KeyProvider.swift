import Foundation
import HallmarkCore

/// Where key material comes from: the PEM text a key reference names, and the passphrase of encrypted keys. The
/// command line's provider reads files (through the context's root) and `env://NAME` variables; a server's can
/// refuse `env://` so that a request cannot name the server's own secrets.
public protocol KeyProvider: Sendable {
    /// The text held by the variable `name` of an `env://NAME` reference, or nil when there is none.
    func variable(_ name: String) -> String?
    /// The passphrase for an encrypted private key, if one was given.
    var passphrase: String? { get }
    /// Whether a signing key is available without a reference (`HALLMARK_SIGNING_KEY`).
    var hasDefaultSigningKey: Bool { get }
}

/// Keys named by file path only: `env://` references are refused and there is no default signing key. For an
/// engine that serves requests, whose key references must never reach the host's own environment.
public struct FilesOnlyKeyProvider: KeyProvider {
    public var passphrase: String?
    public init(passphrase: String? = nil) { self.passphrase = passphrase }
    public func variable(_ name: String) -> String? { nil }
    public var hasDefaultSigningKey: Bool { false }
}

/// Keys named by file path or by `env://NAME` over a fixed set of variables.
public struct EnvironmentKeyProvider: KeyProvider {
    public static let signingKeyVariable = "HALLMARK_SIGNING_KEY"
    public static let passphraseVariable = "HALLMARK_KEY_PASSWORD"

    var variables: [String: String]
    public var passphrase: String?

    public init(variables: [String: String], passphrase: String?) {
        self.variables = variables
        self.passphrase = passphrase
    }

    public func variable(_ name: String) -> String? { variables[name].flatMap { $0.isEmpty ? nil : $0 } }
    public var hasDefaultSigningKey: Bool { variable(Self.signingKeyVariable) != nil }
}
