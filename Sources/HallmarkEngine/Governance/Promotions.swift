import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkStore

/// Promotion and rollback requests, approvals and executions: each a signed record appended to the evidence log
/// under state guards (the digest of the chain's previous record), so parallel writers cannot lose or double a
/// transition; a writer that loses the race reads the new state and decides again.
public struct Promotions: Sendable {
    public var context: EngineContext
    public var options: EvidenceStoreOptions

    public init(context: EngineContext, options: EvidenceStoreOptions) {
        self.context = context
        self.options = options
    }

    /// A record a command created (or found already there).
    public struct Created: Codable, Sendable {
        public var schemaVersion = 1
        public var id: String
        public var kind: String
        public var status: String
        public var links: [String: [String]]
        public var logIndex: Int64
        /// True when the record was already in the log (an idempotent repeat).
        public var existing: Bool
    }

    static let retries = 64

    var now: Date { context.clock.now() }
    var nowText: String { RFC3339.format(unixSeconds: Int64(now.timeIntervalSince1970)) }

    // MARK: Requests

    /// `promote request`: asks to move rollout `rolloutID`'s release into `ring`, valid for `expires`.
    public func request(rolloutID: String, ring: String, key: String?, expires: String, actor: String? = nil) async throws(HallmarkError) -> Created {
        let signingKey = try KeyResolver(context: context).signingKey(key)
        let lifetime = try Self.lifetime(expires)
        return try await EvidenceLog.with(context, options, writing: true) { log async throws(HallmarkError) in
            let rollout = try await log.record(rolloutID)
            guard let predicate = rollout.rollout else { throw .usage("\(rolloutID) is a \(rollout.kind.rawValue), not a rollout") }
            guard predicate.status != .failed else {
                throw .verificationFailed("\(rolloutID): the rollout is failed; only a staged or succeeded rollout can be promoted", problem: .promotionStatus)
            }
            guard predicate.rings.contains(ring) else {
                throw .usage("--target-ring \(ring): rollout \(rolloutID) has rings \(predicate.rings.joined(separator: ", "))")
            }
            guard predicate.controls.approvals != nil else {
                throw .invalidInput("\(rolloutID): the deployment names no approvers (deployments.controls.approvals), so no promotion can be approved")
            }
            let request = PromotionRequest(
                rollout: rollout.link, targetRing: ring, release: predicate.release, changeRecord: predicate.changeRecord,
                evidence: ["rollout": rollout.digest, "deploymentManifest": predicate.deploymentManifest.sha256, "index": predicate.release.indexSha256],
                nonce: Self.nonce(), createdAt: nowText, expiresAt: Self.expiry(now, lifetime), rollback: nil, actor: actor,
                signer: SignedRecord.signer(signingKey))
            let subjects = [ResourceDescriptor(name: rollout.id, digest: ["sha256": rollout.digest])]
            let record = try SignedRecord.sign(kind: .promotionRequest, subjects: subjects, predicate: .request(request), key: signingKey)
            return try await appendRequest(record, request: request, dependencies: [rollout], log: log)
        }
    }

    /// `rollback request`: asks to reverse execution `executionID` (putting `toVersion` back).
    public func requestRollback(
        executionID: String, toVersion: String, reason: String, evidence: [String], key: String?, expires: String, actor: String? = nil
    ) async throws(HallmarkError) -> Created {
        let signingKey = try KeyResolver(context: context).signingKey(key)
        let lifetime = try Self.lifetime(expires)
        let evidenceFiles = try evidence.map { (file) throws(HallmarkError) in
            EndpointDeployment.FileDigest(
                file: (file as NSString).lastPathComponent,
                sha256: Hex.encode(SHA256Hasher.hash(try FileIO.read(try context.resolve(file), display: file))))
        }
        try Self.checkEvidenceNames(evidenceFiles, "--evidence")
        return try await EvidenceLog.with(context, options, writing: true) { log async throws(HallmarkError) in
            let reversed = try await log.record(executionID)
            guard let execution = reversed.execution, reversed.kind == .promotionExecution else {
                throw .usage("\(executionID) is a \(reversed.kind.rawValue), not a promotion execution")
            }
            guard execution.status == .succeeded else { throw .usage("\(executionID) failed; there is nothing to roll back") }
            let rollout = try await log.linked(execution.rollout, kinds: [.rollout], from: executionID)
            try await Self.checkEarlier(toVersion, before: reversed, ring: execution.targetRing, log: log)
            let request = PromotionRequest(
                rollout: execution.rollout, targetRing: execution.targetRing, release: execution.release, changeRecord: execution.changeRecord,
                evidence: ["execution": reversed.digest, "rollout": rollout.digest], nonce: Self.nonce(), createdAt: nowText,
                expiresAt: Self.expiry(now, lifetime),
                rollback: .init(execution: reversed.link, toVersion: toVersion, reason: reason, evidence: evidenceFiles), actor: actor,
                signer: SignedRecord.signer(signingKey))
            let subjects = [ResourceDescriptor(name: reversed.id, digest: ["sha256": reversed.digest])]
                + evidenceFiles.map { ResourceDescriptor(name: $0.file, digest: ["sha256": $0.sha256]) }
            let record = try SignedRecord.sign(kind: .rollbackRequest, subjects: subjects, predicate: .request(request), key: signingKey)
            return try await appendRequest(record, request: request, dependencies: [rollout], log: log)
        }
    }

    /// The version a rollback puts back must have succeeded on the ring before the execution it reverses: a
    /// promotion execution in the signed log (the index only finds it; the record itself is checked).
    static func checkEarlier(_ version: String, before reversed: EvidenceRecord, ring: String, log: EvidenceLog) async throws(HallmarkError) {
        let candidates = try await log.search(EvidenceQuery(
            kind: EvidenceKind.promotionExecution.rawValue, status: "succeeded", ring: ring, version: version, before: reversed.index, limit: 20))
        for candidate in candidates {
            let record = try await log.record(candidate.recordID)
            if let execution = record.execution, record.kind == .promotionExecution, execution.status == .succeeded,
                execution.targetRing == ring, execution.release.version == version, (record.index ?? .max) < (reversed.index ?? .min)
            {
                return
            }
        }
        throw .usage("--to \(version): no earlier successful execution of \(version) on ring \(ring); roll back to a version that ran there")
    }

    func appendRequest(_ record: SignedRecord, request: PromotionRequest, dependencies: [EvidenceRecord], log: EvidenceLog) async throws(HallmarkError) -> Created {
        let (row, updates) = try rows(for: record, after: dependencies)
        let guards = [
            StateGuard(key: IndexReplay.requestKey(record.id), expected: nil, next: record.digest),
            StateGuard(key: IndexReplay.nonceKey(request.nonce), expected: nil, next: record.digest),
        ]
        switch try await log.append(record, row: row, updates: updates, guards: guards) {
        case .appended(let index, _):
            var links = ["rollout": [request.rollout.id], "changeRecord": [request.changeRecord]]
            if let rollback = request.rollback { links["reverses"] = [rollback.execution.id] }
            return Created(id: record.id, kind: record.kind.rawValue, status: "pending", links: links, logIndex: index, existing: false)
        case .duplicate, .conflict(_):
            throw .verificationFailed("\(record.id): a request with this nonce or content is already in the log (a replay)", problem: .promotionReplay)
        }
    }

    /// The index rows a new record adds, computed by the replay that rebuilds the index, fed its dependencies first.
    func rows(for record: SignedRecord, after dependencies: [EvidenceRecord]) throws(HallmarkError) -> (IndexRow, [IndexRow]) {
        var replay = IndexReplay()
        for dependency in dependencies { replay.add(dependency, index: dependency.index ?? 0) }
        let verified = try EvidenceRecord.verify(body: record.body, source: record.id)
        let (rows, _) = replay.add(verified, index: -1)
        return (rows[0], Array(rows.dropFirst()))
    }

    static func lifetime(_ text: String) throws(HallmarkError) -> Int64 {
        guard let seconds = DeploymentConfig.seconds(inDuration: text), seconds > 0, seconds <= 90 * 86_400 else {
            throw .usage("--expires \(text): give a duration such as 30m, 24h or 7d (at most 90d)")
        }
        return seconds
    }

    static func expiry(_ now: Date, _ seconds: Int64) -> String {
        RFC3339.format(unixSeconds: Int64(now.timeIntervalSince1970) + seconds)
    }

    /// 128 random bits, hex: what makes two otherwise equal requests different records.
    static func nonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
