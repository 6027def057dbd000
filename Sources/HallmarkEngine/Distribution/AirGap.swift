import Foundation
import HallmarkArchive
import HallmarkCore
import HallmarkCrypto

/// `hallmark airgap bundle` / `verify`: one zip that carries a release, the keys (and trusted root) to check it,
/// a required-file list and instructions into a restricted network, checked there before anything is extracted.
public struct AirGap: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public static let requiredFiles = "REQUIRED-FILES.txt"

    public struct BundleResult: Codable, Sendable {
        public var output: String
        public var files: Int
        public var sha256: String
        public var keyIds: [String]
    }

    /// Writes `output`, a zip of the release `directory` (which must verify with `keys`), the keys, the trusted
    /// root when given, `VERIFY.md` and `REQUIRED-FILES.txt`; the same release always makes the same zip.
    public func bundle(directory: String, keys references: [String], trustedRoot: String?, output: String) throws(HallmarkError) -> BundleResult {
        guard !references.isEmpty else { throw .usage("pass --key with the release's public key (it travels in the bundle for reference)") }
        let keys = try KeyResolver(context: context).publicKeys(references)
        // The release is copied once into a private directory, each file hashed as it is copied; the verification,
        // the digests listed and the zip all come from that copy.
        let workspace = try context.makePrivateDirectory("hallmark-airgap-bundle")
        defer { workspace.remove() }
        let root = workspace.path + "/release"
        let digests = try copyRelease(directory, to: root)
        let report = try ReleaseVerification(context: context).verify(directory: root, keys: keys, policy: .required)
        guard report.verified else {
            throw .verificationFailed(
                "\(directory) does not verify (\(report.problems.first?.message ?? "?")); an air-gap bundle carries only verified releases",
                problem: report.problems.first?.code)
        }
        var contents = BundleContents()
        for (name, digest) in digests {
            contents.add("release/" + name, from: root + "/" + name, sha256: digest)
        }
        for key in keys {
            contents.add("trust/keys/\(key.keyID).pub", data: Data(key.pemText.utf8))
        }
        if let trustedRoot {
            let data = try FileIO.read(try context.resolve(trustedRoot), display: trustedRoot, limit: 8 << 20)
            _ = try TrustedRoot(parsing: data, source: trustedRoot)
            contents.add("trust/trusted_root.json", data: data)
        }
        let name = (output as NSString).lastPathComponent
        contents.add("VERIFY.md", data: Data(Self.instructions(bundleName: name, keys: keys).utf8))
        let entries = contents.entriesWithRequiredFiles()

        // The zip's times come from the release, so the same release makes the same bundle.
        let epoch = try Self.sourceDateEpoch(of: root, directory: directory)
        let target = try context.resolve(output)
        let temporary = try context.parentDirectory(of: target) + "/.\(name).tmp-\(getpid())-\(UUID().uuidString.prefix(8))"
        try DeterministicArchiver(modificationTime: epoch).write(entries, format: .zip, to: temporary)
        guard rename(temporary, target) == 0 else {
            unlink(temporary)
            throw .io("\(output): cannot write: \(String(cString: strerror(errno)))")
        }
        return BundleResult(
            output: output, files: entries.count, sha256: try FileHasher.hexDigest(ofFileAt: target, algorithm: .sha256), keyIds: keys.map(\.keyID))
    }

    public struct VerifyResult: Codable, Sendable {
        /// `verified` (checked with a key from outside the zip), `self-vouched` (consistent with the keys the zip
        /// carries, which proves nothing about who made it), or `failed`.
        public enum Outcome: String, Codable, Sendable {
            case verified
            case selfVouched = "self-vouched"
            case failed
        }

        public var schemaVersion = VerificationReportSchema.version
        public var bundle: String
        public var verified: Bool
        public var outcome: Outcome
        public var keySource: String
        public var requiredFiles: Int
        public var release: ReleaseVerification.Report?
        public var extractedTo: String?
        public var problems: [VerificationProblem]
        /// What an unsafe option let through (the self-vouching keys), said every time.
        public var warnings: [VerificationProblem]
        /// Members no signature covers (instructions, a trusted root, keys other than --key): carried for
        /// convenience, extracted, and never to be trusted as they are.
        public var unauthenticated: [String]
    }

    /// An air-gap zip that verified with keys from outside it.
    public struct VerifiedAirGapBundle: Sendable {
        public let requiredFiles: Int
        public let release: ReleaseVerification.VerifiedRelease
    }

    /// Checks the zip before extracting anything. `insecureUseEmbeddedKeys` checks the release against the keys
    /// inside the zip: consistent, but vouched for by nothing outside it, so never reported as verified.
    public func verify(bundle: String, keys references: [String], extract: String?, insecureUseEmbeddedKeys: Bool = false) throws(HallmarkError) -> VerifyResult {
        let original = try checkVerifyArguments(
            bundle: bundle, references: references, extract: extract, insecureUseEmbeddedKeys: insecureUseEmbeddedKeys)
        let trustedKeys = try KeyResolver(context: context).publicKeys(references)
        // 0. One private working directory in the target's nearest existing ancestor (or a temporary one), so the
        // checked tree moves into place with one rename: the zip is copied into it once, and everything below reads
        // only that copy and what is extracted from it. The target's missing parents are created only once the zip
        // has verified: a refused zip leaves nothing behind.
        let parent = try context.resolve(extract).map { (path) throws(HallmarkError) in try context.parentDirectory(of: path) }
        let anchor = try parent.map { (path) throws(HallmarkError) in try Self.nearestExistingDirectory(of: path, for: extract ?? path) }
        let workspace: PrivateDirectory
        // Beside the target (inside the root) when extracting, so the checked tree moves in with one rename; those
        // paths resolve through the root like any other. Otherwise the engine's own scratch space.
        if let anchor { workspace = try PrivateDirectory(in: anchor, label: ".hallmark-airgap") } else {
            workspace = try context.makePrivateDirectory(".hallmark-airgap")
        }
        defer { workspace.remove() }
        let reader = ArchiveReader()
        let path = workspace.path + "/bundle.zip"
        _ = try FileCopy.copy(original, to: path, mode: 0o600, display: bundle, limit: reader.limits.maxArchiveSize, kind: "an archive")
        // 1. The zip itself: refused before anything is written if any member is unsafe.
        let (members, kept) = try reader.members(of: path, format: .zip, display: bundle, keeping: { $0.path == Self.requiredFiles })
        guard let listData = kept[Self.requiredFiles] else {
            throw .verificationFailed("\(bundle): no \(Self.requiredFiles); not a Hallmark air-gap bundle", problem: .airgapContentMismatch)
        }
        let list = ChecksumList(parsing: listData, algorithm: .sha256)
        var problems = ProblemList()
        Self.checkLayout(members: members, list: list, problems: &problems)

        // 2. Extract into the private directory, hashing every file as it is written; check, then move.
        let staging = workspace.path + "/tree"
        try Paths.makeDirectory(staging)
        var checkedFiles = 0
        if problems.isEmpty {
            checkedFiles = try Self.extractRequiredFiles(
                of: path, reader: reader, display: bundle, into: staging, list: list, problems: &problems)
        }
        var check = ReleaseCheck()
        if problems.isEmpty {
            check = try checkRelease(
                in: staging, trustedKeys: trustedKeys, insecureUseEmbeddedKeys: insecureUseEmbeddedKeys, bundle: bundle,
                problems: &problems)
        }
        let unauthenticated = Self.unauthenticatedFiles(in: list, staging: staging, trustedKeys: trustedKeys)
        if !unauthenticated.isEmpty && problems.isEmpty {
            check.warnings.append(Self.unauthenticatedWarning(unauthenticated, bundle: bundle))
        }
        let release = check.release
        let verdict = problems.verdict({ () -> VerifiedAirGapBundle? in
            guard let release, checkedFiles == list.entries.count, !list.entries.isEmpty else { return nil }
            return VerifiedAirGapBundle(requiredFiles: checkedFiles, release: release)
        }, subject: bundle)
        let outcome = VerifyResult.Outcome(isVerified: verdict.isVerified, insecureUseEmbeddedKeys: insecureUseEmbeddedKeys)
        var extractedTo: String?
        if verdict.isVerified, let extract, let parent {
            try moveIntoPlace(staging, extract: extract, parent: parent)
            extractedTo = extract
        }
        return VerifyResult(
            bundle: bundle, verified: outcome == .verified, outcome: outcome, keySource: check.keySource, requiredFiles: list.entries.count,
            release: check.report, extractedTo: extractedTo, problems: verdict.problems, warnings: check.warnings,
            unauthenticated: unauthenticated)
    }

    /// `a/b/c` → `a`, `a/b`: the directories a member path lies in.
    static func parentDirectories(of path: String) -> [String] {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        return (1..<max(components.count, 1)).map { components[..<$0].joined(separator: "/") }
    }

    /// The deepest directory of `path` and its ancestors that exists (`path` itself when it does); an ancestor
    /// that exists but is not a directory is a usage error naming `target`.
    static func nearestExistingDirectory(of path: String, for target: String) throws(HallmarkError) -> String {
        var candidate = path.isEmpty ? "/" : path
        while !FileIO.exists(candidate) {
            let up = (candidate as NSString).deletingLastPathComponent
            candidate = up.isEmpty ? "/" : up
        }
        guard FileIO.isDirectory(candidate) else {
            throw .usage("\(target): \(candidate) is not a directory; --extract needs a new directory under a directory")
        }
        return candidate
    }

    /// Whether `path` belongs to the layout `bundle` writes.
    static func isInLayout(_ path: String) -> Bool {
        guard RelativePath.nonCanonicalReason(path) == nil else { return false }
        let bytes = Array(path.utf8)
        if [requiredFiles, "VERIFY.md", "trust/trusted_root.json"].contains(where: { Array($0.utf8) == bytes }) { return true }
        if RelativePath.hasDirectoryPrefix(path, "release/") { return bytes.count > "release/".utf8.count }
        if RelativePath.hasDirectoryPrefix(path, "trust/keys/"), bytes.reversed().starts(with: Array(".pub".utf8).reversed()) {
            return RelativePath.isPlainName(String(decoding: bytes.dropFirst("trust/keys/".utf8.count), as: UTF8.self))
        }
        return false
    }
}

// MARK: - Writing a bundle

extension AirGap {
    /// The members of a bundle being written, with the sha256 of each for `REQUIRED-FILES.txt`, in order.
    private struct BundleContents {
        /// The archive entries, in the order they were added.
        private(set) var entries: [ArchiveEntry] = []
        /// Each entry's path and sha256, in the same order.
        private(set) var listed: [(path: String, sha256: String)] = []

        /// Adds the file at `source`, whose sha256 is already known, as `path`.
        mutating func add(_ path: String, from source: String, sha256: String) {
            entries.append(.regular(path, from: source))
            listed.append((path, sha256))
        }

        /// Adds `data` as `path`.
        mutating func add(_ path: String, data: Data) {
            entries.append(ArchiveEntry(path: path, content: .data(data), mode: 0o644))
            listed.append((path, Hex.encode(SHA256Hasher.hash(data))))
        }

        /// The entries followed by `REQUIRED-FILES.txt`, the sha256 of every one of them.
        func entriesWithRequiredFiles() -> [ArchiveEntry] {
            let list = ChecksumList(entries: listed.map { ChecksumEntry(algorithm: .sha256, digest: $0.sha256, path: $0.path) }).gnuData
            return entries + [ArchiveEntry(path: AirGap.requiredFiles, content: .data(list), mode: 0o644)]
        }
    }

    /// Copies the regular files of the release `directory` into `root`, hashing each as it is copied; refuses a
    /// member that is not a regular file. Returns each member's name and sha256.
    private func copyRelease(_ directory: String, to root: String) throws(HallmarkError) -> [(String, String)] {
        let original = try context.resolve(directory)
        var digests: [(String, String)] = []
        for member in try ReleaseDirectory.members(of: original) {
            guard member.isRegularFile else {
                throw .verificationFailed(
                    "\(directory)/\(member.name): not a regular file; an air-gap bundle carries only verified releases", problem: .fileNotRegular)
            }
            try Paths.makeDirectory(((root + "/" + member.name) as NSString).deletingLastPathComponent)
            let copied = try FileCopy.copy(original + "/" + member.name, to: root + "/" + member.name, mode: 0o644, display: member.name)
            digests.append((member.name, copied.sha256))
        }
        return digests
    }

    /// `VERIFY.md`: how to check the bundle named `bundleName`, with and without Hallmark.
    private static func instructions(bundleName name: String, keys: [PublicKey]) -> String {
        """
        # Verifying \(name)

        This zip carries a release (`release/`), the public keys it is signed with (`trust/keys/`), and
        `\(Self.requiredFiles)`, the sha256 of every file in it. Check it before extracting anything:

            hallmark airgap verify \(name) --key YOUR-COPY-OF-THE-KEY.pub --extract DIR

        That refuses unsafe archives (`..`, absolute paths, links, duplicate names, zip bombs), checks every
        required file, then the release's checksums and signatures, and only then extracts into DIR. Pass the
        key you obtained through your own channel: the keys inside the zip are for reference only.

        Without Hallmark, after extracting: `sha256sum -c` on `\(Self.requiredFiles)` from the top directory,
        then `(cd release && sha256sum -c checksums.txt)`.
        Key ids: \(keys.map(\.keyID).joined(separator: ", ")).

        """
    }

    /// The release's `SOURCE_DATE_EPOCH` from its index, or 1980-01-01 (the earliest zip time) without one.
    private static func sourceDateEpoch(of root: String, directory: String) throws(HallmarkError) -> Int64 {
        guard FileIO.isFile(root + "/" + ReleaseIndex.fileName) else { return 315_532_800 }
        let data = try FileIO.read(root + "/" + ReleaseIndex.fileName, display: ReleaseIndex.fileName)
        return try CanonicalJSON.decode(ReleaseIndex.self, from: data, source: "\(directory)/\(ReleaseIndex.fileName)").sourceDateEpoch
    }
}

// MARK: - Verifying a bundle

extension AirGap {
    /// What checking the release inside a bundle produced.
    private struct ReleaseCheck {
        /// Where the keys came from, as the result reports it.
        var keySource = "--key"
        /// What an unsafe option let through, and what no signature covers.
        var warnings: [VerificationProblem] = []
        /// The release's report, when it was checked.
        var report: ReleaseVerification.Report?
        /// The verified release, when it verified.
        var release: ReleaseVerification.VerifiedRelease?
    }

    /// Refuses contradictory key options, a missing bundle and an existing `--extract` target; returns the
    /// bundle's resolved path.
    private func checkVerifyArguments(
        bundle: String, references: [String], extract: String?, insecureUseEmbeddedKeys: Bool
    ) throws(HallmarkError) -> String {
        switch (references.isEmpty, insecureUseEmbeddedKeys) {
        case (true, false):
            throw .usage("pass --key with the release's public key, obtained through your own channel (the keys inside the zip prove nothing: anyone can put a key there)")
        case (false, true):
            throw .usage("--insecure-use-embedded-keys contradicts --key; pass one or the other")
        default: break
        }
        let original = try context.resolve(bundle)
        guard FileIO.exists(original) else { throw .io("\(bundle): No such file") }
        if let extract, FileManager.default.fileExists(atPath: try context.resolve(extract)) {
            throw .usage("\(extract) already exists; --extract needs a new directory")
        }
        return original
    }

    /// Checks the zip's members against `REQUIRED-FILES.txt` and against the layout `airgap bundle` writes,
    /// recording every file or directory that is missing, extra or out of place.
    private static func checkLayout(members: [ArchiveReader.Member], list: ChecksumList, problems: inout ProblemList) {
        for line in list.improperLines { problems.add(.airgapContentMismatch, "\(Self.requiredFiles):\(line): not a sha256 line", file: Self.requiredFiles) }
        let files = Set(members.filter { $0.kind == .file }.map(\.path))
        for entry in list.entries where !files.contains(entry.path) {
            problems.add(.airgapContentMismatch, "\(entry.path): required, but missing from the bundle", file: entry.path)
        }
        for file in files.subtracting(list.entries.map(\.path)).subtracting([Self.requiredFiles]).sorted() {
            problems.add(.airgapContentMismatch, "\(file): in the bundle but not in \(Self.requiredFiles)", file: file)
        }
        // Only the layout `airgap bundle` writes: anything else (a script, a second trust directory) is refused.
        for file in files.sorted() where !Self.isInLayout(file) {
            problems.add(.airgapContentMismatch, "\(file): not part of an air-gap bundle (release/, trust/keys/*.pub, trust/trusted_root.json, VERIFY.md, \(Self.requiredFiles))", file: file)
        }
        // Directories too: only those that hold the layout's files (release/ and its subdirectories, trust/,
        // trust/keys/). An empty one anywhere else (junk/, trust/evil/, release/extra/) would be extracted.
        let holders = Set(files.filter(Self.isInLayout).flatMap(Self.parentDirectories))
        for directory in members.filter({ $0.kind == .directory }).map(\.path).sorted() where !holders.contains(directory) {
            problems.add(.airgapContentMismatch, "\(directory)/: a directory that holds none of the bundle's files; not part of an air-gap bundle", file: directory)
        }
        if list.entries.isEmpty { problems.add(.airgapContentMismatch, "\(Self.requiredFiles) lists no files", file: Self.requiredFiles) }
    }

    /// Extracts the zip at `path` into `staging`, hashing every file as it is written, and checks each required
    /// file's digest. Returns how many required files matched; records each that did not.
    private static func extractRequiredFiles(
        of path: String, reader: ArchiveReader, display: String, into staging: String, list: ChecksumList,
        problems: inout ProblemList
    ) throws(HallmarkError) -> Int {
        var hashers: [String: StreamingSHA256] = [:]
        try reader.extractAll(path, format: .zip, display: display, into: staging) { member, chunk in
            let hasher = hashers[member.path] ?? StreamingSHA256()
            hashers[member.path] = hasher
            hasher.update(chunk)
        }
        var checkedFiles = 0
        for entry in list.entries {
            let actual = (hashers[entry.path] ?? StreamingSHA256()).finalizeHex()
            if actual == entry.digest {
                checkedFiles += 1
            } else {
                problems.add(.fileModified, "\(entry.path): sha256 \(actual) is not the listed \(entry.digest)", file: entry.path)
            }
        }
        return checkedFiles
    }

    /// Verifies the extracted `release/` with the trusted keys (or, when `insecureUseEmbeddedKeys`, the keys the
    /// zip carries, with a warning saying so), recording the release's problems under `release/`.
    private func checkRelease(
        in staging: String, trustedKeys: [PublicKey], insecureUseEmbeddedKeys: Bool, bundle: String, problems: inout ProblemList
    ) throws(HallmarkError) -> ReleaseCheck {
        var check = ReleaseCheck()
        var keys = trustedKeys
        if insecureUseEmbeddedKeys {
            check.keySource = "the keys inside the bundle (--insecure-use-embedded-keys)"
            keys += try Self.embeddedKeys(in: staging)
            guard !keys.isEmpty else { throw .usage("the bundle carries no keys; pass --key") }
            check.warnings.append(.init(
                .airgapSelfVouched,
                "checked only against the keys the zip carries itself (\(keys.map { String($0.keyID.prefix(16)) + "…" }.joined(separator: ", "))): anyone who can write the zip can write those; this is NOT verified",
                file: bundle))
        }
        let (verdict, checked) = try ReleaseVerification(context: context).verifyRelease(directory: staging + "/release", keys: keys, policy: .required)
        check.report = checked
        check.release = verdict.value
        for problem in verdict.problems {
            problems.add(problem.code, "release/\(problem.message)", file: problem.file.map { "release/\($0)" })
        }
        return check
    }

    /// The keys in the extracted `trust/keys/` (none when it is absent); a key that does not parse is an error.
    private static func embeddedKeys(in staging: String) throws(HallmarkError) -> [PublicKey] {
        let keyDir = staging + "/trust/keys"
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: keyDir).sorted() } catch { names = [] }
        var keys: [PublicKey] = []
        for name in names {
            keys.append(try PublicKey(pem: try FileIO.readText(keyDir + "/" + name, display: name), source: "trust/keys/\(name)"))
        }
        return keys
    }

    /// What no signature covers: everything outside release/ but the list itself, and keys that are not --key.
    private static func unauthenticatedFiles(in list: ChecksumList, staging: String, trustedKeys: [PublicKey]) -> [String] {
        var unauthenticated: [String] = []
        for file in list.entries.map(\.path).sorted() where !RelativePath.hasDirectoryPrefix(file, "release/") {
            if RelativePath.hasDirectoryPrefix(file, "trust/keys/"), FileIO.isFile(staging + "/" + file),
                case .success(let text) = Result(catching: { () throws(HallmarkError) in try FileIO.readText(staging + "/" + file, limit: 1 << 20) }),
                case .success(let key) = Result(catching: { () throws(HallmarkError) in try PublicKey(pem: text, source: file) }),
                trustedKeys.contains(where: { $0.keyID == key.keyID })
            {
                continue
            }
            unauthenticated.append(file)
        }
        return unauthenticated
    }

    /// The warning that names the members no signature covers.
    private static func unauthenticatedWarning(_ unauthenticated: [String], bundle: String) -> VerificationProblem {
        .init(
            .airgapUnauthenticated,
            "not covered by any signature, so not verified: \(unauthenticated.joined(separator: ", ")) (check a trusted root with `hallmark trust update`, keys through your own channel)",
            file: bundle)
    }

    /// Moves the checked tree to `extract`, creating its missing parents only now, for a zip that verified.
    private func moveIntoPlace(_ staging: String, extract: String, parent: String) throws(HallmarkError) {
        try Paths.makeDirectory(parent)
        guard rename(staging, try context.resolve(extract)) == 0 else {
            throw .io("\(extract): cannot move the checked bundle into place: \(String(cString: strerror(errno)))")
        }
    }
}

extension AirGap.VerifyResult.Outcome {
    /// `verified` only for a bundle that verified with keys from outside it; `self-vouched` for one that verified
    /// with its own keys; `failed` otherwise.
    init(isVerified: Bool, insecureUseEmbeddedKeys: Bool) {
        self = switch (isVerified, insecureUseEmbeddedKeys) {
        case (true, false): .verified
        case (true, true): .selfVouched
        case (false, _): .failed
        }
    }
}
