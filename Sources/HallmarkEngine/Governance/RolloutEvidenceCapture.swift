import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkStore

/// `hallmark rollout capture`: verifies a release, then writes a signed rollout record for it — the deployment it
/// goes to, under which change record, which targets, under which controls — with copies of the release's index
/// and deployment manifest, a page for people, and checksums over them all.
public struct RolloutCapture: Sendable {
    public static let recordFile = "rollout-evidence.json"
    public static let summaryFile = "rollout-evidence.md"
    public static let indexCopy = "release/index.json"

    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public struct Request: Sendable {
        public var releaseDirectory: String
        public var deploymentID: String
        public var changeRecord: String
        public var environment: String
        public var status: RolloutEvidence.Status
        public var key: String?
        /// Keys the release must be signed by; the capturing key's public half when empty.
        public var releaseKeys: [String]
        public var allowUnsignedRelease: Bool
        /// Target ids to select (all the manifest's when empty).
        public var targets: [String]
        public var out: String?

        public init(
            releaseDirectory: String, deploymentID: String, changeRecord: String, environment: String = "production",
            status: RolloutEvidence.Status = .staged, key: String?, releaseKeys: [String] = [], allowUnsignedRelease: Bool = false,
            targets: [String] = [], out: String? = nil
        ) {
            self.releaseDirectory = releaseDirectory
            self.deploymentID = deploymentID
            self.changeRecord = changeRecord
            self.environment = environment
            self.status = status
            self.key = key
            self.releaseKeys = releaseKeys
            self.allowUnsignedRelease = allowUnsignedRelease
            self.targets = targets
            self.out = out
        }
    }

    /// What was written.
    public struct Result: Codable, Sendable {
        public var schemaVersion = 1
        public var id: String
        public var kind = EvidenceKind.rollout.rawValue
        public var status: String
        public var out: String
        public var release: EvidenceRelease
        public var targets: [String]
        public var files: [String]
        public var links: [String: [String]]
    }

    public func capture(_ request: Request) throws(HallmarkError) -> Result {
        try Self.checkIdentifier(request.deploymentID, "--deployment-id")
        try Self.checkName(request.changeRecord, "--change-record")
        try Self.checkName(request.environment, "--environment")
        let key = try KeyResolver(context: context).signingKey(request.key)
        let release = try verifiedRelease(request, signer: key)
        let targets = try select(request.targets, from: release.manifest, source: release.manifestName)
        let out = request.out ?? "rollout-\(request.deploymentID)"
        let outPath = try context.resolve(out)
        if FileIO.exists(outPath), FileManager.default.enumerator(atPath: outPath)?.nextObject() != nil {
            throw .usage("\(out): already exists and is not empty; choose another --out")
        }
        let manifestCopy = "release/" + release.manifestName
        let summary = Data(Self.summary(request, release: release, targets: targets).utf8)
        let files = [
            EndpointDeployment.FileDigest(file: Self.indexCopy, sha256: release.indexSha256),
            EndpointDeployment.FileDigest(file: manifestCopy, sha256: release.manifestSha256),
            EndpointDeployment.FileDigest(file: Self.summaryFile, sha256: Hex.encode(SHA256Hasher.hash(summary))),
        ]
        let predicate = RolloutEvidence(
            deploymentId: request.deploymentID, changeRecord: request.changeRecord, environment: request.environment,
            status: request.status,
            release: EvidenceRelease(name: release.manifest.name, version: release.manifest.version, indexSha256: release.indexSha256),
            commit: release.manifest.commit, deploymentManifest: .init(file: manifestCopy, sha256: release.manifestSha256), files: files,
            rings: release.manifest.rings, targets: targets, controls: release.manifest.controls,
            capturedAt: RFC3339.format(unixSeconds: Int64(context.clock.now().timeIntervalSince1970)), signer: SignedRecord.signer(key))
        let subjects = [ResourceDescriptor(name: ReleaseIndex.fileName, digest: ["sha256": release.indexSha256])]
            + [ResourceDescriptor(name: release.manifestName, digest: ["sha256": release.manifestSha256])]
            + targets.map { ResourceDescriptor(name: $0.artifact.file, digest: ["sha256": $0.artifact.sha256]) }
        let record = try SignedRecord.sign(kind: .rollout, subjects: subjects, predicate: .rollout(predicate), key: key)
        var contents: [(String, Data)] = [
            (Self.recordFile, record.body), (Self.summaryFile, summary), (Self.indexCopy, release.indexBytes), (manifestCopy, release.manifestBytes),
        ]
        let checksums = ChecksumList(entries: contents.map { ChecksumEntry(algorithm: .sha256, digest: Hex.encode(SHA256Hasher.hash($0.1)), path: $0.0) })
        contents.append((ReleaseDirectory.checksums, checksums.gnuData))
        try write(contents, to: outPath)
        return Result(
            id: record.id, status: request.status.rawValue, out: out, release: predicate.release, targets: targets.map(\.id),
            files: contents.map(\.0).sorted(), links: ["release": [release.indexSha256], "changeRecord": [request.changeRecord]])
    }

    /// A deployment id names a directory by default: letters, digits, `.`, `_`, `-`, not starting with `.`.
    static func checkIdentifier(_ value: String, _ option: String) throws(HallmarkError) {
        let allowed = value.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
        guard !value.isEmpty, value.utf8.count <= 128, allowed, !value.hasPrefix("."), !value.hasSuffix(".evidence") else {
            throw .usage("\(option) \"\(value)\": use letters, digits, '.', '_' and '-' (at most 128, not starting with '.', not ending in .evidence)")
        }
    }

    static func checkName(_ value: String, _ option: String) throws(HallmarkError) {
        let unsafe = value.unicodeScalars.contains { scalar in
            [.control, .format, .lineSeparator, .paragraphSeparator].contains(scalar.properties.generalCategory)
        }
        guard !value.isEmpty, value.utf8.count <= 200, !unsafe else {
            throw .usage("\(option) must be a non-empty name of at most 200 bytes without control characters")
        }
    }

    /// The verified release's index and deployment manifest, read once and checked against its verified digests.
    struct Release {
        var manifest: EndpointDeployment
        var manifestName: String
        var manifestBytes: Data
        var manifestSha256: String
        var indexBytes: Data
        var indexSha256: String
    }

    func verifiedRelease(_ request: Request, signer: PrivateKey) throws(HallmarkError) -> Release {
        let keys = request.releaseKeys.isEmpty ? [signer.publicKey] : try KeyResolver(context: context).publicKeys(request.releaseKeys)
        let (verdict, _) = try ReleaseVerification(context: context).verifyRelease(
            directory: request.releaseDirectory, keys: request.allowUnsignedRelease ? [] : keys,
            policy: request.allowUnsignedRelease ? .allowUnsigned : .required)
        guard case .verified(let verified) = verdict else {
            throw .verificationFailed(verdict.problems, subject: "\(request.releaseDirectory): the release does not verify; nothing was captured")
        }
        let manifests = verified.files.filter { $0.name.hasSuffix(EndpointDeployment.fileSuffix) && !$0.name.contains("/") }
        guard manifests.count == 1, let manifestFile = manifests.first else {
            throw .invalidInput("\(request.releaseDirectory): \(manifests.isEmpty ? "no" : "more than one") NAME\(EndpointDeployment.fileSuffix); add a deployments: block to hallmark.yml and release again")
        }
        guard let indexFile = verified.files.first(where: { $0.name == ReleaseIndex.fileName }) else {
            throw .invalidInput("\(request.releaseDirectory): checksums.txt does not list index.json")
        }
        let root = try context.resolve(request.releaseDirectory)
        let indexBytes = try FileIO.read(root + "/" + ReleaseIndex.fileName, display: ReleaseIndex.fileName)
        let manifestBytes = try FileIO.read(root + "/" + manifestFile.name, display: manifestFile.name)
        guard Hex.encode(SHA256Hasher.hash(indexBytes)) == indexFile.sha256, Hex.encode(SHA256Hasher.hash(manifestBytes)) == manifestFile.sha256 else {
            throw .verificationFailed("\(request.releaseDirectory): index.json or \(manifestFile.name) changed while it was captured; try again", problem: .fileModified)
        }
        let manifest = try CanonicalJSON.decode(EndpointDeployment.self, from: manifestBytes, source: manifestFile.name)
        try manifest.validate(source: manifestFile.name)
        return Release(
            manifest: manifest, manifestName: manifestFile.name, manifestBytes: manifestBytes, manifestSha256: manifestFile.sha256,
            indexBytes: indexBytes, indexSha256: indexFile.sha256)
    }

    /// The targets to roll out: those named (each must be one the signed manifest lists), else all of them.
    func select(_ ids: [String], from manifest: EndpointDeployment, source: String) throws(HallmarkError) -> [EndpointDeployment.Target] {
        guard !ids.isEmpty else { return manifest.targets }
        var selected: [EndpointDeployment.Target] = []
        for id in ids {
            guard let target = manifest.targets.first(where: { $0.id == id }) else {
                throw .usage("--target \(id): \(source) lists no such target (it lists \(manifest.targets.map(\.id).joined(separator: ", ")))")
            }
            if !selected.contains(target) { selected.append(target) }
        }
        return selected
    }

    func write(_ contents: [(String, Data)], to outPath: String) throws(HallmarkError) {
        do {
            try FileManager.default.createDirectory(atPath: outPath + "/release", withIntermediateDirectories: true)
        } catch {
            throw .io("\(outPath): cannot create the directory: \(error.localizedDescription)")
        }
        var staged: [FileIO.StagedFile] = []
        do throws(HallmarkError) {
            for (name, data) in contents { staged.append(try FileIO.stage(data, for: outPath + "/" + name)) }
            try FileIO.commit(staged)
        } catch {
            FileIO.discard(staged)
            throw error
        }
    }

    static func summary(_ request: Request, release: Release, targets: [EndpointDeployment.Target]) -> String {
        var lines = [
            "# Rollout \(request.deploymentID): \(release.manifest.name) \(release.manifest.version)", "",
            "- Change record: \(request.changeRecord)", "- Environment: \(request.environment)", "- Status: \(request.status.rawValue)",
            "- Release index sha256: `\(release.indexSha256)`", "- Commit: `\(release.manifest.commit)`",
            "- Rings, in order: \(release.manifest.rings.joined(separator: " → "))", "", "## Targets", "",
            "| Target | Surface | Platform | Ring | Prefix | Archive sha256 |", "|---|---|---|---|---|---|",
        ]
        for target in targets {
            lines.append("| \(target.id) | \(target.surface) | \(target.platform) | \(target.ring) | \(target.prefix) | `\(target.artifact.sha256.prefix(16))…` |")
        }
        let controls = release.manifest.controls
        lines += ["", "## Controls", ""]
        for ring in release.manifest.rings { lines.append("- Soak in \(ring): \(controls.soakSeconds[ring] ?? 0) s") }
        if let approvals = controls.approvals { lines.append("- Approvals: \(approvals.required) of \(approvals.approvers.count) approver keys") }
        if let maxParallel = controls.maxParallel { lines.append("- At most \(maxParallel) targets at once") }
        if let smoke = controls.smoke { lines.append("- Smoke test: `\(smoke)`") }
        return lines.joined(separator: "\n") + "\n"
    }
}
