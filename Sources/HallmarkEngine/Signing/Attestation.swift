import Foundation
import HallmarkCore
import HallmarkCrypto

/// `hallmark attest` / `verify-attestation`: in-toto Statement v1 in a DSSE envelope.
public struct Attestation: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    /// Builds the Statement for `subjects` (named by their file names, with sha256 digests).
    public func statement(predicateType: String, predicate: JSONValue, subjects: [String]) throws(HallmarkError) -> InTotoStatement {
        guard !subjects.isEmpty else { throw .usage("name at least one --subject file") }
        guard !predicateType.isEmpty else { throw .usage("--predicate-type must be a URI") }
        let digests = FileHasher.hexDigests(ofFilesAt: try context.resolve(all: subjects), algorithm: .sha256)
        var descriptors: [ResourceDescriptor] = []
        for (subject, result) in zip(subjects, digests) {
            switch result {
            case .success(let hex):
                descriptors.append(ResourceDescriptor(name: (subject as NSString).lastPathComponent, digest: ["sha256": hex]))
            case .failure:
                throw .io("\(subject): No such file (a --subject must be a file to hash)")
            }
        }
        return InTotoStatement(subject: descriptors, predicateType: predicateType, predicate: predicate)
    }

    /// Signs a Statement into a one-line DSSE envelope and writes it to `output`.
    public func attest(
        predicateType: String, predicateFile: String, subjects: [String], key: PrivateKey, output: String, bundle: String? = nil
    ) throws(HallmarkError) -> DSSEEnvelope {
        let predicateData = try FileIO.read(try context.resolve(predicateFile), display: predicateFile)
        let predicate: JSONValue
        do {
            predicate = try JSONValue(parsing: predicateData)
        } catch {
            throw .invalidInput("\(predicateFile): the predicate is not acceptable JSON: \(error.description)")
        }
        guard case .object = predicate else { throw .invalidInput("\(predicateFile): the predicate must be a JSON object") }
        let statement = try statement(predicateType: predicateType, predicate: predicate, subjects: subjects)
        let envelope = try sign(statement, key: key)
        try FileIO.writeAtomically(try Self.jsonLine(envelope), to: try context.resolve(output))
        if let bundle {
            try FileIO.writeAtomically(KeyedBundle.dsse(envelope, keyHint: key.publicKey.keyID).prettyData, to: try context.resolve(bundle))
        }
        return envelope
    }

    /// Signs a Statement: canonical JSON payload, DSSE with the in-toto payload type.
    public func sign(_ statement: InTotoStatement, key: PrivateKey) throws(HallmarkError) -> DSSEEnvelope {
        let payload: Data
        do { payload = try CanonicalJSON.canonicalData(statement) } catch { throw .io("cannot encode the Statement: \(error)") }
        return try DSSESigning.sign(payload: payload, payloadType: DSSEEnvelope.inTotoPayloadType, keys: [key])
    }

    /// An envelope as one line of JSON, newline-terminated (the `.intoto.jsonl` form).
    public static func jsonLine(_ envelope: DSSEEnvelope) throws(HallmarkError) -> Data {
        do {
            var data = try CanonicalJSON.canonicalData(envelope)
            data.append(0x0A)
            return data
        } catch {
            throw .io("cannot encode the envelope: \(error)")
        }
    }

    /// The outcome of verifying an attestation file.
    public struct Verification: Codable, Sendable {
        public var schemaVersion = VerificationReportSchema.version
        public var file: String
        public var verified: Bool
        public var keyIds: [String]
        public var predicateType: String?
        public var subjects: [ResourceDescriptor]
        public var problems: [VerificationProblem]
    }

    /// Verifies every envelope in `file`: a trusted key signed it, the Statement is valid, each given subject
    /// file's sha256 is a subject, and the predicate type matches when one is required.
    public func verify(
        file: String, keys: [PublicKey], subjects: [String], predicateType: String?
    ) throws(HallmarkError) -> Verification {
        guard !keys.isEmpty else { throw .usage("pass --key with the signer's public key") }
        let data = try FileIO.read(try context.resolve(file), display: file)
        let envelopes = try DSSEEnvelope.parseAll(data, source: file)
        var problems = ProblemList()
        var keyIDs: [String] = []
        var verifiedEnvelopes = 0
        var statementSubjects: [ResourceDescriptor] = []
        var seenType: String?
        let subjectDigests = FileHasher.hexDigests(
            ofFilesAt: try context.resolve(all: subjects), algorithm: .sha256, displayNames: subjects)
        for (index, envelope) in envelopes.enumerated() {
            let label = envelopes.count > 1 ? "\(file) envelope \(index + 1)" : file
            guard envelope.payloadType == DSSEEnvelope.inTotoPayloadType else {
                problems.add(.payloadInvalid, "\(label): payloadType is \"\(envelope.payloadType)\", not \(DSSEEnvelope.inTotoPayloadType)", file: file)
                continue
            }
            let result = try DSSESigning.verify(envelope, keys: keys, source: label)
            guard result.isVerified else {
                if envelope.signatures.isEmpty {
                    problems.add(.signatureMissing, "\(label): the envelope has no signatures", file: file)
                } else {
                    problems.add(.signatureInvalid, "\(label): no signature verifies with a trusted key (the envelope was changed, or another key signed it)", file: file)
                }
                continue
            }
            keyIDs += result.verifiedKeyIDs
            let statement = try InTotoStatement(validating: result.payload, source: label)
            verifiedEnvelopes += 1
            seenType = statement.predicateType
            statementSubjects += statement.subject
            if let predicateType, statement.predicateType != predicateType {
                problems.add(.payloadInvalid, "\(label): predicateType is \"\(statement.predicateType)\", expected \"\(predicateType)\"", file: file)
            }
            for (subject, digest) in zip(subjects, subjectDigests) {
                switch digest {
                case .success(let hex) where statement.subjects(matchingSHA256: hex).isEmpty:
                    problems.add(.subjectMismatch, "\(label): \(subject) (sha256 \(hex.prefix(12))…) is not a subject of the Statement", file: file)
                case .failure(let error):
                    throw error
                default: break
                }
            }
        }
        // Verified only when every envelope verified (and there was one).
        let verdict = problems.verdict({ () -> Int? in
            verifiedEnvelopes == envelopes.count && verifiedEnvelopes > 0 ? verifiedEnvelopes : nil
        }, subject: file, file: file)
        return Verification(
            file: file, verified: verdict.isVerified, keyIds: Array(Set(keyIDs)).sorted(), predicateType: seenType,
            subjects: statementSubjects, problems: verdict.problems)
    }
}
