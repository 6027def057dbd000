import Foundation

/// The kinds of governance record. Each is an in-toto Statement v1 in a DSSE envelope, with a versioned predicate
/// type of Hallmark's own (no published predicate describes rollouts, promotion requests or approvals).
public enum EvidenceKind: String, Codable, Sendable, CaseIterable {
    case rollout
    case promotionRequest = "promotion-request"
    case promotionApproval = "promotion-approval"
    case promotionExecution = "promotion-execution"
    case rollbackRequest = "rollback-request"
    case rollbackExecution = "rollback-execution"

    public var predicateType: String { "https://hallmark.dev/evidence/\(rawValue)/v1" }

    public init?(predicateType: String) {
        guard let kind = Self.allCases.first(where: { $0.predicateType == predicateType }) else { return nil }
        self = kind
    }

    /// The prefix of this kind's record ids.
    public var idPrefix: String {
        switch self {
        case .rollout: "ro"
        case .promotionRequest: "pr"
        case .promotionApproval: "pa"
        case .promotionExecution: "px"
        case .rollbackRequest: "rr"
        case .rollbackExecution: "rx"
        }
    }

    /// A record's id: its kind's prefix and the first 24 hex digits of the sha256 of its envelope bytes.
    public func recordID(digest: String) -> String { "\(idPrefix)-\(digest.prefix(24))" }
}

/// A reference to another record: its id and the sha256 of its envelope bytes, so a changed record breaks the link.
public struct RecordLink: Codable, Sendable, Equatable, Hashable {
    public var id: String
    public var sha256: String

    public init(id: String, sha256: String) {
        self.id = id
        self.sha256 = sha256
    }
}

/// Who signed a record: the key id (hex SHA-256 of the SPKI DER) and the public key (PEM), so the record verifies
/// on its own; whether that key may act is the rule's business (an approver set, a requester).
public struct EvidenceSigner: Codable, Sendable, Equatable {
    public var keyId: String
    public var publicKey: String

    public init(keyId: String, publicKey: String) {
        self.keyId = keyId
        self.publicKey = publicKey
    }
}

/// The release a record concerns.
public struct EvidenceRelease: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    /// sha256 of the release's index.json.
    public var indexSha256: String

    public init(name: String, version: String, indexSha256: String) {
        self.name = name
        self.version = version
        self.indexSha256 = indexSha256
    }
}

/// `https://hallmark.dev/evidence/rollout/v1`: a release staged (or rolled out) to a deployment under a change
/// record, with the targets selected and the controls that govern its promotion.
public struct RolloutEvidence: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case staged, succeeded, failed
    }

    public var schemaVersion = 1
    public var deploymentId: String
    public var changeRecord: String
    public var environment: String
    public var status: Status
    public var release: EvidenceRelease
    public var commit: String
    /// The endpoint deployment manifest the targets and controls come from, and its digest.
    public var deploymentManifest: EndpointDeployment.FileDigest
    /// The rollout's own files (rollout-evidence.md, the copies of index.json and the manifest) and digests.
    public var files: [EndpointDeployment.FileDigest]
    public var rings: [String]
    public var targets: [EndpointDeployment.Target]
    public var controls: EndpointDeployment.Controls
    public var capturedAt: String
    public var signer: EvidenceSigner

    public init(
        deploymentId: String, changeRecord: String, environment: String, status: Status, release: EvidenceRelease, commit: String,
        deploymentManifest: EndpointDeployment.FileDigest, files: [EndpointDeployment.FileDigest], rings: [String],
        targets: [EndpointDeployment.Target], controls: EndpointDeployment.Controls, capturedAt: String, signer: EvidenceSigner
    ) {
        self.deploymentId = deploymentId
        self.changeRecord = changeRecord
        self.environment = environment
        self.status = status
        self.release = release
        self.commit = commit
        self.deploymentManifest = deploymentManifest
        self.files = files
        self.rings = rings
        self.targets = targets
        self.controls = controls
        self.capturedAt = capturedAt
        self.signer = signer
    }
}

/// `…/promotion-request/v1` and `…/rollback-request/v1`: a signed ask to move a rollout's release into a ring (or,
/// with `rollback`, to put an earlier version back), valid until `expiresAt`.
public struct PromotionRequest: Codable, Sendable, Equatable {
    /// What a rollback request reverses, and why.
    public struct Rollback: Codable, Sendable, Equatable {
        public var execution: RecordLink
        public var toVersion: String
        public var reason: String
        /// Files given as the evidence of why (name and sha256).
        public var evidence: [EndpointDeployment.FileDigest]

        public init(execution: RecordLink, toVersion: String, reason: String, evidence: [EndpointDeployment.FileDigest]) {
            self.execution = execution
            self.toVersion = toVersion
            self.reason = reason
            self.evidence = evidence
        }
    }

    public var schemaVersion = 1
    public var rollout: RecordLink
    public var targetRing: String
    public var release: EvidenceRelease
    public var changeRecord: String
    /// The digests of the evidence the request rests on: the rollout record and its deployment manifest.
    public var evidence: [String: String]
    public var nonce: String
    public var createdAt: String
    public var expiresAt: String
    public var rollback: Rollback?
    /// Who asked, when a service signed for them: `hallmark serve`'s API token name (absent when the signer asked).
    public var actor: String?
    public var signer: EvidenceSigner

    public init(
        rollout: RecordLink, targetRing: String, release: EvidenceRelease, changeRecord: String, evidence: [String: String],
        nonce: String, createdAt: String, expiresAt: String, rollback: Rollback?, actor: String? = nil, signer: EvidenceSigner
    ) {
        self.actor = actor
        self.rollout = rollout
        self.targetRing = targetRing
        self.release = release
        self.changeRecord = changeRecord
        self.evidence = evidence
        self.nonce = nonce
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.rollback = rollback
        self.signer = signer
    }
}

/// `…/promotion-approval/v1`: an approver's decision on one exact request (its id and digest).
public struct PromotionApproval: Codable, Sendable, Equatable {
    public enum Decision: String, Codable, Sendable {
        case approve, reject
    }

    public var schemaVersion = 1
    public var request: RecordLink
    /// The request's chain as this decision found it: the latest record of it (the request, a decision).
    public var after: RecordLink?
    public var decision: Decision
    public var comment: String?
    public var createdAt: String
    public var signer: EvidenceSigner

    public init(request: RecordLink, after: RecordLink?, decision: Decision, comment: String?, createdAt: String, signer: EvidenceSigner) {
        self.request = request
        self.after = after
        self.decision = decision
        self.comment = comment
        self.createdAt = createdAt
        self.signer = signer
    }
}

/// `…/promotion-execution/v1` and `…/rollback-execution/v1`: a request carried out, linked to everything it rests
/// on.
public struct PromotionExecution: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case succeeded, failed
    }

    public var schemaVersion = 1
    public var request: RecordLink
    /// The request's chain as this execution found it: its latest decision.
    public var after: RecordLink?
    public var approvals: [RecordLink]
    public var rollout: RecordLink
    public var changeRecord: String
    public var targetRing: String
    public var release: EvidenceRelease
    public var targets: [String]
    public var status: Status
    /// For a rollback: the execution it reverses, and the version put back.
    public var reverses: RecordLink?
    public var toVersion: String?
    /// The execution this ring's promotion followed (the previous ring's), when there is one.
    public var previous: RecordLink?
    public var executedAt: String
    /// Who asked, when a service signed for them: `hallmark serve`'s API token name (absent when the signer asked).
    public var actor: String?
    public var signer: EvidenceSigner

    public init(
        request: RecordLink, after: RecordLink?, approvals: [RecordLink], rollout: RecordLink, changeRecord: String, targetRing: String,
        release: EvidenceRelease, targets: [String], status: Status, reverses: RecordLink?, toVersion: String?,
        previous: RecordLink?, executedAt: String, actor: String? = nil, signer: EvidenceSigner
    ) {
        self.actor = actor
        self.request = request
        self.after = after
        self.approvals = approvals
        self.rollout = rollout
        self.changeRecord = changeRecord
        self.targetRing = targetRing
        self.release = release
        self.targets = targets
        self.status = status
        self.reverses = reverses
        self.toVersion = toVersion
        self.previous = previous
        self.executedAt = executedAt
        self.signer = signer
    }
}

/// A record's predicate, by kind.
public enum EvidencePredicate: Sendable, Equatable {
    case rollout(RolloutEvidence)
    case request(PromotionRequest)
    case approval(PromotionApproval)
    case execution(PromotionExecution)

    public var signer: EvidenceSigner {
        switch self {
        case .rollout(let p): p.signer
        case .request(let p): p.signer
        case .approval(let p): p.signer
        case .execution(let p): p.signer
        }
    }

    /// The record's time (RFC 3339).
    public var time: String {
        switch self {
        case .rollout(let p): p.capturedAt
        case .request(let p): p.createdAt
        case .approval(let p): p.createdAt
        case .execution(let p): p.executedAt
        }
    }

    /// Decodes the predicate of a Statement of `kind`.
    public init(kind: EvidenceKind, predicate: JSONValue, source: String) throws(HallmarkError) {
        let data: Data
        do { data = try CanonicalJSON.canonicalData(predicate) } catch { throw .invalidInput("\(source): the predicate cannot be read: \(error)") }
        switch kind {
        case .rollout: self = .rollout(try CanonicalJSON.decode(RolloutEvidence.self, from: data, source: source))
        case .promotionRequest, .rollbackRequest:
            let request = try CanonicalJSON.decode(PromotionRequest.self, from: data, source: source)
            guard (request.rollback != nil) == (kind == .rollbackRequest) else {
                throw .invalidInput("\(source): a \(kind.rawValue) \(kind == .rollbackRequest ? "needs" : "must not have") a rollback section")
            }
            self = .request(request)
        case .promotionApproval: self = .approval(try CanonicalJSON.decode(PromotionApproval.self, from: data, source: source))
        case .promotionExecution, .rollbackExecution:
            let execution = try CanonicalJSON.decode(PromotionExecution.self, from: data, source: source)
            guard (execution.reverses != nil) == (kind == .rollbackExecution) else {
                throw .invalidInput("\(source): a \(kind.rawValue) \(kind == .rollbackExecution ? "needs" : "must not have") reverses")
            }
            self = .execution(execution)
        }
        guard schemaVersion == 1 else { throw .invalidInput("\(source): predicate schemaVersion \(schemaVersion) is not supported (this hallmark reads 1)") }
    }

    var schemaVersion: Int {
        switch self {
        case .rollout(let p): p.schemaVersion
        case .request(let p): p.schemaVersion
        case .approval(let p): p.schemaVersion
        case .execution(let p): p.schemaVersion
        }
    }

    /// The predicate as JSON.
    public var jsonValue: JSONValue {
        get throws {
            switch self {
            case .rollout(let p): try CanonicalJSON.jsonValue(p)
            case .request(let p): try CanonicalJSON.jsonValue(p)
            case .approval(let p): try CanonicalJSON.jsonValue(p)
            case .execution(let p): try CanonicalJSON.jsonValue(p)
            }
        }
    }
}
