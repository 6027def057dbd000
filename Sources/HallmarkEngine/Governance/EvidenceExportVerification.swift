import Foundation
import HallmarkArchive
import HallmarkCore
import HallmarkCrypto

/// `hallmark evidence verify-export X.zip --key LOG.pub`: offline, with the log's public key only — the checkpoint
/// is the log's, every record's inclusion proof leads to it, every record verifies, links within the export hold
/// (by digest), and every execution carries N of M approvals by the deployment's approvers.
public struct EvidenceExportVerification: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public struct Report: Codable, Sendable {
        public var schemaVersion = VerificationReportSchema.version
        public var file: String
        public var verified: Bool
        public var changeRecord: String?
        public var origin: String?
        public var treeSize: Int64?
        public var records: [String]
        public var problems: [VerificationProblem]
    }

    public func verify(file: String, key: String) async throws(HallmarkError) -> Report {
        let logKey = try KeyResolver(context: context).publicKey(key)
        let path = try context.resolve(file)
        let kept = try ArchiveReader().members(of: path, format: .zip, display: file) { $0.kind == .file }.kept
        var problems = ProblemList()
        let files = checkedFiles(kept, problems: &problems)
        guard let manifestData = files[EvidenceExport.manifestFile] else {
            throw .invalidInput("\(file): no \(EvidenceExport.manifestFile); not a Hallmark evidence export")
        }
        let manifest = try CanonicalJSON.decode(EvidenceExport.Manifest.self, from: manifestData, source: "\(file): \(EvidenceExport.manifestFile)")
        var records: [String: EvidenceRecord] = [:]
        if let root = checkpointRoot(files, manifest: manifest, key: logKey, problems: &problems) {
            for entry in manifest.records {
                if let record = check(entry, files: files, root: root, manifest: manifest, problems: &problems) { records[record.id] = record }
            }
        }
        checkLinks(records, problems: &problems)
        checkChangeRecord(records, changeRecord: manifest.changeRecord, problems: &problems)
        let verdict = problems.verdict({ records.count == manifest.records.count && !records.isEmpty ? records.count : nil }, subject: file, file: file)
        return Report(
            file: file, verified: verdict.isVerified, changeRecord: manifest.changeRecord, origin: manifest.origin, treeSize: manifest.treeSize,
            records: manifest.records.map(\.id), problems: verdict.problems)
    }

    /// Members matched against checksums.txt (every member listed, every digest right).
    func checkedFiles(_ kept: [String: Data], problems: inout ProblemList) -> [String: Data] {
        guard let listing = kept[ReleaseDirectory.checksums] else {
            problems.add(.fileMissing, "no checksums.txt in the export", file: ReleaseDirectory.checksums)
            return [:]
        }
        let list = ChecksumList(parsing: listing, algorithm: .sha256)
        var files: [String: Data] = [:]
        for entry in list.entries {
            guard let data = kept[entry.path] else {
                problems.add(.fileMissing, "\(entry.path) is listed but not in the export", file: entry.path)
                continue
            }
            guard Hex.encode(SHA256Hasher.hash(data)) == entry.digest.lowercased() else {
                problems.add(.fileModified, "\(entry.path) does not match its checksum (it was changed)", file: entry.path)
                continue
            }
            files[entry.path] = data
        }
        for name in kept.keys.sorted() where name != ReleaseDirectory.checksums && files[name] == nil && !list.entries.contains(where: { $0.path == name }) {
            problems.add(.fileUnlisted, "\(name) is in the export but not in checksums.txt", file: name)
        }
        return files
    }

    func checkpointRoot(_ files: [String: Data], manifest: EvidenceExport.Manifest, key: PublicKey, problems: inout ProblemList) -> Data? {
        guard let note = files[EvidenceExport.checkpointFile] else {
            return problems.fail(.evidenceCheckpointInvalid, "no checkpoint.txt in the export", file: EvidenceExport.checkpointFile)
        }
        do {
            let checkpoint = try SignedNote.verifiedCheckpoint(
                String(decoding: note, as: UTF8.self), name: manifest.origin, key: key, source: EvidenceExport.checkpointFile)
            guard checkpoint.size == manifest.treeSize, Hex.encode(checkpoint.rootHash) == manifest.rootHash else {
                return problems.fail(.evidenceCheckpointInvalid, "manifest.json's tree size or root is not the checkpoint's", file: EvidenceExport.manifestFile)
            }
            return Data(checkpoint.rootHash)
        } catch {
            return problems.fail(.evidenceCheckpointInvalid, error.message, file: EvidenceExport.checkpointFile)
        }
    }

    func check(
        _ entry: EvidenceExport.Manifest.Record, files: [String: Data], root: Data, manifest: EvidenceExport.Manifest, problems: inout ProblemList
    ) -> EvidenceRecord? {
        guard let body = files[entry.file] else {
            return problems.fail(.fileMissing, "\(entry.id): \(entry.file) is not in the export", file: entry.file)
        }
        let proof = entry.proof.compactMap { Hex.decode($0).map { Data($0) } }
        guard proof.count == entry.proof.count,
            MerkleTree.verifyInclusion(leafHash: MerkleTree.leafHash(body), index: entry.logIndex, size: manifest.treeSize, root: root, proof: proof)
        else {
            return problems.fail(.evidenceInclusionInvalid, "\(entry.id): its inclusion proof does not lead to the checkpoint", file: entry.file)
        }
        let record: EvidenceRecord
        do {
            record = try EvidenceRecord.verify(body: body, expectedID: entry.id, index: entry.logIndex, source: entry.file)
        } catch {
            return problems.fail(error.problem ?? .evidenceSignatureInvalid, error.message, file: entry.file)
        }
        guard record.kind.rawValue == entry.kind, record.digest == entry.sha256 else {
            return problems.fail(.fileModified, "\(entry.id): manifest.json states another kind or digest than the record's", file: EvidenceExport.manifestFile)
        }
        return record
    }

    /// Every record belongs to the export's change record: directly, or (a decision) through its request.
    func checkChangeRecord(_ records: [String: EvidenceRecord], changeRecord: String, problems: inout ProblemList) {
        for record in records.values.sorted(by: { $0.id < $1.id }) {
            let own: String?
            switch record.predicate {
            case .rollout(let p): own = p.changeRecord
            case .request(let p): own = p.changeRecord
            case .execution(let p): own = p.changeRecord
            case .approval(let p): own = records[p.request.id]?.request?.changeRecord
            }
            if own != changeRecord {
                problems.add(.promotionLinkInvalid, "\(record.id) is not a record of change \(changeRecord) (it is of \(own ?? "no change in the export"))", file: record.id)
            }
        }
    }

    /// Links inside the export hold by digest, and each execution's approvals are N of M distinct approvers of
    /// its rollout, none the requester.
    func checkLinks(_ records: [String: EvidenceRecord], problems: inout ProblemList) {
        func resolve(_ link: RecordLink, from id: String) -> EvidenceRecord? {
            guard let target = records[link.id], target.digest == link.sha256 else {
                return problems.fail(.promotionLinkInvalid, "\(id) links \(link.id), which the export does not hold with that digest")
            }
            return target
        }
        for record in records.values.sorted(by: { $0.id < $1.id }) {
            switch record.predicate {
            case .approval(let approval):
                _ = resolve(approval.request, from: record.id)
                if let after = approval.after { _ = resolve(after, from: record.id) }
            case .request(let request):
                _ = resolve(request.rollout, from: record.id)
                if let rollback = request.rollback { _ = resolve(rollback.execution, from: record.id) }
            case .execution(let execution):
                if let previous = execution.previous { _ = resolve(previous, from: record.id) }
                if let after = execution.after { _ = resolve(after, from: record.id) }
                if let reverses = execution.reverses { _ = resolve(reverses, from: record.id) }
                guard let request = resolve(execution.request, from: record.id)?.request, let rollout = resolve(execution.rollout, from: record.id)?.rollout,
                    let control = rollout.controls.approvals
                else { continue }
                let rejected = records.values.contains { other in
                    guard let p = other.approval, p.request == execution.request, p.decision == .reject else { return false }
                    return control.approvers.contains(p.signer.keyId) && p.signer.keyId != request.signer.keyId
                }
                if rejected { problems.add(.promotionApprovals, "\(record.id): an approver rejected \(execution.request.id), which was executed anyway") }
                let approvers = Set(execution.approvals.compactMap { resolve($0, from: record.id) }.compactMap { approval -> String? in
                    guard let p = approval.approval, p.decision == .approve, p.request == execution.request else { return nil }
                    return p.signer.keyId
                }.filter { control.approvers.contains($0) && $0 != request.signer.keyId })
                if approvers.count < control.required {
                    problems.add(.promotionApprovals, "\(record.id): \(approvers.count) valid approvals of \(control.required) required")
                }
            case .rollout: break
            }
        }
    }
}
