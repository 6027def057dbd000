import Foundation
import HallmarkCore
import HallmarkCrypto

/// `hallmark keys generate`: a new key pair as PKCS#8 (`NAME.key`, mode 0600) and SPKI (`NAME.pub`) PEM.
public struct KeyGeneration: Sendable {
    /// The kinds of key `keys generate` makes.
    public enum Algorithm: String, Sendable, CaseIterable {
        case ed25519
        case ecdsaP256 = "ecdsa-p256"
        case ecdsaP384 = "ecdsa-p384"

        var keyAlgorithm: KeyAlgorithm {
            switch self {
            case .ed25519: .ed25519
            case .ecdsaP256: .ecdsaP256
            case .ecdsaP384: .ecdsaP384
            }
        }
    }

    public struct Request: Sendable {
        public var algorithm: Algorithm
        /// Path without extension; `.key` and `.pub` are appended.
        public var output: String
        public var encrypt: Bool
        public var overwrite: Bool

        public init(algorithm: Algorithm, output: String, encrypt: Bool, overwrite: Bool = false) {
            self.algorithm = algorithm
            self.output = output
            self.encrypt = encrypt
            self.overwrite = overwrite
        }
    }

    /// What was written.
    public struct Result: Codable, Sendable {
        public var algorithm: String
        public var keyId: String
        public var privateKey: String
        public var publicKey: String
        public var encrypted: Bool
    }

    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public func run(_ request: Request) throws(HallmarkError) -> Result {
        var base = request.output
        for suffix in [".key", ".pub"] where base.hasSuffix(suffix) { base.removeLast(suffix.count) }
        let privatePath = try context.resolve(base + ".key")
        let publicPath = try context.resolve(base + ".pub")
        if !request.overwrite {
            for path in [privatePath, publicPath] where FileManager.default.fileExists(atPath: path) {
                throw .usage("\(path) already exists; choose another --out or pass --force to replace it")
            }
        }
        var passphrase: String?
        if request.encrypt {
            guard let value = context.keys.passphrase, !value.isEmpty else {
                throw .usage("--encrypt needs the passphrase in \(KeyResolver.passphraseVariable)")
            }
            passphrase = value
        }
        let key = try PrivateKey.generate(request.algorithm.keyAlgorithm)
        let privatePEM: String
        do {
            privatePEM = try key.pemText(passphrase: passphrase)
        } catch {
            throw .io("cannot encode the new key: \(error)")
        }
        let staged = [
            try FileIO.stage(Data(privatePEM.utf8), for: privatePath, mode: 0o600),
            try FileIO.stage(Data(key.publicKey.pemText.utf8), for: publicPath, mode: 0o644),
        ]
        try FileIO.commit(staged)
        return Result(
            algorithm: request.algorithm.rawValue, keyId: key.publicKey.keyID,
            privateKey: base + ".key", publicKey: base + ".pub", encrypted: request.encrypt)
    }
}
