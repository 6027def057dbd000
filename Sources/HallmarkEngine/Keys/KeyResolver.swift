import Foundation
import HallmarkCore
import HallmarkCrypto

/// Turns key references (`path` or `env://VAR`) into keys, through the context's key provider.
public struct KeyResolver: Sendable {
    public static let signingKeyVariable = EnvironmentKeyProvider.signingKeyVariable
    public static let passphraseVariable = EnvironmentKeyProvider.passphraseVariable

    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    /// The PEM text a reference points at, and a name for it in messages.
    func pemText(for reference: String) throws(HallmarkError) -> (text: String, source: String) {
        if reference.hasPrefix("env://") {
            let name = String(reference.dropFirst("env://".count))
            guard !name.isEmpty else { throw .usage("key reference \"env://\" names no environment variable") }
            guard let value = context.keys.variable(name) else {
                throw .invalidKey("\(reference): the environment variable \(name) is not set or empty")
            }
            return (value, reference)
        }
        let text = try FileIO.readText(try context.resolve(reference), display: reference, limit: 1 << 20)
        return (text, reference)
    }

    /// Loads a signing key from `reference`, or from `HALLMARK_SIGNING_KEY` when none is given.
    public func signingKey(_ reference: String?) throws(HallmarkError) -> PrivateKey {
        let resolved: String
        if let reference {
            resolved = reference
        } else if context.keys.hasDefaultSigningKey {
            resolved = "env://\(Self.signingKeyVariable)"
        } else {
            throw .usage("no signing key: pass --key PATH (or env://VAR), or set \(Self.signingKeyVariable) to the key's PEM")
        }
        let (text, source) = try pemText(for: resolved)
        let passphrase = context.keys.passphrase
        return try PrivateKey(pem: text, source: source, passphrase: { passphrase })
    }

    /// Loads a public key (or the public half of a private key) from `reference`.
    public func publicKey(_ reference: String) throws(HallmarkError) -> PublicKey {
        let (text, source) = try pemText(for: reference)
        let passphrase = context.keys.passphrase
        return try PublicKey(pem: text, source: source, passphrase: { passphrase })
    }

    /// Loads every key in `references`.
    public func publicKeys(_ references: [String]) throws(HallmarkError) -> [PublicKey] {
        var keys: [PublicKey] = []
        for reference in references { keys.append(try publicKey(reference)) }
        return keys
    }
}
