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
        try checkArguments(directory: directory, root: root, keys: keys, policy: policy)
        var problems = ProblemList()
        // Under a data directory, release files read through a link that leads out are refused (as paths are).
        for name in [ReleaseDirectory.checksums, ReleaseDirectory.signatures] { _ = try context.resolve(root + "/" + name) }
        let listed = try ListedFiles(root: root, directory: directory, problems: &problems)
        let members = try ReleaseDirectory.members(of: root)
        let contents = DirectoryContents(root: root, members: members, listed: listed, problems: &problems)
        let signatureSet = readSignatureSet(root: root, policy: policy, problems: &problems)
        let signatures = SignatureIndex(signatureSet, listed: listed, problems: &problems)
        var results = fileResults(
            root: root, listed: listed, contents: contents, signatures: signatures, keys: keys, policy: policy,
            problems: &problems)

        // The metadata's own digests must agree with checksums.txt.
        let context = self.context
        let crossCheck = MetadataCrossCheck.run(
            root: root, expected: listed.expected, keys: keys, resolve: { (path) throws(HallmarkError) in try context.resolve(path) })
        problems.add(contentsOf: crossCheck.problems)

        results += unlistedResults(members: members, listed: listed, signatures: signatures, problems: &problems)

        let verdict = problems.verdict({
            Self.assemble(results: results, listed: listed, policy: policy, crossChecked: crossCheck.checked)
        }, subject: directory)
        let report = Report(
            directory: directory, verified: verdict.isVerified, policy: policy, trustedKeyIds: keys.map(\.keyID),
            files: results, crossChecked: crossCheck.checked, problems: verdict.problems)
        return (verdict, report)
    }

    /// Checks the signature `entry` names for the file `name` with each trusted key. When none verifies, says
    /// whether the signature is bad or a good one by a key nobody trusted.
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
        let data: Data
        do {
            let signaturePath = try context.resolve(root + "/" + entry.signatureFile)
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

// MARK: - The steps of a release directory's verification

extension ReleaseVerification {
    /// The files `checksums.txt` lists, with the bytes that were parsed (and are later hashed and signature-checked).
    ///
    /// Names are compared byte for byte (Swift's String equality would take "é" and "e\u{301}" for one name, while
    /// the file system holds two files).
    fileprivate struct ListedFiles {
        /// The bytes of `checksums.txt`.
        let data: Data
        /// Each listed name's expected digest, by name.
        private(set) var expected: [String: String] = [:]
        /// Each listed name's expected digest, by the name's UTF-8 bytes.
        private(set) var expectedBytes: [[UInt8]: String] = [:]
        /// The listed names, once each, in the list's order.
        private(set) var order: [String] = []

        /// Reads and parses `checksums.txt`, recording malformed lines, unsafe names and conflicting entries.
        init(root: String, directory: String, problems: inout ProblemList) throws(HallmarkError) {
            data = try FileIO.read(
                root + "/" + ReleaseDirectory.checksums, display: "\(directory)/\(ReleaseDirectory.checksums)", limit: 256 << 20)
            let list = ChecksumList(parsing: data, algorithm: .sha256)
            for line in list.improperLines {
                problems.add(.checksumsMalformedLine, "\(ReleaseDirectory.checksums):\(line): not a sha256 checksum line", file: ReleaseDirectory.checksums)
            }
            // The listed files: safe names only.
            for entry in list.entries {
                if let reason = RelativePath.nonCanonicalReason(entry.path) {
                    problems.add(.checksumsUnsafePath, "\(ReleaseDirectory.checksums):\(entry.line): refusing \"\(entry.displayName)\": \(reason)", file: ReleaseDirectory.checksums)
                    continue
                }
                add(entry, problems: &problems)
            }
            if list.entries.isEmpty { problems.add(.checksumsEmpty, "\(ReleaseDirectory.checksums) lists no files", file: ReleaseDirectory.checksums) }
        }

        /// Records one safely named entry, flagging a second digest for one name or two spellings of one name.
        private mutating func add(_ entry: ChecksumEntry, problems: inout ProblemList) {
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
    }

    /// What the directory holds: its members by name, and the digests of the listed files present in it.
    fileprivate struct DirectoryContents {
        /// The directory's members, by the UTF-8 bytes of their names.
        let memberByName: [[UInt8]: ReleaseDirectory.Member]
        /// The SHA-256 of each listed regular file that could be read, and of `checksums.txt`.
        private(set) var actual: [String: String] = [:]
        /// Listed regular files that could not be read.
        private(set) var unreadable: Set<String> = []

        /// Hashes the listed regular files in parallel, recording a `checksums.txt` or `signatures.json` that is
        /// not a regular file.
        init(root: String, members: [ReleaseDirectory.Member], listed: ListedFiles, problems: inout ProblemList) {
            memberByName = Dictionary(members.map { (Array($0.name.utf8), $0) }, uniquingKeysWith: { a, _ in a })
            for name in [ReleaseDirectory.checksums, ReleaseDirectory.signatures] where memberByName[Array(name.utf8)]?.isRegularFile == false {
                problems.add(.fileNotRegular, "\(name): not a regular file (a symlink or device stands where the release's \(name) should be)", file: name)
            }
            let present = listed.order.filter { memberByName[Array($0.utf8)]?.isRegularFile == true }
            let hashes = FileHasher.hexDigests(ofFilesAt: present.map { root + "/" + $0 }, algorithm: .sha256)
            for (name, result) in zip(present, hashes) {
                switch result {
                case .success(let hex): actual[name] = hex
                case .failure: unreadable.insert(name)
                }
            }
            actual[ReleaseDirectory.checksums] = Hex.encode(SHA256Hasher.hash(listed.data))
        }

        /// The member named `name`, if the directory holds one.
        func member(named name: String) -> ReleaseDirectory.Member? { memberByName[Array(name.utf8)] }
    }

    /// The entries of `signatures.json` that may be used, by the UTF-8 bytes of the file they sign.
    ///
    /// signatures.json is not signed itself: each entry must be for a listed file, once, and its signature file
    /// must be that file's NAME.sig (or NAME.minisig), so the list cannot hide other files or lend one file's
    /// signature to another.
    fileprivate struct SignatureIndex {
        /// The accepted entries, by the UTF-8 bytes of the signed file's name.
        private(set) var entries: [[UInt8]: SignatureSet.Entry] = [:]
        /// The UTF-8 bytes of the accepted entries' signature file names.
        private(set) var signatureFiles: Set<[UInt8]> = []

        /// Accepts the entries of `signatureSet` that meet the rules above, recording each one that does not.
        init(_ signatureSet: SignatureSet?, listed: ListedFiles, problems: inout ProblemList) {
            for entry in signatureSet?.files ?? [] {
                let key = Array(entry.name.utf8)
                guard entry.name == ReleaseDirectory.checksums || listed.expectedBytes[key] != nil else {
                    problems.add(.signaturesInvalid, "\(ReleaseDirectory.signatures) names \(entry.name), which \(ReleaseDirectory.checksums) does not list", file: ReleaseDirectory.signatures)
                    continue
                }
                guard entries[key] == nil else {
                    problems.add(.signaturesInvalid, "\(ReleaseDirectory.signatures) has two entries for \(entry.name)", file: ReleaseDirectory.signatures)
                    continue
                }
                let signatureBytes = Array(entry.signatureFile.utf8)
                guard signatureBytes == key + Array(".sig".utf8) || signatureBytes == key + Array(".minisig".utf8) else {
                    problems.add(.signaturesInvalid, "\(ReleaseDirectory.signatures): the signature of \(entry.name) must be \(entry.name).sig, not \"\(entry.signatureFile)\"", file: ReleaseDirectory.signatures)
                    continue
                }
                entries[key] = entry
                signatureFiles.insert(Array(entry.signatureFile.utf8))
            }
        }

        /// The accepted entry for the file named `name`.
        func entry(for name: String) -> Optional<SignatureSet.Entry> { entries[Array(name.utf8)] }
    }

    /// Refuses a directory that is not a release directory, and a key/policy combination that makes no sense.
    private func checkArguments(
        directory: String, root: String, keys: [PublicKey], policy: SignaturePolicy
    ) throws(HallmarkError) {
        guard FileIO.isDirectory(root) else { throw .io("\(directory): No such directory") }
        guard FileIO.isFile(root + "/" + ReleaseDirectory.checksums) else {
            throw .invalidInput("\(directory) has no \(ReleaseDirectory.checksums): it is not a release directory (create one with `hallmark sign \(directory) --key KEY`)")
        }
        switch (policy, keys.isEmpty) {
        case (.required, true): throw .usage("pass --key with the release's public key, or --allow-unsigned to check checksums only")
        case (.allowUnsigned, false): throw .usage("--allow-unsigned checks no signature, so a --key would be ignored; pass one or the other")
        default: break
        }
    }

    /// Reads `signatures.json` when present, so its files are known (they are checked only when required); its
    /// absence is a problem only when signatures are required.
    private func readSignatureSet(root: String, policy: SignaturePolicy, problems: inout ProblemList) -> SignatureSet? {
        let signaturesPath = root + "/" + ReleaseDirectory.signatures
        guard FileIO.isFile(signaturesPath) else {
            if policy == .required {
                problems.add(.signatureMissing, "\(ReleaseDirectory.signatures) is missing: the release is unsigned (pass --allow-unsigned, without --key, to check checksums only)", file: ReleaseDirectory.signatures)
            }
            return nil
        }
        do {
            return try CanonicalJSON.decode(
                SignatureSet.self, from: try FileIO.read(signaturesPath, display: ReleaseDirectory.signatures),
                source: ReleaseDirectory.signatures)
        } catch {
            problems.add(.signaturesInvalid, error.message, file: ReleaseDirectory.signatures)
            return nil
        }
    }

    /// One result for each listed file and for `checksums.txt`: its content checked against the list and, when
    /// signatures are required, its signature checked against the trusted keys.
    private func fileResults(
        root: String, listed: ListedFiles, contents: DirectoryContents, signatures: SignatureIndex, keys: [PublicKey],
        policy: SignaturePolicy, problems: inout ProblemList
    ) -> [FileResult] {
        var results: [FileResult] = []
        for name in listed.order + [ReleaseDirectory.checksums] {
            var result = FileResult(
                name: name, status: .ok, sha256: contents.actual[name], expectedSha256: listed.expected[name],
                signature: .notApplicable, keyId: nil)
            if name != ReleaseDirectory.checksums {
                result.status = contentStatus(of: name, listed: listed, contents: contents, problems: &problems)
            }
            if policy == .required {
                (result.signature, result.keyId) = checkSignature(
                    name: name, root: root, entry: signatures.entry(for: name), actualDigest: contents.actual[name], keys: keys,
                    inMemory: name == ReleaseDirectory.checksums ? listed.data : nil, problems: &problems)
            }
            results.append(result)
        }
        return results
    }

    /// Whether the listed file `name` is present, regular, readable and has the listed digest; records what is wrong.
    private func contentStatus(
        of name: String, listed: ListedFiles, contents: DirectoryContents, problems: inout ProblemList
    ) -> FileResult.Status {
        if let member = contents.member(named: name), !member.isRegularFile {
            problems.add(.fileNotRegular, "\(name): not a regular file (a symlink or device stands where a release file should be)", file: name)
            return .notRegular
        } else if contents.member(named: name) == nil {
            problems.add(.fileMissing, "\(name): missing (listed in \(ReleaseDirectory.checksums))", file: name)
            return .missing
        } else if contents.unreadable.contains(name) {
            problems.add(.fileUnreadable, "\(name): cannot be read", file: name)
            return .unreadable
        } else if contents.actual[name] != listed.expected[name] {
            problems.add(.fileModified, "\(name): sha256 \(contents.actual[name] ?? "?") does not match the listed \(listed.expected[name] ?? "?") (the file was changed)", file: name)
            return .modified
        }
        return .ok
    }

    /// Anything else in the directory is hiding: a result and a problem for each member that is neither listed,
    /// nor `checksums.txt`, `signatures.json` or an accepted signature file.
    private func unlistedResults(
        members: [ReleaseDirectory.Member], listed: ListedFiles, signatures: SignatureIndex, problems: inout ProblemList
    ) -> [FileResult] {
        let known = Set((listed.order + [ReleaseDirectory.checksums, ReleaseDirectory.signatures]).map { Array($0.utf8) })
            .union(signatures.signatureFiles)
        var results: [FileResult] = []
        for member in members where !known.contains(Array(member.name.utf8)) {
            results.append(FileResult(name: member.name, status: .unlisted, sha256: nil, expectedSha256: nil, signature: .notApplicable, keyId: nil))
            problems.add(.fileUnlisted, "\(member.name): not listed in \(ReleaseDirectory.checksums) (an extra file hides in the release)", file: member.name)
        }
        return results
    }

    /// The verified release, built from the results: every listed file matched (and, when required, signed, as is
    /// `checksums.txt`), or nil when any piece is missing.
    private static func assemble(
        results: [FileResult], listed: ListedFiles, policy: SignaturePolicy, crossChecked: [String]
    ) -> VerifiedRelease? {
        var files: [VerifiedRelease.File] = []
        for result in results where result.name != ReleaseDirectory.checksums {
            guard result.status == .ok, let sha256 = result.sha256, sha256 == listed.expected[result.name] else { return nil }
            if policy == .required && result.signature != .verified { return nil }
            files.append(.init(name: result.name, sha256: sha256, signedBy: result.keyId))
        }
        let checksums = results.last { $0.name == ReleaseDirectory.checksums }
        if policy == .required && checksums?.signature != .verified { return nil }
        guard !files.isEmpty, files.count == listed.order.count else { return nil }
        return VerifiedRelease(files: files, checksumsSignedBy: checksums?.keyId, policy: policy, crossChecked: crossChecked)
    }
}
