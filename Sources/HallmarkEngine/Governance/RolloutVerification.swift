import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkStore

/// `hallmark rollout verify`: checks a rollout directory (checksums, the record's signature by a trusted key, the
/// release copies it names, the selected targets and controls against the deployment manifest), then indexes the
/// record in the evidence log.
public struct RolloutVerification: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public struct Report: Codable, Sendable {
        public var schemaVersion = VerificationReportSchema.version
        public var directory: String
        public var verified: Bool
        public var id: String?
        public var kind = EvidenceKind.rollout.rawValue
        public var status: String?
        public var deploymentId: String?
        public var changeRecord: String?
        public var release: EvidenceRelease?
        public var targets: [String]
        public var signedBy: String?
        /// Where the record was indexed (nil when it was not verified, or indexing was not asked for).
        public var store: String?
        public var logIndex: Int64?
        public var alreadyIndexed: Bool?
        public var problems: [VerificationProblem]
    }

    /// The pieces a verified rollout is made of.
    struct Verified: Sendable {
        var record: EvidenceRecord
        var rollout: RolloutEvidence
        var signedBy: String
    }

    /// Verifies `directory`; when it verifies and `index` is set, appends the record to the log.
    public func verify(
        directory: String, keys: [String], store: EvidenceStoreOptions?, metadataJSON: String?
    ) async throws(HallmarkError) -> Report {
        guard !keys.isEmpty else { throw .usage("pass --key with the public key the rollout must be signed by") }
        let trusted = try KeyResolver(context: context).publicKeys(keys)
        let root = try context.resolve(directory)
        var problems = ProblemList()
        let files = try checkedFiles(root: root, directory: directory, problems: &problems)
        var verified: Verified?
        if let body = files[RolloutCapture.recordFile] {
            verified = check(record: body, files: files, trusted: trusted, problems: &problems)
        } else {
            problems.add(.fileMissing, "\(directory): no \(RolloutCapture.recordFile)", file: RolloutCapture.recordFile)
        }
        let verdict = problems.verdict({ verified }, subject: directory)
        var report = Report(
            directory: directory, verified: verdict.isVerified, id: verified?.record.id, status: verified?.rollout.status.rawValue,
            deploymentId: verified?.rollout.deploymentId, changeRecord: verified?.rollout.changeRecord, release: verified?.rollout.release,
            targets: verified?.rollout.targets.map(\.id) ?? [], signedBy: verified?.signedBy, problems: verdict.problems)
        if case .verified(let value) = verdict, let store {
            let (index, already, location) = try await Self.index(value.record, context: context, options: store)
            report.store = location
            report.logIndex = index
            report.alreadyIndexed = already
        }
        if let metadataJSON {
            do {
                try FileIO.writeAtomically(try CanonicalJSON.prettyData(report), to: try context.resolve(metadataJSON))
            } catch let error as HallmarkError {
                throw error
            } catch {
                throw .io("\(metadataJSON): cannot write the report: \(error)")
            }
        }
        return report
    }

    /// Every file `checksums.txt` lists, read once and matched; unlisted files are problems.
    func checkedFiles(root: String, directory: String, problems: inout ProblemList) throws(HallmarkError) -> [String: Data] {
        let listing = try FileIO.read(root + "/" + ReleaseDirectory.checksums, display: "\(directory)/\(ReleaseDirectory.checksums)")
        let list = ChecksumList(parsing: listing, algorithm: .sha256)
        guard list.improperLines.isEmpty, !list.entries.isEmpty else {
            throw .invalidInput("\(directory)/\(ReleaseDirectory.checksums): malformed (lines \(list.improperLines.map(String.init).joined(separator: ", "))); it must list sha256 digests")
        }
        var files: [String: Data] = [:]
        for entry in list.entries {
            if let reason = RelativePath.unsafeReason(entry.path) {
                problems.add(.checksumsUnsafePath, "\(ReleaseDirectory.checksums): \(entry.path): \(reason)", file: entry.path)
                continue
            }
            let path = try context.resolve(root + "/" + entry.path)
            guard FileIO.isFile(path), !FileIO.isSymbolicLink(path) else {
                problems.add(.fileMissing, "\(directory)/\(entry.path) is listed in checksums.txt but missing (or a link, which a rollout never holds)", file: entry.path)
                continue
            }
            let data = try FileIO.read(path, display: "\(directory)/\(entry.path)", limit: 16 << 20)
            guard Hex.encode(SHA256Hasher.hash(data)) == entry.digest.lowercased() else {
                problems.add(.fileModified, "\(directory)/\(entry.path) does not match its checksum (it was changed)", file: entry.path)
                continue
            }
            files[entry.path] = data
        }
        for member in try ReleaseDirectory.members(of: root) {
            if member.name != ReleaseDirectory.checksums, !list.entries.contains(where: { $0.path == member.name }) {
                problems.add(.fileUnlisted, "\(directory)/\(member.name) is not listed in checksums.txt", file: member.name)
            }
        }
        return files
    }

    /// The record verifies, by a trusted key, and agrees with the release copies beside it.
    func check(record body: Data, files: [String: Data], trusted: [PublicKey], problems: inout ProblemList) -> Verified? {
        let record: EvidenceRecord
        do {
            record = try EvidenceRecord.verify(body: body, source: RolloutCapture.recordFile)
        } catch {
            return problems.fail(error.problem ?? .evidenceSignatureInvalid, error.message, file: RolloutCapture.recordFile)
        }
        guard let rollout = record.rollout else {
            return problems.fail(.payloadInvalid, "\(RolloutCapture.recordFile) is a \(record.kind.rawValue) record, not a rollout", file: RolloutCapture.recordFile)
        }
        guard let signer = trusted.first(where: { $0.keyID == record.signerKeyID }) else {
            return problems.fail(.signatureUntrustedKey, "\(RolloutCapture.recordFile) is signed by key \(record.signerKeyID.prefix(16))…, which --key does not name", file: RolloutCapture.recordFile)
        }
        for file in rollout.files where files[file.file].map({ Hex.encode(SHA256Hasher.hash($0)) }) != file.sha256 {
            problems.add(.rolloutMismatch, "\(file.file): not the file the rollout record names (sha256 \(file.sha256.prefix(12))…)", file: file.file)
        }
        checkManifest(rollout, files: files, problems: &problems)
        return Verified(record: record, rollout: rollout, signedBy: signer.keyID)
    }

    /// The release copy and manifest: bound to each other and to the record; the record's targets, rings and
    /// controls are the manifest's.
    func checkManifest(_ rollout: RolloutEvidence, files: [String: Data], problems: inout ProblemList) {
        let name = rollout.deploymentManifest.file
        guard let index = files[RolloutCapture.indexCopy], Hex.encode(SHA256Hasher.hash(index)) == rollout.release.indexSha256 else {
            problems.add(.rolloutMismatch, "\(RolloutCapture.indexCopy): missing, or not the index.json the record names", file: RolloutCapture.indexCopy)
            return
        }
        guard let bytes = files[name], Hex.encode(SHA256Hasher.hash(bytes)) == rollout.deploymentManifest.sha256 else {
            problems.add(.rolloutMismatch, "\(name): missing, or not the deployment manifest the record names", file: name)
            return
        }
        let manifest: EndpointDeployment
        do {
            manifest = try CanonicalJSON.decode(EndpointDeployment.self, from: bytes, source: name)
            try manifest.validate(source: name)
        } catch {
            problems.add(.rolloutMismatch, error.message, file: name)
            return
        }
        if manifest.index.sha256 != rollout.release.indexSha256 || manifest.name != rollout.release.name || manifest.version != rollout.release.version {
            problems.add(.rolloutMismatch, "\(name) is bound to another release than the rollout record's", file: name)
        }
        for target in rollout.targets where !manifest.targets.contains(target) {
            problems.add(.rolloutMismatch, "target \(target.id) is not in \(name) as the record states it (an unapproved target)", file: name)
        }
        if manifest.controls != rollout.controls || manifest.rings != rollout.rings {
            problems.add(.rolloutMismatch, "the record's rings or controls differ from \(name)'s", file: name)
        }
    }

    /// Appends a verified rollout record to the log (once: a second time finds it there).
    static func index(
        _ record: EvidenceRecord, context: EngineContext, options: EvidenceStoreOptions
    ) async throws(HallmarkError) -> (Int64, Bool, String) {
        try await EvidenceLog.with(context, options, writing: true) { log async throws(HallmarkError) in
            if let entry = try await log.store.entry(recordID: record.id) { return (entry.index, true, log.location) }
            var replay = IndexReplay()
            let (rows, _) = replay.add(record, index: 0)
            let signed = SignedRecord(kind: record.kind, body: record.body, digest: record.digest, id: record.id, predicate: record.predicate)
            switch try await log.append(
                signed, row: rows[0], guards: [StateGuard(key: IndexReplay.rolloutKey(record.id), expected: nil, next: record.digest)])
            {
            case .appended(let index, _): return (index, false, log.location)
            case .duplicate, .conflict:
                guard let entry = try await log.store.entry(recordID: record.id) else {
                    throw .store("\(log.location): \(record.id) was indexed by another writer but cannot be read back; try again")
                }
                return (entry.index, true, log.location)
            }
        }
    }
}
