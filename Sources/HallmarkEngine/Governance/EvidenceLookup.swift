import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkStore

/// One record as the API and `hallmark serve` show it: verified from the log (inclusion under the signed
/// checkpoint, signature), with its Statement and its inclusion proof; and the log's latest checkpoint.
public struct EvidenceLookup: Sendable {
    public struct Shown: Codable, Sendable {
        public var schemaVersion = 1
        public var id: String
        public var kind: String
        public var sha256: String
        public var logIndex: Int64
        public var verified: Bool
        public var signer: EvidenceSigner
        public var statement: JSONValue
        public var inclusion: Inclusion
    }

    public struct Inclusion: Codable, Sendable {
        public var treeSize: Int64
        public var leafIndex: Int64
        public var hashes: [String]
    }

    public struct Checkpoint: Codable, Sendable {
        public var schemaVersion = 1
        public var origin: String
        public var treeSize: Int64
        public var note: String
    }

    public var context: EngineContext
    public var options: EvidenceStoreOptions

    public init(context: EngineContext, options: EvidenceStoreOptions) {
        self.context = context
        self.options = options
    }

    public func show(_ id: String) async throws(HallmarkError) -> Shown {
        try await EvidenceLog.with(context, options, writing: false) { log async throws(HallmarkError) in
            let record = try await log.record(id)
            guard let index = record.index else { throw .invalidInput("\(id): no such record in \(log.location)") }
            let signed = try await log.signedHead(covering: index)
            let proof = try await log.inclusionProof(leaf: index, size: signed.size)
            let envelope = try CanonicalJSON.decode(DSSEEnvelope.self, from: record.body, source: id)
            let payload = try envelope.payloadBytes(source: id)
            let statement: JSONValue
            do { statement = try JSONValue(parsing: payload) } catch { throw .invalidInput("\(id): the payload is not JSON: \(error)") }
            return Shown(
                id: record.id, kind: record.kind.rawValue, sha256: record.digest, logIndex: index, verified: true,
                signer: record.predicate.signer, statement: statement,
                inclusion: Inclusion(treeSize: signed.size, leafIndex: index, hashes: proof.map { Hex.encode($0) }))
        }
    }

    /// An inclusion proof of record `id` under the latest checkpoint, with that checkpoint: what an auditor checks
    /// offline (leaf = SHA-256(0x00 ‖ record bytes)).
    public struct Proof: Codable, Sendable {
        public var schemaVersion = 1
        public var id: String
        public var sha256: String
        public var leafHash: String
        public var inclusion: Inclusion
        public var checkpoint: Checkpoint
    }

    public func proof(_ id: String) async throws(HallmarkError) -> Proof {
        try await EvidenceLog.with(context, options, writing: false) { log async throws(HallmarkError) in
            let record = try await log.record(id)
            guard let index = record.index else { throw .invalidInput("\(id): no such record in \(log.location)") }
            let signed = try await log.signedHead(covering: index)
            guard let stored = try await log.store.checkpoint(size: signed.size) else {
                throw .verificationFailed("\(log.location): no checkpoint at size \(signed.size)", problem: .evidenceCheckpointInvalid)
            }
            let hashes = try await log.inclusionProof(leaf: index, size: signed.size)
            return Proof(
                id: record.id, sha256: record.digest, leafHash: Hex.encode(MerkleTree.leafHash(record.body)),
                inclusion: Inclusion(treeSize: signed.size, leafIndex: index, hashes: hashes.map { Hex.encode($0) }),
                checkpoint: Checkpoint(origin: log.origin, treeSize: signed.size, note: stored.note))
        }
    }

    public func checkpoint() async throws(HallmarkError) -> Checkpoint {
        try await EvidenceLog.with(context, options, writing: false) { log async throws(HallmarkError) in
            let (size, note) = try await log.latestCheckpoint()
            return Checkpoint(origin: log.origin, treeSize: size, note: note)
        }
    }

    /// Whether the store answers (for a readiness probe): its log size.
    public func ready() async throws(HallmarkError) -> Int64 {
        try await EvidenceLog.with(context, options, writing: false) { log async throws(HallmarkError) in
            try await log.store.logSize()
        }
    }
}
