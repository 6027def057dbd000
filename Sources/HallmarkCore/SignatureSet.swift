/// `signatures.json`: the index of a release directory's detached signatures.
public struct SignatureSet: Codable, Sendable, Equatable {
    public static let currentMediaType = "application/vnd.hallmark.signatures.v1+json"

    /// One signed file.
    public struct Entry: Codable, Sendable, Equatable {
        /// The file's name, relative to the release directory.
        public var name: String
        /// The file's SHA-256, lower-case hex.
        public var sha256: String
        /// The detached signature's file name, relative to the release directory.
        public var signatureFile: String
        /// `ed25519`, `ecdsa-p256-sha256` or `ecdsa-p384-sha384`.
        public var algorithm: String
        /// Hex SHA-256 of the signer's SubjectPublicKeyInfo DER.
        public var keyId: String
        /// The signer's public key, SPKI PEM. A hint for people: verification uses keys the verifier trusts.
        public var publicKey: String

        public init(name: String, sha256: String, signatureFile: String, algorithm: String, keyId: String, publicKey: String) {
            self.name = name
            self.sha256 = sha256
            self.signatureFile = signatureFile
            self.algorithm = algorithm
            self.keyId = keyId
            self.publicKey = publicKey
        }
    }

    public var mediaType: String
    public var files: [Entry]

    public init(files: [Entry]) {
        self.mediaType = Self.currentMediaType
        self.files = files.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }
}
