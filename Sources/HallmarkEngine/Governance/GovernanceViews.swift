import Foundation
import HallmarkArchive
import HallmarkConcurrency
import HallmarkCore
import HallmarkCrypto
import HallmarkStore

/// What the API and the console show of a request, an execution, and a record's files: each read back verified
/// from the log, its readiness from ``Readiness`` (the one place it is computed).
public struct GovernanceViews: Sendable {
    public var context: EngineContext
    public var options: EvidenceStoreOptions

    public init(context: EngineContext, options: EvidenceStoreOptions) {
        self.context = context
        self.options = options
    }

    /// One record of a request's chain, as a line of its history.
    public struct ChainEntry: Codable, Sendable {
        public var id: String
        public var kind: String
        public var outcome: String
        public var signerKeyId: String
        public var time: String
        public var comment: String?
        public var actor: String?
    }

    public struct RequestView: Codable, Sendable {
        public var schemaVersion = 1
        public var id: String
        public var kind: String
        public var sha256: String
        public var logIndex: Int64
        public var request: PromotionRequest
        /// The record itself (its canonical DSSE envelope, as text): what an approver's command checks and signs over.
        public var envelope: String
        /// The latest record of the request's chain: what a decision signed now must name as `after`.
        public var after: RecordLink
        public var chain: [ChainEntry]
        public var approvers: [String]
        public var readiness: Readiness.Report
        public var execution: String?
    }

    public func request(_ id: String) async throws(HallmarkError) -> RequestView {
        try await EvidenceLog.with(context, options, writing: false) { log async throws(HallmarkError) in
            let record = try await log.record(id)
            guard let request = record.request, let index = record.index else {
                throw .usage("\(id) is a \(record.kind.rawValue), not a promotion or rollback request")
            }
            let rollout = try await log.linked(request.rollout, kinds: [.rollout], from: id)
            let chain = try await log.chain(of: record)
            let report = try await Readiness(log: log, now: context.clock.now()).evaluate(requestID: id).report
            return RequestView(
                id: record.id, kind: record.kind.rawValue, sha256: record.digest, logIndex: index, request: request,
                envelope: String(decoding: record.body, as: UTF8.self), after: chain.last?.link ?? record.link,
                chain: chain.map(Self.entry), approvers: rollout.rollout?.controls.approvals?.approvers ?? [], readiness: report,
                execution: chain.first { $0.execution != nil }?.id)
        }
    }

    static func entry(_ record: EvidenceRecord) -> ChainEntry {
        switch record.predicate {
        case .approval(let approval):
            ChainEntry(id: record.id, kind: record.kind.rawValue, outcome: approval.decision.rawValue, signerKeyId: approval.signer.keyId, time: approval.createdAt, comment: approval.comment)
        case .execution(let execution):
            ChainEntry(id: record.id, kind: record.kind.rawValue, outcome: execution.status.rawValue, signerKeyId: execution.signer.keyId, time: execution.executedAt, actor: execution.actor)
        case .request(let request):
            ChainEntry(id: record.id, kind: record.kind.rawValue, outcome: "requested", signerKeyId: request.signer.keyId, time: request.createdAt, actor: request.actor)
        case .rollout(let rollout):
            ChainEntry(id: record.id, kind: record.kind.rawValue, outcome: rollout.status.rawValue, signerKeyId: rollout.signer.keyId, time: rollout.capturedAt)
        }
    }

    public struct ExecutionLinks: Codable, Sendable {
        public var request: String
        public var approvals: [String]
        public var rollout: String
        public var changeRecord: String
        public var previous: String?
        public var reverses: String?
        /// Rollback requests that ask to reverse this execution, and the executions that carried them out.
        public var rollbackRequests: [String]
        public var rollbackExecutions: [String]
    }

    public struct ExecutionView: Codable, Sendable {
        public var schemaVersion = 1
        public var id: String
        public var kind: String
        public var sha256: String
        public var logIndex: Int64
        public var execution: PromotionExecution
        public var links: ExecutionLinks
    }

    public func execution(_ id: String) async throws(HallmarkError) -> ExecutionView {
        try await EvidenceLog.with(context, options, writing: false) { log async throws(HallmarkError) in
            let record = try await log.record(id)
            guard let execution = record.execution, let index = record.index else {
                throw .usage("\(id) is a \(record.kind.rawValue), not a promotion or rollback execution")
            }
            // Each link is followed and checked (by digest), so a link the page shows is one the log has.
            _ = try await log.linked(execution.request, kinds: [.promotionRequest, .rollbackRequest], from: id)
            _ = try await log.linked(execution.rollout, kinds: [.rollout], from: id)
            for approval in execution.approvals { _ = try await log.linked(approval, kinds: [.promotionApproval], from: id) }
            var rollbackRequests: [String] = []
            var rollbackExecutions: [String] = []
            for row in try await log.search(EvidenceQuery(kind: EvidenceKind.rollbackRequest.rawValue, subject: id, limit: 100)) {
                let rollback = try await log.record(row.recordID)
                guard rollback.request?.rollback?.execution == record.link else { continue }
                rollbackRequests.append(rollback.id)
                if let done = try await log.chain(of: rollback).first(where: { $0.execution != nil }) { rollbackExecutions.append(done.id) }
            }
            return ExecutionView(
                id: record.id, kind: record.kind.rawValue, sha256: record.digest, logIndex: index, execution: execution,
                links: ExecutionLinks(
                    request: execution.request.id, approvals: execution.approvals.map(\.id), rollout: execution.rollout.id,
                    changeRecord: execution.changeRecord, previous: execution.previous?.id, reverses: execution.reverses?.id,
                    rollbackRequests: rollbackRequests.sorted(), rollbackExecutions: rollbackExecutions.sorted()))
        }
    }

    // MARK: Artifacts

    /// One file a record rests on, and whether the copy under the artifact root is the one the record names.
    public struct Artifact: Codable, Sendable {
        public enum Integrity: String, Codable, Sendable {
            case verified, mismatch, missing
            case tooLarge = "too-large"
        }
        public var name: String
        public var sha256: String
        public var integrity: Integrity
        public var size: Int64?
    }

    public struct ArtifactsView: Codable, Sendable {
        public var schemaVersion = 1
        public var id: String
        public var kind: String
        public var deploymentId: String
        public var files: [Artifact]
        /// The promotion readiness the record bears on: its request's, or for a rollout each ring's latest request.
        public var readiness: [Readiness.Report]
    }

    /// The files of record `id`: its rollout's directory (the record, the index and manifest copies, the summary)
    /// and, for a rollback, the evidence files it names — found under `root/DEPLOYMENT_ID/` (evidence files in
    /// its `evidence/`), never outside `root`.
    public func artifacts(_ id: String, root: String?) async throws(HallmarkError) -> ArtifactsView {
        try await EvidenceLog.with(context, options, writing: false) { log async throws(HallmarkError) in
            let (record, rollout, files) = try await expectedFiles(id, log: log)
            guard let predicate = rollout.rollout else { throw .usage("\(rollout.id) is not a rollout") }
            let artifactRoot = try root.map { (path) throws(HallmarkError) in try ArtifactRoot(path: path) }
            var artifacts: [Artifact] = []
            for file in files {
                var artifact = Artifact(name: file.file, sha256: file.sha256, integrity: .missing, size: nil)
                if let artifactRoot {
                    (artifact.integrity, artifact.size) = try await check(artifactRoot, predicate.deploymentId, file)
                }
                artifacts.append(artifact)
            }
            let readiness = Readiness(log: log, now: context.clock.now())
            var reports: [Readiness.Report] = []
            switch record.predicate {
            case .rollout(let rolloutPredicate):
                for ring in rolloutPredicate.rings { reports.append(try await readiness.evaluate(rolloutID: record.id, ring: ring).report) }
            case .request:
                reports.append(try await readiness.evaluate(requestID: record.id).report)
            case .approval(let approval):
                reports.append(try await readiness.evaluate(requestID: approval.request.id).report)
            case .execution(let execution):
                reports.append(try await readiness.evaluate(requestID: execution.request.id).report)
            }
            return ArtifactsView(id: record.id, kind: record.kind.rawValue, deploymentId: predicate.deploymentId, files: artifacts, readiness: reports)
        }
    }

    /// One file of record `id` (by the name the artifacts list gives), checked against the record's digest.
    public func artifact(_ id: String, name: String, root: String?) async throws(HallmarkError) -> Data {
        guard let root else { throw .usage("no artifact root: start hallmark serve with --artifact-root (or HALLMARK_EVIDENCE_ARTIFACT_ROOT)") }
        let artifactRoot = try ArtifactRoot(path: root)
        return try await EvidenceLog.with(context, options, writing: false) { log async throws(HallmarkError) in
            let (_, rollout, files) = try await expectedFiles(id, log: log)
            guard let file = files.first(where: { $0.file == name }), let deployment = rollout.rollout?.deploymentId else {
                throw .invalidInput("\(id) has no file named \(name.prefix(100)); no such record file")
            }
            return try await context.blocking.run { () throws(HallmarkError) -> Data in
                guard let data = try artifactRoot.read(deployment, file.file) else {
                    throw .invalidInput("\(name): not under the artifact root; no such record file")
                }
                guard Hex.encode(SHA256Hasher.hash(data)) == file.sha256 else {
                    throw .verificationFailed("\(name): its sha256 is not the one \(id) names (the copy was changed)", problem: .fileModified)
                }
                return data
            }
        }
    }

    /// Every file of record `id` that verifies, with `checksums.txt` over them, as a deterministic zip. A missing or
    /// changed file fails the bundle rather than leaving it out.
    public func bundle(_ id: String, root: String?) async throws(HallmarkError) -> Data {
        guard let root else { throw .usage("no artifact root: start hallmark serve with --artifact-root (or HALLMARK_EVIDENCE_ARTIFACT_ROOT)") }
        let artifactRoot = try ArtifactRoot(path: root)
        let (deployment, expected) = try await EvidenceLog.with(context, options, writing: false) { log async throws(HallmarkError) in
            let (_, rollout, expected) = try await expectedFiles(id, log: log)
            return (rollout.rollout?.deploymentId ?? "", expected)
        }
        // Reading, hashing and zipping run on the blocking pool.
        let scratch = context.scratchDirectory
        return try await context.blocking.run { () throws(HallmarkError) -> Data in
            var files: [(String, Data)] = []
            for file in expected {
                guard let data = try artifactRoot.read(deployment, file.file) else {
                    throw .verificationFailed("\(file.file): not under the artifact root", problem: .fileMissing)
                }
                guard Hex.encode(SHA256Hasher.hash(data)) == file.sha256 else {
                    throw .verificationFailed("\(file.file): its sha256 is not the one \(id) names (the copy was changed)", problem: .fileModified)
                }
                files.append((file.file, data))
            }
            let checksums = ChecksumList(entries: files.map { ChecksumEntry(algorithm: .sha256, digest: Hex.encode(SHA256Hasher.hash($0.1)), path: $0.0) })
            let entries = (files + [(ReleaseDirectory.checksums, checksums.gnuData)]).sorted { $0.0 < $1.0 }
            let staging = scratch + "/bundle-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).zip"
            defer { FileIO.removeQuietly(staging) }
            _ = try DeterministicArchiver(modificationTime: 315_532_800, parallelism: 1)
                .write(entries.map { ArchiveEntry(path: $0.0, content: .data($0.1), mode: 0o644) }, format: .zip, to: staging)
            return try FileIO.read(staging, display: "the bundle")
        }
    }

    /// Whether the copy of `file` under the root is the one the record names, hashed on the blocking pool; the
    /// size only of a verified file (a changed copy says no more than that it changed).
    func check(_ root: ArtifactRoot, _ deployment: String, _ file: EndpointDeployment.FileDigest) async throws(HallmarkError) -> (Artifact.Integrity, Int64?) {
        try await context.blocking.run { () throws(HallmarkError) -> (Artifact.Integrity, Int64?) in
            let found: Data?
            do throws(HallmarkError) {
                found = try root.read(deployment, file.file)
            } catch where error.code == .invalidInput {
                return (.tooLarge, nil)
            }
            guard let found else { return (.missing, nil) }
            return Hex.encode(SHA256Hasher.hash(found)) == file.sha256 ? (.verified, Int64(found.count)) : (.mismatch, nil)
        }
    }


    /// The record, its rollout, and the files they name.
    func expectedFiles(_ id: String, log: EvidenceLog) async throws(HallmarkError) -> (EvidenceRecord, EvidenceRecord, [EndpointDeployment.FileDigest]) {
        let record = try await log.record(id)
        let rollout: EvidenceRecord
        var extra: [EndpointDeployment.FileDigest] = []
        switch record.predicate {
        case .rollout: rollout = record
        case .request(let request):
            rollout = try await log.linked(request.rollout, kinds: [.rollout], from: id)
            extra = (request.rollback?.evidence ?? []).map { .init(file: "evidence/" + $0.file, sha256: $0.sha256) }
        case .approval(let approval):
            let request = try await log.linked(approval.request, kinds: [.promotionRequest, .rollbackRequest], from: id)
            rollout = try await log.linked(request.request?.rollout ?? approval.request, kinds: [.rollout], from: request.id)
        case .execution(let execution):
            rollout = try await log.linked(execution.rollout, kinds: [.rollout], from: id)
            if execution.reverses != nil {
                let request = try await log.linked(execution.request, kinds: [.rollbackRequest], from: id)
                extra = (request.request?.rollback?.evidence ?? []).map { .init(file: "evidence/" + $0.file, sha256: $0.sha256) }
            }
        }
        guard let predicate = rollout.rollout else { throw .usage("\(rollout.id) is not a rollout") }
        let files = [EndpointDeployment.FileDigest(file: RolloutCapture.recordFile, sha256: rollout.digest)] + predicate.files + extra
        var seen = Set<String>()
        return (record, rollout, files.filter { seen.insert($0.file).inserted })
    }
}

/// The directory `hallmark serve --artifact-root` serves record files from: `ROOT/DEPLOYMENT_ID/` is a rollout
/// directory as `rollout capture --out` writes it, and a rollback's evidence files are in
/// `ROOT/DEPLOYMENT_ID.evidence/`. Files are read by ``RegularFile/readBeneath(_:_:limit:display:)``: no symbolic
/// link is followed and nothing outside the root is opened.
struct ArtifactRoot: Sendable {
    let path: String
    static let limit = 512 * 1024 * 1024

    init(path: String) throws(HallmarkError) {
        guard FileStatus.entryType(path) == .directory else {
            throw .usage("\(path): the artifact root is not a directory")
        }
        self.path = path
    }

    /// The file `name` (as a record lists it) of deployment `deployment`, or nil when there is none.
    func read(_ deployment: String, _ name: String) throws(HallmarkError) -> Data? {
        guard RelativePath.nonCanonicalReason(name) == nil, RelativePath.nonCanonicalReason(deployment) == nil, !deployment.contains("/") else {
            return nil
        }
        var components = name.split(separator: "/").map(String.init)
        if components.first == Self.evidenceDirectory, components.count == 2 {
            components = [deployment + ".evidence", components[1]]
        } else {
            components.insert(deployment, at: 0)
        }
        return try RegularFile.readBeneath(path, components, limit: Self.limit, display: name).map { Data($0) }
    }

    /// How a record names a rollback's evidence file: `evidence/NAME`.
    static let evidenceDirectory = "evidence"
}
