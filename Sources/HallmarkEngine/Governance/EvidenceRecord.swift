import Foundation
import HallmarkCore
import HallmarkCrypto

/// A governance record as signed bytes: the canonical JSON of its DSSE envelope, whose sha256 is its digest and
/// whose kind prefix and digest make its id.
struct SignedRecord: Sendable {
    var kind: EvidenceKind
    var body: Data
    var digest: String
    var id: String
    var predicate: EvidencePredicate

    var link: RecordLink { RecordLink(id: id, sha256: digest) }

    /// Signs `predicate` as a Statement about `subjects` with `key`.
    static func sign(
        kind: EvidenceKind, subjects: [ResourceDescriptor], predicate: EvidencePredicate, key: PrivateKey
    ) throws(HallmarkError) -> SignedRecord {
        let statement: InTotoStatement
        let payload: Data
        do {
            statement = InTotoStatement(subject: subjects, predicateType: kind.predicateType, predicate: try predicate.jsonValue)
            payload = try CanonicalJSON.canonicalData(statement)
        } catch {
            throw .io("cannot encode the \(kind.rawValue) record: \(error)")
        }
        let envelope = try DSSESigning.sign(payload: payload, payloadType: DSSEEnvelope.inTotoPayloadType, keys: [key])
        let body: Data
        do { body = try CanonicalJSON.canonicalData(envelope) } catch { throw .io("cannot encode the envelope: \(error)") }
        let digest = Hex.encode(SHA256Hasher.hash(body))
        return SignedRecord(kind: kind, body: body, digest: digest, id: kind.recordID(digest: digest), predicate: predicate)
    }

    /// The signer block for `key`.
    static func signer(_ key: PrivateKey) -> EvidenceSigner {
        EvidenceSigner(keyId: key.publicKey.keyID, publicKey: key.publicKey.pemText)
    }
}

/// A record read back and checked: its envelope verifies with the key it names, its Statement is a record of its
/// kind, and its id is its digest's. Only ``verify(body:expectedID:index:source:)`` makes one.
public struct EvidenceRecord: Sendable {
    public let kind: EvidenceKind
    public let id: String
    public let digest: String
    public let body: Data
    public let predicate: EvidencePredicate
    public let subjects: [ResourceDescriptor]
    /// The record's leaf index in the log (nil for a record not read from a log).
    public let index: Int64?

    public var link: RecordLink { RecordLink(id: id, sha256: digest) }
    public var signerKeyID: String { predicate.signer.keyId }

    private init(
        kind: EvidenceKind, id: String, digest: String, body: Data, predicate: EvidencePredicate, subjects: [ResourceDescriptor],
        index: Int64?
    ) {
        self.kind = kind
        self.id = id
        self.digest = digest
        self.body = body
        self.predicate = predicate
        self.subjects = subjects
        self.index = index
    }

    /// Checks `body` as a record. Malformed bytes throw `invalidInput`; a signature that does not verify with the
    /// key the record names, or an id that is not the digest's, throws `verificationFailed`
    /// (`evidence.signature-invalid`, `evidence.record-changed`).
    public static func verify(body: Data, expectedID: String? = nil, index: Int64? = nil, source: String) throws(HallmarkError) -> EvidenceRecord {
        let envelope = try CanonicalJSON.decode(DSSEEnvelope.self, from: body, source: source)
        guard envelope.payloadType == DSSEEnvelope.inTotoPayloadType else {
            throw .invalidInput("\(source): payloadType is \"\(envelope.payloadType)\", not \(DSSEEnvelope.inTotoPayloadType)")
        }
        let statement = try InTotoStatement(validating: try envelope.payloadBytes(source: source), source: source)
        guard let kind = EvidenceKind(predicateType: statement.predicateType) else {
            throw .invalidInput("\(source): predicateType \(statement.predicateType) is not a Hallmark evidence record")
        }
        let predicate = try EvidencePredicate(kind: kind, predicate: statement.predicate ?? .object([:]), source: source)
        let key = try PublicKey(pem: predicate.signer.publicKey, source: "\(source) signer.publicKey")
        guard key.keyID == predicate.signer.keyId else {
            throw .verificationFailed("\(source): signer.keyId is not the id of signer.publicKey", problem: .evidenceSignatureInvalid)
        }
        let check = try DSSESigning.verify(envelope, keys: [key], source: source)
        guard check.isVerified else {
            throw .verificationFailed("\(source): the signature does not verify with the signer's key (the record was changed)", problem: .evidenceSignatureInvalid)
        }
        let digest = Hex.encode(SHA256Hasher.hash(body))
        let id = kind.recordID(digest: digest)
        if let expectedID, expectedID != id {
            throw .verificationFailed("\(source): the record stored as \(expectedID) hashes to \(id) (it was changed after it was logged)", problem: .evidenceRecordChanged)
        }
        return EvidenceRecord(kind: kind, id: id, digest: digest, body: body, predicate: predicate, subjects: statement.subject, index: index)
    }

    /// The record's time in Unix seconds.
    public var unixTime: Int64 { RFC3339.parse(predicate.time).map { Int64($0.timeIntervalSince1970) } ?? 0 }

    public var rollout: RolloutEvidence? { if case .rollout(let p) = predicate { p } else { nil } }
    public var request: PromotionRequest? { if case .request(let p) = predicate { p } else { nil } }
    public var approval: PromotionApproval? { if case .approval(let p) = predicate { p } else { nil } }
    public var execution: PromotionExecution? { if case .execution(let p) = predicate { p } else { nil } }
}
