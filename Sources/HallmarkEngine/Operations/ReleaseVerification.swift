import Foundation
import HallmarkCore
import HallmarkCrypto

/// `hallmark verify DIR`: every listed file present and intact, nothing unlisted, every signature by a trusted key.
public struct ReleaseVerification: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    /// Which signatures are required.
    public enum SignaturePolicy: String, Codable, Sendable {
        /// Every listed file and `checksums.txt` must carry a signature by a trusted key (the default).
        case required
        /// Signatures are checked where present and a key is given; an unsigned release passes on checksums alone.
        case allowUnsigned = "allow-unsigned"
    }

    /// One file's outcome.
    public struct FileResult: Codable, Sendable {
        public enum Status: String, Codable, Sendable {
            case ok, modified, missing, unlisted, unreadable
            case notRegular = "not-a-regular-file"
        }

        public enum SignatureStatus: String, Codable, Sendable {
            case verified, invalid, missing, untrusted
            case notChecked = "not-checked"
            case notApplicable = "n/a"
        }

        public var name: String
        public var status: Status
        public var sha256: String?
        public var expectedSha256: String?
        public var signature: SignatureStatus
        public var keyId: String?
    }

    public struct Report: Codable, Sendable {
        public var directory: String
        public var verified: Bool
        public var policy: SignaturePolicy
        public var trustedKeyIds: [String]
        public var files: [FileResult]
        /// Metadata files whose digests were cross-checked against `checksums.txt`.
        public var crossChecked: [String]
        public var problems: [String]
    }

    /// `knownDigests`: sha256 already computed for some files (by a download that hashed them as they were
    /// written), which are then not read again for hashing.
    public func verify(
        directory: String, keys: [PublicKey], policy: SignaturePolicy, knownDigests: [String: String] = [:]
    ) throws(HallmarkError) -> Report {
        let root = context.resolve(directory)
        guard FileIO.isDirectory(root) else { throw .io("\(directory): No such directory") }
        let checksumsPath = root + "/" + ReleaseDirectory.checksums
        guard FileIO.isFile(checksumsPath) else {
            throw .invalidInput("\(directory) has no \(ReleaseDirectory.checksums): it is not a release directory (create one with `hallmark sign \(directory) --key KEY`)")
        }
        if policy == .required && keys.isEmpty {
            throw .usage("pass --key with the release's public key, or --allow-unsigned to check checksums only")
        }
        var problems: [String] = []
        let checksumsData = try FileIO.read(checksumsPath, display: "\(directory)/\(ReleaseDirectory.checksums)", limit: 256 << 20)
        let list = ChecksumList(parsing: checksumsData, algorithm: .sha256)
        for line in list.improperLines {
            problems.append("\(ReleaseDirectory.checksums):\(line): not a sha256 checksum line")
        }

        // The listed files: safe names only, hashed in parallel.
        var expected: [String: String] = [:]
        var order: [String] = []
        for entry in list.entries {
            if let reason = RelativePath.unsafeReason(entry.path) {
                problems.append("\(ReleaseDirectory.checksums):\(entry.line): refusing \"\(entry.displayName)\": \(reason)")
                continue
            }
            if let previous = expected[entry.path], previous != entry.digest {
                problems.append("\(ReleaseDirectory.checksums):\(entry.line): \(entry.path) is listed twice with different digests")
            }
            if expected[entry.path] == nil { order.append(entry.path) }
            expected[entry.path] = entry.digest
        }
        if list.entries.isEmpty { problems.append("\(ReleaseDirectory.checksums) lists no files") }

        let members = try ReleaseDirectory.members(of: root)
        let memberByName = Dictionary(members.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let present = order.filter { memberByName[$0]?.isRegularFile == true }
        let hashable = present.filter { knownDigests[$0] == nil }
        let hashes = FileHasher.hexDigests(ofFilesAt: hashable.map { root + "/" + $0 }, algorithm: .sha256)
        var actual: [String: String] = [:]
        for name in present { if let known = knownDigests[name] { actual[name] = known } }
        var unreadable: Set<String> = []
        for (name, result) in zip(hashable, hashes) {
            switch result {
            case .success(let hex): actual[name] = hex
            case .failure: unreadable.insert(name)
            }
        }
        actual[ReleaseDirectory.checksums] = Hex.encode(SHA256Hasher.hash(checksumsData))

        // Signatures.
        var signatureSet: SignatureSet?
        let signaturesPath = root + "/" + ReleaseDirectory.signatures
        if FileIO.isFile(signaturesPath) {
            do {
                signatureSet = try CanonicalJSON.decode(
                    SignatureSet.self, from: try FileIO.read(signaturesPath, display: ReleaseDirectory.signatures),
                    source: ReleaseDirectory.signatures)
            } catch {
                problems.append(error.message)
            }
        } else if policy == .required {
            problems.append("\(ReleaseDirectory.signatures) is missing: the release is unsigned (pass --allow-unsigned to check checksums only)")
        }
        let signatureEntries = Dictionary((signatureSet?.files ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var signatureFiles: Set<String> = []
        for entry in signatureSet?.files ?? [] {
            if let reason = RelativePath.unsafeReason(entry.signatureFile) {
                problems.append("\(ReleaseDirectory.signatures): refusing signature file \"\(entry.signatureFile)\": \(reason)")
            } else {
                signatureFiles.insert(entry.signatureFile)
            }
            if entry.name != ReleaseDirectory.checksums && expected[entry.name] == nil {
                problems.append("\(ReleaseDirectory.signatures) names \(entry.name), which \(ReleaseDirectory.checksums) does not list")
            }
        }

        var results: [FileResult] = []
        for name in order + [ReleaseDirectory.checksums] {
            var result = FileResult(
                name: name, status: .ok, sha256: actual[name], expectedSha256: expected[name],
                signature: .notApplicable, keyId: nil)
            if name != ReleaseDirectory.checksums {
                if let member = memberByName[name], !member.isRegularFile {
                    result.status = .notRegular
                    problems.append("\(name): not a regular file (a symlink or device stands where a release file should be)")
                } else if memberByName[name] == nil {
                    result.status = .missing
                    problems.append("\(name): missing (listed in \(ReleaseDirectory.checksums))")
                } else if unreadable.contains(name) {
                    result.status = .unreadable
                    problems.append("\(name): cannot be read")
                } else if actual[name] != expected[name] {
                    result.status = .modified
                    problems.append("\(name): sha256 \(actual[name] ?? "?") does not match the listed \(expected[name] ?? "?") (the file was changed)")
                }
            }
            (result.signature, result.keyId) = checkSignature(
                name: name, root: root, entry: signatureEntries[name], actualDigest: actual[name], keys: keys,
                policy: policy, problems: &problems)
            results.append(result)
        }

        // The metadata's own digests must agree with checksums.txt.
        let crossCheck = MetadataCrossCheck.run(root: root, expected: expected, keys: keys)
        problems += crossCheck.problems

        // Anything else in the directory is hiding: refuse it.
        let known = Set(order).union([ReleaseDirectory.checksums, ReleaseDirectory.signatures]).union(signatureFiles)
        for member in members where !known.contains(member.name) {
            results.append(FileResult(name: member.name, status: .unlisted, sha256: nil, expectedSha256: nil, signature: .notApplicable, keyId: nil))
            problems.append("\(member.name): not listed in \(ReleaseDirectory.checksums) (an extra file hides in the release)")
        }
        return Report(
            directory: directory, verified: problems.isEmpty, policy: policy, trustedKeyIds: keys.map(\.keyID),
            files: results, crossChecked: crossCheck.checked, problems: problems)
    }

    private func checkSignature(
        name: String, root: String, entry: SignatureSet.Entry?, actualDigest: String?, keys: [PublicKey],
        policy: SignaturePolicy, problems: inout [String]
    ) -> (FileResult.SignatureStatus, String?) {
        guard let entry else {
            if policy == .required {
                problems.append("\(name): no signature in \(ReleaseDirectory.signatures)")
                return (.missing, nil)
            }
            return (.notApplicable, nil)
        }
        if keys.isEmpty { return (.notChecked, nil) }
        if let actualDigest, entry.sha256.lowercased() != actualDigest {
            problems.append("\(ReleaseDirectory.signatures): the sha256 recorded for \(name) does not match the file")
        }
        guard RelativePath.unsafeReason(entry.signatureFile) == nil else { return (.invalid, nil) }
        let signaturePath = root + "/" + entry.signatureFile
        guard FileIO.isFile(signaturePath), let data = try? FileIO.read(signaturePath, limit: 64 << 10) else {
            problems.append("\(entry.signatureFile): missing (the signature of \(name))")
            return (.missing, nil)
        }
        let candidates = SignatureEncoding.candidates(fromFileContents: data)
        let path = root + "/" + name
        for key in keys {
            guard let content = try? SignedContent.file(at: path, for: key) else { continue }
            if candidates.contains(where: { key.isValidSignature($0, for: content) }) { return (.verified, key.keyID) }
        }
        // Say whether it is a bad signature or a good one by a key nobody trusted.
        if let embedded = try? PublicKey(pem: entry.publicKey, source: ReleaseDirectory.signatures),
            let content = try? SignedContent.file(at: path, for: embedded),
            candidates.contains(where: { embedded.isValidSignature($0, for: content) })
        {
            problems.append("\(name): signed by key \(embedded.keyID.prefix(16))…, which is not a trusted key (--key)")
            return (.untrusted, embedded.keyID)
        }
        problems.append("\(name): the signature \(entry.signatureFile) does not verify with the trusted key (the file or signature was changed)")
        return (.invalid, nil)
    }
}
