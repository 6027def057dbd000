import Foundation
import HallmarkCore
import HallmarkCrypto

/// minisign and signify: verifying their signatures and signed checksum lists, writing minisign signatures,
/// and exporting keys in their formats.
public struct MinisignOperations: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    /// Whether a signature file is in minisign/signify form (rather than Hallmark's or openssl's).
    public static func isMinisignOrSignify(_ data: Data) -> Bool {
        data.starts(with: Data("untrusted comment:".utf8))
    }

    /// Keys from references: minisign/signify public key files, bare minisign keys, or Ed25519 PEM keys (whose
    /// minisign key id is Hallmark's derived one).
    public func keys(_ references: [String]) throws(HallmarkError) -> [Minisign.PublicKey] {
        guard !references.isEmpty else { throw .usage("pass --key with the signer's public key (minisign, signify or PEM)") }
        var out: [Minisign.PublicKey] = []
        for reference in references {
            let (text, source) = try KeyResolver(context: context).pemText(for: reference)
            if text.contains("-----BEGIN") {
                let key = try PublicKey(pem: text, source: source)
                out.append(try Minisign.PublicKey(key: key, keyID: Minisign.keyID(for: key)))
            } else {
                out.append(try Minisign.PublicKey(parsing: text, source: source))
            }
        }
        return out
    }

    public struct Verification: Codable, Sendable {
        public var file: String
        public var signature: String
        public var format: String
        public var algorithm: String
        public var keyId: String
        public var verified: Bool
        public var trustedComment: String?
        public var reason: String?
        public var schemaVersion = VerificationReportSchema.version
        public var problems: [VerificationProblem] = []
    }

    /// Verifies a minisign (4-line) or signify (2-line) signature of `file`.
    public func verify(file: String, signature: String, keyReferences: [String], prehashedOnly: Bool) throws(HallmarkError) -> Verification {
        let keys = try keys(keyReferences)
        let data = try FileIO.read(try context.resolve(signature), display: signature, limit: 64 << 10)
        let text = String(decoding: data, as: UTF8.self)
        let isMinisign = text.contains("\ntrusted comment: ")
        let parsed = isMinisign ? try Minisign.Signature(minisign: text, source: signature) : try Minisign.Signature(signify: data, source: signature)
        let path = try context.resolve(file)
        guard FileIO.isFile(path) else { throw .io("\(file): No such file or directory") }
        var reason = "no --key has key id \(Minisign.keyIDText(parsed.keyID))"
        var code = ProblemCode.signatureUntrustedKey
        for key in keys where key.keyID == parsed.keyID {
            if let problem = try parsed.problem(key: key, message: .file(path), allowLegacy: !prehashedOnly) {
                reason = "\(file): \(problem)"
                code = .signatureInvalid
            } else {
                return Verification(
                    file: file, signature: signature, format: isMinisign ? "minisign" : "signify", algorithm: parsed.algorithm,
                    keyId: Minisign.keyIDText(parsed.keyID), verified: true, trustedComment: parsed.trustedComment, reason: nil)
            }
        }
        if keys.count == 1, keys[0].keyID != parsed.keyID, let problem = try parsed.problem(key: keys[0], message: .file(path)) {
            reason = "\(signature): \(problem)"
        }
        var failed = Verification(
            file: file, signature: signature, format: isMinisign ? "minisign" : "signify", algorithm: parsed.algorithm,
            keyId: Minisign.keyIDText(parsed.keyID), verified: false, trustedComment: parsed.trustedComment, reason: reason)
        failed.problems = [VerificationProblem(code, reason, file: signature)]
        return failed
    }

    public struct EmbeddedResult: Codable, Sendable {
        public var signature: String
        public var verified: Bool
        public var reason: String?
        public var extractedTo: String?
        public var schemaVersion = VerificationReportSchema.version
        public var problems: [VerificationProblem] = []

        init(signature: String, verified: Bool, reason: String? = nil, extractedTo: String? = nil, code: ProblemCode = .signatureInvalid) {
            self.signature = signature
            self.verified = verified
            self.reason = reason
            self.extractedTo = extractedTo
            problems = reason.map { [VerificationProblem(code, $0, file: signature)] } ?? []
        }
    }

    /// A signify `-e` signature: verify the message it carries, and write it out only when it verifies.
    public func verifyEmbedded(signature: String, keyReferences: [String], extractTo: String?) throws(HallmarkError) -> EmbeddedResult {
        let keys = try keys(keyReferences)
        let data = try FileIO.read(try context.resolve(signature), display: signature, limit: 256 << 20)
        let parsed = try Minisign.Signature(signify: data, source: signature)
        guard let message = parsed.embeddedMessage else { throw .invalidInput("\(signature): carries no embedded message (it is a detached signature)") }
        guard let key = keys.first(where: { $0.keyID == parsed.keyID }) else {
            return EmbeddedResult(signature: signature, verified: false, reason: "no --key has key id \(Minisign.keyIDText(parsed.keyID))", code: .signatureUntrustedKey)
        }
        if let problem = try parsed.problem(key: key, message: .bytes(message)) {
            return EmbeddedResult(signature: signature, verified: false, reason: "\(signature): \(problem)")
        }
        if let extractTo { try FileIO.writeAtomically(message, to: try context.resolve(extractTo)) }
        return EmbeddedResult(signature: signature, verified: true, extractedTo: extractTo)
    }

    public struct ChecksumResult: Codable, Sendable {
        public var list: String
        public var signatureVerified: Bool
        public var files: [FileStatus]
        public var verified: Bool
        public var reason: String?
        public var schemaVersion = VerificationReportSchema.version
        public var problems: [VerificationProblem] = []

        public struct FileStatus: Codable, Sendable {
            public var file: String
            public var status: String
        }
    }

    /// `signify -C`: verify a signed checksum list (embedded in the signature, or the file beside it without
    /// `.sig`), then every file it names, relative to the working directory.
    public func verifyChecksumList(signature: String, keyReferences: [String]) throws(HallmarkError) -> ChecksumResult {
        let keys = try keys(keyReferences)
        let data = try FileIO.read(try context.resolve(signature), display: signature, limit: 64 << 20)
        let parsed = try Minisign.Signature(signify: data, source: signature)
        var list = parsed.embeddedMessage
        if list == nil {
            guard signature.hasSuffix(".sig") else { throw .invalidInput("\(signature): no embedded list, and no LIST.sig name to find the list by") }
            list = try FileIO.read(try context.resolve(String(signature.dropLast(4))), display: String(signature.dropLast(4)))
        }
        guard let listData = list, let key = keys.first(where: { $0.keyID == parsed.keyID }) else {
            let reason = "no --key has key id \(Minisign.keyIDText(parsed.keyID))"
            return ChecksumResult(list: signature, signatureVerified: false, files: [], verified: false, reason: reason,
                                  problems: [.init(.signatureUntrustedKey, reason, file: signature)])
        }
        if let problem = try parsed.problem(key: key, message: .bytes(listData)) {
            return ChecksumResult(list: signature, signatureVerified: false, files: [], verified: false, reason: "\(signature): \(problem)",
                                  problems: [.init(.signatureInvalid, "\(signature): \(problem)", file: signature)])
        }
        var statuses: [ChecksumResult.FileStatus] = []
        var problems = ProblemList()
        for algorithm in [DigestAlgorithm.sha256, .sha384, .sha512] {
            for entry in ChecksumList(parsing: listData, algorithm: algorithm).entries where entry.style == .bsd {
                if let reason = RelativePath.unsafeReason(entry.path) {
                    statuses.append(.init(file: entry.path, status: "FAIL (\(reason))"))
                    problems.add(.checksumsUnsafePath, "\(entry.path): \(reason)", file: entry.path)
                    continue
                }
                let path = try context.resolve(entry.path)
                let status: String
                if FileIO.isFile(path) {
                    let actual = try FileHasher.hexDigest(ofFileAt: path, algorithm: algorithm, display: entry.path)
                    status = actual == entry.digest ? "OK" : "FAIL"
                    if actual != entry.digest { problems.add(.fileModified, "\(entry.path): \(algorithm.rawValue) does not match the list", file: entry.path) }
                } else {
                    status = "FAIL (missing)"
                    problems.add(.fileMissing, "\(entry.path): missing", file: entry.path)
                }
                statuses.append(.init(file: entry.path, status: status))
            }
        }
        let failed = statuses.filter { $0.status != "OK" }
        if statuses.isEmpty { problems.add(.checksumsEmpty, "\(signature): the list names no files", file: signature) }
        return ChecksumResult(
            list: signature, signatureVerified: true, files: statuses, verified: failed.isEmpty && !statuses.isEmpty,
            reason: statuses.isEmpty ? "\(signature): the list names no files" : failed.first.map { "\($0.file): \($0.status)" },
            problems: problems.all)
    }

    public struct Signed: Codable, Sendable {
        public var file: String
        public var signature: String
        public var keyId: String
        public var trustedComment: String
    }

    /// Writes `FILE.minisig`: a prehashed minisign signature whose trusted comment names the file (and the
    /// version, and a timestamp, when asked).
    public func sign(file: String, key: PrivateKey, output: String?, version: String?, timestamp: Date?, trustedComment: String?) throws(HallmarkError) -> Signed {
        let path = try context.resolve(file)
        guard FileIO.isFile(path) else { throw .io("\(file): No such file (nothing to sign)") }
        let keyID = Minisign.keyID(for: key.publicKey)
        var comment = trustedComment ?? ""
        if trustedComment == nil {
            var parts: [String] = []
            if let timestamp { parts.append("timestamp:\(Int64(timestamp.timeIntervalSince1970))") }
            parts.append("file:\((file as NSString).lastPathComponent)")
            if let version { parts.append("version:\(version)") }
            parts.append("hashed")
            comment = parts.joined(separator: "\t")
        }
        guard !comment.contains("\n") && !comment.contains("\r") else { throw .usage("the trusted comment must be one line") }
        let text = try Minisign.Signature.sign(
            blake2b: try BLAKE2b512.hash(fileAt: path, display: file), key: key, keyID: keyID, trustedComment: comment,
            untrustedComment: "signature from hallmark key \(Minisign.keyIDText(keyID))")
        let target = output ?? file + ".minisig"
        try FileIO.writeAtomically(Data(text.utf8), to: try context.resolve(target))
        return Signed(file: file, signature: target, keyId: Minisign.keyIDText(keyID), trustedComment: comment)
    }
}
