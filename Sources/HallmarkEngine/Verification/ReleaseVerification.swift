import Foundation
import HallmarkCore
import HallmarkCrypto

/// `hallmark verify DIR`: every listed file present and intact, nothing unlisted, every signature by a trusted key,
/// and the metadata's digests agreeing with the list. The result is a ``VerifiedRelease`` built from those
/// pieces, or the coded problems that stopped it.
public struct ReleaseVerification: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    /// Which signatures are required.
    public enum SignaturePolicy: String, Codable, Sendable {
        /// Every listed file and `checksums.txt` must carry a signature by a trusted key (the default).
        case required
        /// No key is given and no signature is checked: the release passes on its checksums alone.
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
        public var schemaVersion = VerificationReportSchema.version
        public var directory: String
        public var verified: Bool
        public var policy: SignaturePolicy
        public var trustedKeyIds: [String]
        public var files: [FileResult]
        /// Metadata files whose digests were cross-checked against `checksums.txt`.
        public var crossChecked: [String]
        public var problems: [VerificationProblem]
    }

    /// A release directory that verified.
    public struct VerifiedRelease: Sendable {
        public struct File: Sendable {
            public let name: String
            public let sha256: String
            /// The trusted key that signed it (nil under `allow-unsigned`).
            public let signedBy: String?
        }

        /// Every file `checksums.txt` lists, each matched (and signed, unless unsigned releases were allowed).
        public let files: [File]
        /// The key that signed `checksums.txt` itself.
        public let checksumsSignedBy: String?
        public let policy: SignaturePolicy
        public let crossChecked: [String]
    }

    /// Verifies the release directory `directory` and returns the report.
    public func verify(
        directory: String, keys: [PublicKey], policy: SignaturePolicy
    ) throws(HallmarkError) -> Report {
        try verifyRelease(directory: directory, keys: keys, policy: policy).report
    }

    /// The verdict and its report.
    public func verifyRelease(
        directory: String, keys: [PublicKey], policy: SignaturePolicy
    ) throws(HallmarkError) -> (verdict: Verdict<VerifiedRelease>, report: Report) {
        let root = try context.resolve(directory)
        guard FileIO.isDirectory(root) else { throw .io("\(directory): No such directory") }
        let checksumsPath = root + "/" + ReleaseDirectory.checksums
        guard FileIO.isFile(checksumsPath) else {
            throw .invalidInput("\(directory) has no \(ReleaseDirectory.checksums): it is not a release directory (create one with `hallmark sign \(directory) --key KEY`)")
        }
        switch (policy, keys.isEmpty) {
        case (.required, true): throw .usage("pass --key with the release's public key, or --allow-unsigned to check checksums only")
        case (.allowUnsigned, false): throw .usage("--allow-unsigned checks no signature, so a --key would be ignored; pass one or the other")
        default: break
        }
        var problems = ProblemList()
        let checksumsData = try FileIO.read(checksumsPath, display: "\(directory)/\(ReleaseDirectory.checksums)", limit: 256 << 20)
        let list = ChecksumList(parsing: checksumsData, algorithm: .sha256)
        for line in list.improperLines {
            problems.add(.checksumsMalformedLine, "\(ReleaseDirectory.checksums):\(line): not a sha256 checksum line", file: ReleaseDirectory.checksums)
        }

        // The listed files: safe names only, hashed in parallel. Names are compared byte for byte (Swift's String
        // equality would take "é" and "e\u{301}" for one name, while the file system holds two files).
        var expected: [String: String] = [:]
        var expectedBytes: [[UInt8]: String] = [:]
        var order: [String] = []
        for entry in list.entries {
            if let reason = RelativePath.nonCanonicalReason(entry.path) {
                problems.add(.checksumsUnsafePath, "\(ReleaseDirectory.checksums):\(entry.line): refusing \"\(entry.displayName)\": \(reason)", file: ReleaseDirectory.checksums)
                continue
            }
            let key = Array(entry.path.utf8)
            if let previous = expectedBytes[key], previous != entry.digest {
                problems.add(.checksumsConflict, "\(ReleaseDirectory.checksums):\(entry.line): \(entry.path) is listed twice with different digests", file: ReleaseDirectory.checksums)
            }
            if expectedBytes[key] == nil {
                order.append(entry.path)
                if expected[entry.path] != nil {
                    problems.add(.checksumsConflict, "\(ReleaseDirectory.checksums):\(entry.line): \(entry.path) is listed under two Unicode spellings of one name", file: ReleaseDirectory.checksums)
                }
            }
            expectedBytes[key] = entry.digest
            expected[entry.path] = entry.digest
        }
        if list.entries.isEmpty { problems.add(.checksumsEmpty, "\(ReleaseDirectory.checksums) lists no files", file: ReleaseDirectory.checksums) }

        let members = try ReleaseDirectory.members(of: root)
        let memberByName = Dictionary(members.map { (Array($0.name.utf8), $0) }, uniquingKeysWith: { a, _ in a })
        for name in [ReleaseDirectory.checksums, ReleaseDirectory.signatures] where memberByName[Array(name.utf8)]?.isRegularFile == false {
            problems.add(.fileNotRegular, "\(name): not a regular file (a symlink or device stands where the release's \(name) should be)", file: name)
        }
        let present = order.filter { memberByName[Array($0.utf8)]?.isRegularFile == true }
        let hashes = FileHasher.hexDigests(ofFilesAt: present.map { root + "/" + $0 }, algorithm: .sha256)
        var actual: [String: String] = [:]
        var unreadable: Set<String> = []
        for (name, result) in zip(present, hashes) {
            switch result {
            case .success(let hex): actual[name] = hex
            case .failure: unreadable.insert(name)
            }
        }
        actual[ReleaseDirectory.checksums] = Hex.encode(SHA256Hasher.hash(checksumsData))

        // Signatures (read when present, so their files are known; checked only when required).
        var signatureSet: SignatureSet?
        let signaturesPath = root + "/" + ReleaseDirectory.signatures
        if FileIO.isFile(signaturesPath) {
            do {
                signatureSet = try CanonicalJSON.decode(
                    SignatureSet.self, from: try FileIO.read(signaturesPath, display: ReleaseDirectory.signatures),
                    source: ReleaseDirectory.signatures)
            } catch {
                problems.add(.signaturesInvalid, error.message, file: ReleaseDirectory.signatures)
            }
        } else if policy == .required {
            problems.add(.signatureMissing, "\(ReleaseDirectory.signatures) is missing: the release is unsigned (pass --allow-unsigned, without --key, to check checksums only)", file: ReleaseDirectory.signatures)
        }
        // signatures.json is not signed itself: each entry must be for a listed file, once, and its signature file
        // must be that file's NAME.sig (or NAME.minisig), so the list cannot hide other files or lend one file's
        // signature to another.
        var signatureEntries: [[UInt8]: SignatureSet.Entry] = [:]
        var signatureFiles: Set<[UInt8]> = []
        for entry in signatureSet?.files ?? [] {
            let key = Array(entry.name.utf8)
            guard entry.name == ReleaseDirectory.checksums || expectedBytes[key] != nil else {
                problems.add(.signaturesInvalid, "\(ReleaseDirectory.signatures) names \(entry.name), which \(ReleaseDirectory.checksums) does not list", file: ReleaseDirectory.signatures)
                continue
            }
            guard signatureEntries[key] == nil else {
                problems.add(.signaturesInvalid, "\(ReleaseDirectory.signatures) has two entries for \(entry.name)", file: ReleaseDirectory.signatures)
                continue
            }
            let signatureBytes = Array(entry.signatureFile.utf8)
            guard signatureBytes == key + Array(".sig".utf8) || signatureBytes == key + Array(".minisig".utf8) else {
                problems.add(.signaturesInvalid, "\(ReleaseDirectory.signatures): the signature of \(entry.name) must be \(entry.name).sig, not \"\(entry.signatureFile)\"", file: ReleaseDirectory.signatures)
                continue
            }
            signatureEntries[key] = entry
            signatureFiles.insert(Array(entry.signatureFile.utf8))
        }

        var results: [FileResult] = []
        for name in order + [ReleaseDirectory.checksums] {
            var result = FileResult(
                name: name, status: .ok, sha256: actual[name], expectedSha256: expected[name], signature: .notApplicable, keyId: nil)
            if name != ReleaseDirectory.checksums {
                if let member = memberByName[Array(name.utf8)], !member.isRegularFile {
                    result.status = .notRegular
                    problems.add(.fileNotRegular, "\(name): not a regular file (a symlink or device stands where a release file should be)", file: name)
                } else if memberByName[Array(name.utf8)] == nil {
                    result.status = .missing
                    problems.add(.fileMissing, "\(name): missing (listed in \(ReleaseDirectory.checksums))", file: name)
                } else if unreadable.contains(name) {
                    result.status = .unreadable
                    problems.add(.fileUnreadable, "\(name): cannot be read", file: name)
                } else if actual[name] != expected[name] {
                    result.status = .modified
                    problems.add(.fileModified, "\(name): sha256 \(actual[name] ?? "?") does not match the listed \(expected[name] ?? "?") (the file was changed)", file: name)
                }
            }
            if policy == .required {
                (result.signature, result.keyId) = checkSignature(
                    name: name, root: root, entry: signatureEntries[Array(name.utf8)], actualDigest: actual[name], keys: keys,
                    inMemory: name == ReleaseDirectory.checksums ? checksumsData : nil, problems: &problems)
            }
            results.append(result)
        }

        // The metadata's own digests must agree with checksums.txt.
        let crossCheck = MetadataCrossCheck.run(root: root, expected: expected, keys: keys)
        problems.add(contentsOf: crossCheck.problems)

        // Anything else in the directory is hiding: refuse it.
        let known = Set((order + [ReleaseDirectory.checksums, ReleaseDirectory.signatures]).map { Array($0.utf8) }).union(signatureFiles)
        for member in members where !known.contains(Array(member.name.utf8)) {
            results.append(FileResult(name: member.name, status: .unlisted, sha256: nil, expectedSha256: nil, signature: .notApplicable, keyId: nil))
            problems.add(.fileUnlisted, "\(member.name): not listed in \(ReleaseDirectory.checksums) (an extra file hides in the release)", file: member.name)
        }

        let verdict = problems.verdict({ () -> VerifiedRelease? in
            var files: [VerifiedRelease.File] = []
            for result in results where result.name != ReleaseDirectory.checksums {
                guard result.status == .ok, let sha256 = result.sha256, sha256 == expected[result.name] else { return nil }
                if policy == .required && result.signature != .verified { return nil }
                files.append(.init(name: result.name, sha256: sha256, signedBy: result.keyId))
            }
            let checksums = results.last { $0.name == ReleaseDirectory.checksums }
            if policy == .required && checksums?.signature != .verified { return nil }
            guard !files.isEmpty, files.count == order.count else { return nil }
            return VerifiedRelease(files: files, checksumsSignedBy: checksums?.keyId, policy: policy, crossChecked: crossCheck.checked)
        }, subject: directory)
        let report = Report(
            directory: directory, verified: verdict.isVerified, policy: policy, trustedKeyIds: keys.map(\.keyID),
            files: results, crossChecked: crossCheck.checked, problems: verdict.problems)
        return (verdict, report)
    }

    private func checkSignature(
        name: String, root: String, entry: Optional<SignatureSet.Entry>, actualDigest: String?, keys: [PublicKey], inMemory: Data?,
        problems: inout ProblemList
    ) -> (FileResult.SignatureStatus, String?) {
        guard let entry else {
            problems.add(.signatureMissing, "\(name): no signature in \(ReleaseDirectory.signatures)", file: name)
            return (.missing, nil)
        }
        if let actualDigest, entry.sha256.lowercased() != actualDigest {
            problems.add(.signaturesInvalid, "\(ReleaseDirectory.signatures): the sha256 recorded for \(name) does not match the file", file: ReleaseDirectory.signatures)
        }
        guard RelativePath.unsafeReason(entry.signatureFile) == nil else { return (.invalid, nil) }
        let signaturePath = root + "/" + entry.signatureFile
        let data: Data
        do {
            guard FileIO.isFile(signaturePath) else { throw HallmarkError.io("missing") }
            data = try FileIO.read(signaturePath, limit: 64 << 10)
        } catch {
            problems.add(.signatureMissing, "\(entry.signatureFile): missing or unreadable (the signature of \(name))", file: entry.signatureFile)
            return (.missing, nil)
        }
        let candidates = SignatureEncoding.candidates(fromFileContents: data)
        let path = root + "/" + name
        // checksums.txt: the bytes that were parsed and hashed are the bytes whose signature is checked.
        func signedContent(for key: PublicKey) throws(HallmarkError) -> SignedContent {
            if let inMemory { return SignedContent(bytes: inMemory) }
            return try SignedContent.file(at: path, for: key)
        }
        for key in keys {
            let content: SignedContent
            do { content = try signedContent(for: key) } catch {
                problems.add(.fileUnreadable, "\(name): cannot be read to check its signature (\(error.message))", file: name)
                return (.invalid, nil)
            }
            if candidates.contains(where: { key.isValidSignature($0, for: content) }) { return (.verified, key.keyID) }
        }
        // Say whether it is a bad signature or a good one by a key nobody trusted.
        if case .success(let embedded) = Result(catching: { () throws(HallmarkError) in try PublicKey(pem: entry.publicKey, source: ReleaseDirectory.signatures) }),
            case .success(let content) = Result(catching: { () throws(HallmarkError) in try signedContent(for: embedded) }),
            candidates.contains(where: { embedded.isValidSignature($0, for: content) })
        {
            problems.add(.signatureUntrustedKey, "\(name): signed by key \(embedded.keyID.prefix(16))…, which is not a trusted key (--key)", file: name)
            return (.untrusted, embedded.keyID)
        }
        problems.add(.signatureInvalid, "\(name): the signature \(entry.signatureFile) does not verify with the trusted key (the file or signature was changed)", file: name)
        return (.invalid, nil)
    }
}
