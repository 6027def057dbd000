import Foundation
import HallmarkCore
import HallmarkCrypto

/// Checks that every digest the release's metadata states (index.json, the SBOM, the provenance, the
/// reproducibility manifest) agrees with `checksums.txt`, naming each one that does not.
public enum MetadataCrossCheck {
    public struct Outcome: Sendable {
        /// The metadata files that were cross-checked.
        public var checked: [String] = []
        public var problems: [VerificationProblem] = []

        mutating func add(_ message: String, code: ProblemCode = .metadataMismatch, file: String? = nil) {
            problems.append(VerificationProblem(code, message, file: file))
        }
    }

    /// `expected` maps release file names to the sha256 `checksums.txt` lists for them. `complete: false` is for
    /// a release still being written: metadata files named in index.json may not exist yet.
    /// `resolve` turns each file's path into the one to open, refusing those that lead where the caller's paths
    /// may not go (an engine context's root).
    public static func run(
        root: String, expected: [String: String], keys: [PublicKey], complete: Bool = true,
        resolve: @escaping (String) throws(HallmarkError) -> String = { $0 }
    ) -> Outcome {
        var check = Check(root: root, expected: expected, keys: keys, complete: complete, resolve: resolve)
        check.checkIndex()
        check.checkSBOM()
        check.checkProvenance()
        check.checkReproducibilityManifest()
        check.checkDeployments()
        return check.outcome
    }

    /// One cross-check of a release directory: each metadata file present is read, checked against
    /// `checksums.txt` (and against index.json), and its disagreements recorded in ``outcome``.
    private struct Check {
        let root: String
        let resolve: (String) throws(HallmarkError) -> String
        let expected: [String: String]
        let keys: [PublicKey]
        let complete: Bool
        /// What was checked and what disagreed, so far.
        var outcome = Outcome()
        /// index.json, once it was read and found valid.
        var index: ReleaseIndex?

        init(
            root: String, expected: [String: String], keys: [PublicKey], complete: Bool,
            resolve: @escaping (String) throws(HallmarkError) -> String
        ) {
            self.root = root
            self.resolve = resolve
            self.expected = expected
            self.keys = keys
            self.complete = complete
        }

        /// The metadata file `name`, when `checksums.txt` lists it and it is present; a read error is recorded.
        mutating func read(_ name: String) -> Data? {
            guard expected[name] != nil else { return nil }
            do {
                let path = try resolve(root + "/" + name)
                guard FileIO.isFile(path) else { return nil }
                return try FileIO.read(path, display: name)
            } catch {
                outcome.add(error.message)
                return nil
            }
        }

        /// Records a `document` that states a `digest` for `name` other than the listed one, or names an unlisted file.
        mutating func compare(_ document: String, _ name: String, _ digest: String) {
            if let listed = expected[name] {
                if listed != digest.lowercased() {
                    outcome.add("\(document): the sha256 of \(name) (\(digest)) disagrees with \(ReleaseDirectory.checksums) (\(listed))", file: document)
                }
            } else {
                outcome.add("\(document) names \(name), which \(ReleaseDirectory.checksums) does not list", file: document)
            }
        }

        /// index.json: its artifacts' digests, and (for a complete release) its metadata files, must be listed.
        mutating func checkIndex() {
            guard let data = read(ReleaseIndex.fileName) else { return }
            outcome.checked.append(ReleaseIndex.fileName)
            do {
                let decoded = try CanonicalJSON.decode(ReleaseIndex.self, from: data, source: ReleaseIndex.fileName)
                try decoded.validate(source: ReleaseIndex.fileName)
                index = decoded
                for artifact in decoded.artifacts { compare(ReleaseIndex.fileName, artifact.file, artifact.sha256) }
                for name in decoded.metadata where complete && name != ReleaseDirectory.checksums && name != ReleaseDirectory.signatures && expected[name] == nil {
                    outcome.add("\(ReleaseIndex.fileName) names metadata file \(name), which \(ReleaseDirectory.checksums) does not list", file: ReleaseIndex.fileName)
                }
            } catch {
                outcome.add(error.message)
            }
        }

        /// The SBOM: each package's archive digest must be listed, and each binary's digest must match what
        /// index.json says is inside its archive.
        mutating func checkSBOM() {
            guard let data = read(SPDXDocument.fileName) else { return }
            let binaryByArchive = Dictionary((index?.artifacts ?? []).map { ($0.file, $0.binary.sha256) }, uniquingKeysWith: { a, _ in a })
            outcome.checked.append(SPDXDocument.fileName)
            do {
                let sbom = try CanonicalJSON.decode(SPDXDocument.self, from: data, source: SPDXDocument.fileName)
                var archiveOfPackage: [String: String] = [:]
                for package in sbom.packages {
                    guard let file = package.packageFileName, let sum = package.checksums?.first(where: { $0.algorithm == "SHA256" }) else { continue }
                    archiveOfPackage[package.SPDXID] = file
                    compare(SPDXDocument.fileName, file, sum.checksumValue)
                }
                // A binary's digest must match what index.json says is inside its archive.
                let files = Dictionary((sbom.files ?? []).map { ($0.SPDXID, $0) }, uniquingKeysWith: { a, _ in a })
                for relation in sbom.relationships where relation.relationshipType == "CONTAINS" {
                    guard let archive = archiveOfPackage[relation.spdxElementId], let file = files[relation.relatedSpdxElement],
                        let sum = file.checksums.first(where: { $0.algorithm == "SHA256" }), let inIndex = binaryByArchive[archive]
                    else { continue }
                    if sum.checksumValue.lowercased() != inIndex {
                        outcome.add("\(SPDXDocument.fileName): the sha256 of \(file.fileName) in \(archive) (\(sum.checksumValue)) disagrees with \(ReleaseIndex.fileName) (\(inIndex))", file: SPDXDocument.fileName)
                    }
                }
            } catch {
                outcome.add(error.message)
            }
        }

        /// provenance.json and provenance.intoto.jsonl: their subjects must be listed and cover every artifact;
        /// with keys, each envelope must be signed by one of them.
        mutating func checkProvenance() {
            if let data = read("provenance.json") {
                outcome.checked.append("provenance.json")
                do {
                    checkSubjects(try InTotoStatement(validating: data, source: "provenance.json"), document: "provenance.json")
                } catch {
                    outcome.add(error.message)
                }
            }
            if let data = read("provenance.intoto.jsonl") {
                outcome.checked.append("provenance.intoto.jsonl")
                do {
                    for envelope in try DSSEEnvelope.parseAll(data, source: "provenance.intoto.jsonl") {
                        let payload = try envelope.payloadBytes(source: "provenance.intoto.jsonl")
                        checkSubjects(try InTotoStatement(validating: payload, source: "provenance.intoto.jsonl"), document: "provenance.intoto.jsonl")
                        if !keys.isEmpty {
                            let result = try DSSESigning.verify(envelope, keys: keys, source: "provenance.intoto.jsonl")
                            if !result.isVerified {
                                outcome.add("provenance.intoto.jsonl: the envelope is not signed by a trusted key", code: .signatureInvalid)
                            }
                        }
                    }
                } catch {
                    outcome.add(error.message)
                }
            }
        }

        /// Each subject of `statement` must name a listed file with its listed sha256, and every artifact of
        /// index.json must be a subject.
        mutating func checkSubjects(_ statement: InTotoStatement, document: String) {
            for subject in statement.subject {
                guard let name = subject.name, let digest = subject.digest?["sha256"] else {
                    outcome.add("\(document): a subject has no name or sha256", file: document)
                    continue
                }
                compare(document, name, digest)
            }
            let named = Set(statement.subject.compactMap(\.name))
            for artifact in index?.artifacts ?? [] where !named.contains(artifact.file) {
                outcome.add("\(document): \(artifact.file) is not a subject of the provenance", file: document)
            }
        }

        /// Each endpoint deployment manifest: bound to this index.json by its digest, and every target's archive and
        /// binary the ones index.json lists for the target's platform.
        mutating func checkDeployments() {
            for name in expected.keys.sorted() where name.hasSuffix(EndpointDeployment.fileSuffix) {
                guard let data = read(name) else { continue }
                outcome.checked.append(name)
                let manifest: EndpointDeployment
                do {
                    manifest = try CanonicalJSON.decode(EndpointDeployment.self, from: data, source: name)
                    try manifest.validate(source: name)
                } catch {
                    outcome.add(error.message, file: name)
                    continue
                }
                if manifest.index.file != ReleaseIndex.fileName || expected[ReleaseIndex.fileName] != manifest.index.sha256 {
                    outcome.add("\(name) is bound to an index.json with sha256 \(manifest.index.sha256), not this release's", file: name)
                }
                for target in manifest.targets {
                    let listed = index?.artifacts.first { $0.platform.description == target.platform }
                    guard let listed, listed.file == target.artifact.file, listed.sha256 == target.artifact.sha256,
                        listed.binary.path == target.binary.file, listed.binary.sha256 == target.binary.sha256
                    else {
                        outcome.add(
                            "\(name): target \(target.id) (\(target.platform)) names \(target.artifact.file) and \(target.binary.file), which index.json does not list with those digests",
                            file: name)
                        continue
                    }
                }
            }
        }

        /// The reproducibility manifest: each target's binary digest must be the one index.json records.
        mutating func checkReproducibilityManifest() {
            guard let data = read(ReproducibilityManifest.fileName) else { return }
            outcome.checked.append(ReproducibilityManifest.fileName)
            do {
                let manifest = try CanonicalJSON.decode(ReproducibilityManifest.self, from: data, source: ReproducibilityManifest.fileName)
                try manifest.validate(source: ReproducibilityManifest.fileName)
                for target in manifest.targets {
                    guard let artifact = index?.artifacts.first(where: { $0.platform == target.platform && $0.build == target.build }) else {
                        if index != nil {
                            outcome.add("\(ReproducibilityManifest.fileName): target \(target.platform) (\(target.build)) is not in \(ReleaseIndex.fileName)", file: ReproducibilityManifest.fileName)
                        }
                        continue
                    }
                    if artifact.binary.sha256 != target.binary.sha256.lowercased() {
                        outcome.add("\(ReproducibilityManifest.fileName): the binary sha256 for \(target.platform) (\(target.binary.sha256)) disagrees with \(ReleaseIndex.fileName) (\(artifact.binary.sha256))", file: ReproducibilityManifest.fileName)
                    }
                }
            } catch {
                outcome.add(error.message)
            }
        }
    }
}
