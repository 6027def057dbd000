import Foundation
import HallmarkCore
import Logging
import HallmarkCrypto
import HallmarkRemote

/// `hallmark verify-remote URL`: download a published release (hashing while downloading, with size caps,
/// timeouts and retries), then run exactly the checks `hallmark verify` runs, and write a report.
public struct RemoteVerification: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public struct FileResult: Codable, Sendable {
        public var name: String
        public var url: String
        public var status: String
        public var sha256: String?
        public var expectedSha256: String?
        public var size: Int64?
    }

    public struct Report: Codable, Sendable {
        public var schemaVersion = VerificationReportSchema.version
        public var url: String
        public var verified: Bool
        public var files: [FileResult]
        public var problems: [VerificationProblem]
        public var verification: ReleaseVerification.Report?
        public var directory: String?
        /// OCI only: the digest of the manifest that was verified (pin to it: oci://HOST/REPO@DIGEST).
        public var manifestDigest: String?
    }

    /// A remote release that verified: every file downloaded whole, then the release verified as `verify` does.
    public struct VerifiedRemoteRelease: Sendable {
        public let url: String
        public let manifestDigest: String?
        public let release: ReleaseVerification.VerifiedRelease
    }

    static let metadataLimit: Int64 = 64 << 20
    static let fileLimit: Int64 = 8 << 30

    public func verify(
        url: String, keys references: [String], allowUnsigned: Bool, out: String?, reportDirectory: String?,
        registry: RegistryAccess = RegistryAccess()
    ) async throws(HallmarkError) -> Report {
        try await verifyRemote(url: url, keys: references, allowUnsigned: allowUnsigned, out: out, reportDirectory: reportDirectory, registry: registry).report
    }

    /// The verdict and its report.
    public func verifyRemote(
        url: String, keys references: [String], allowUnsigned: Bool, out: String?, reportDirectory: String?,
        registry: RegistryAccess = RegistryAccess()
    ) async throws(HallmarkError) -> (verdict: Verdict<VerifiedRemoteRelease>, report: Report) {
        let oci = url.hasPrefix(OCIReference.scheme)
        guard url.hasPrefix("http://") || url.hasPrefix("https://") || oci else {
            throw .usage("\(url): verify-remote reads http://, https:// and oci:// URLs")
        }
        let reference = oci ? try OCIReference(parsing: url) : nil
        if let reference, reference.reference == nil {
            throw .usage("\(url): name the release's tag or digest (oci://HOST/REPO:TAG or @sha256:...)")
        }
        if allowUnsigned && !references.isEmpty {
            throw .usage("--allow-unsigned checks no signature, so a --key would be ignored; pass one or the other")
        }
        let keys = try KeyResolver(context: context).publicKeys(references)
        if keys.isEmpty && !allowUnsigned { throw .usage("pass --key with the release's public key, or --allow-unsigned to check checksums only") }
        context.logger.debug("verifying a published release", metadata: ["url": "\(url)"])
        let directory = try prepareDirectory(out)
        defer { if out == nil { FileIO.removeQuietly(directory) } }
        let fetched: (files: [FileResult], problems: [VerificationProblem], manifestDigest: String?)
        if let reference {
            let pulled = try await OCIReleaseFetch(context: context, access: registry).fetch(reference, into: directory)
            fetched = (pulled.files, pulled.problems, pulled.manifestDigest)
        } else {
            let downloaded = try await fetchOverHTTP(url.hasSuffix("/") ? url : url + "/", into: directory, registry: registry)
            fetched = (downloaded.files, downloaded.problems, nil)
        }
        return try await context.offload { [self] () throws(HallmarkError) in
            try finish(url: url, directory: directory, files: fetched.files, problems: fetched.problems,
                       keys: keys, allowUnsigned: allowUnsigned, out: out, reportDirectory: reportDirectory, manifestDigest: fetched.manifestDigest)
        }
    }

    /// `--out` (which must be new or empty), else a scratch directory.
    func prepareDirectory(_ out: String?) throws(HallmarkError) -> String {
        let directory: String
        if let out { directory = try context.resolve(out) } else { directory = try context.makeScratchDirectory("hallmark-remote") }
        if FileManager.default.fileExists(atPath: directory) {
            let contents: [String]
            do { contents = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
                throw .usage("\(out ?? directory) exists and is not a readable directory; --out needs a new or empty directory")
            }
            if !contents.isEmpty { throw .usage("\(out ?? directory) is not empty; --out needs a new or empty directory") }
        }
        try Paths.makeDirectory(directory)
        return directory
    }

    /// A release over HTTP(S): checksums.txt, then the signatures it may name, then index.json (whose sizes cap
    /// the archives), then everything else in parallel, hashed as it arrives.
    func fetchOverHTTP(
        _ base: String, into directory: String, registry: RegistryAccess
    ) async throws(HallmarkError) -> (files: [FileResult], problems: [VerificationProblem]) {
        let downloader = try registry.downloader(context: context)
        var problems = ProblemList()
        // 1. The list, and what names the other files.
        let listResult = await downloader.download([(base + ReleaseDirectory.checksums, directory + "/" + ReleaseDirectory.checksums, Self.metadataLimit)]) { _, _ in }
        if case .failure(let error) = listResult[0] { throw error.code == .verificationFailed ? error : .io(error.message) }
        let listData = try FileIO.read(directory + "/" + ReleaseDirectory.checksums, display: ReleaseDirectory.checksums)
        let list = ChecksumList(parsing: listData, algorithm: .sha256)
        var names: [String] = []
        for entry in list.entries where RelativePath.nonCanonicalReason(entry.path) == nil && !names.contains(where: { Array($0.utf8) == Array(entry.path.utf8) }) {
            names.append(entry.path)
        }
        for bad in list.entries where RelativePath.nonCanonicalReason(bad.path) != nil {
            problems.add(.checksumsUnsafePath, "\(ReleaseDirectory.checksums): refusing \"\(bad.path)\"", file: ReleaseDirectory.checksums)
        }
        names += try await signatureFiles(base, into: directory, listed: names, downloader: downloader, problems: &problems)
        let sizes = await indexSizes(base, into: directory, names: &names, downloader: downloader)
        // 2. Everything else, in parallel, hashed as it arrives.
        let expected = Dictionary(list.entries.map { ($0.path, $0.digest) }, uniquingKeysWith: { a, _ in a })
        let files = try await downloadAll(
            names, base: base, into: directory, sizes: sizes, expected: expected, downloader: downloader, problems: &problems)
        return (files, problems.all)
    }

    /// signatures.json and the signature files it names: only NAME.sig / NAME.minisig of a listed name (what
    /// verification accepts), one download per name. Absent (404) means an unsigned release, which the
    /// verification then names; any other failure is a failure.
    func signatureFiles(
        _ base: String, into directory: String, listed names: [String], downloader: Downloader, problems: inout ProblemList
    ) async throws(HallmarkError) -> [String] {
        let signatures = await downloader.download([(base + ReleaseDirectory.signatures, directory + "/" + ReleaseDirectory.signatures, Self.metadataLimit)]) { _, _ in }
        switch signatures[0] {
        case .failure(let error) where error.problem == .downloadNotFound:
            FileIO.removeQuietly(directory + "/" + ReleaseDirectory.signatures)
            return []
        case .failure(let error):
            throw error
        case .success:
            var more: [String] = []
            do {
                let data = try FileIO.read(directory + "/" + ReleaseDirectory.signatures, display: ReleaseDirectory.signatures)
                let set = try CanonicalJSON.decode(SignatureSet.self, from: data, source: ReleaseDirectory.signatures)
                let listed = Set((names + [ReleaseDirectory.checksums]).map { Array($0.utf8) })
                for entry in set.files where listed.contains(Array(entry.name.utf8))
                    && [".sig", ".minisig"].contains(where: { Array(entry.signatureFile.utf8) == Array(entry.name.utf8) + Array($0.utf8) })
                    && RelativePath.nonCanonicalReason(entry.signatureFile) == nil
                    && !(names + more).contains(where: { Array($0.utf8) == Array(entry.signatureFile.utf8) })
                {
                    more.append(entry.signatureFile)
                }
            } catch {
                problems.add(.signaturesInvalid, error.message, file: ReleaseDirectory.signatures)
            }
            return more
        }
    }

    /// index.json first, when listed: its sizes cap the archives' downloads (caps only, from a file not yet
    /// verified: never above the cap a file without one gets; a malformed index is the cross-check's to report).
    /// Once fetched it leaves `names`; a failed fetch is tried again with the others, and reported there.
    func indexSizes(_ base: String, into directory: String, names: inout [String], downloader: Downloader) async -> [String: Int64] {
        guard names.contains(ReleaseIndex.fileName) else { return [:] }
        let indexResult = await downloader.download([(base + ReleaseIndex.fileName, directory + "/" + ReleaseIndex.fileName, Self.metadataLimit)]) { _, _ in }
        guard case .success = indexResult[0] else { return [:] }
        names.removeAll { $0 == ReleaseIndex.fileName }
        var sizes: [String: Int64] = [:]
        do {
            let data = try FileIO.read(directory + "/" + ReleaseIndex.fileName)
            let index = try CanonicalJSON.decode(ReleaseIndex.self, from: data, source: ReleaseIndex.fileName)
            for artifact in index.artifacts { sizes[artifact.file] = min(Int64(clamping: artifact.size), Self.fileLimit) }
        } catch {
            return [:]
        }
        return sizes
    }

    /// Downloads `names` four at a time, hashing each as it arrives; each file's status, and a problem for every
    /// file that does not match the list or did not arrive.
    func downloadAll(
        _ names: [String], base: String, into directory: String, sizes: [String: Int64], expected: [String: String],
        downloader: Downloader, problems: inout ProblemList
    ) async throws(HallmarkError) -> [FileResult] {
        for name in names { try Paths.makeDirectory(((directory + "/" + name) as NSString).deletingLastPathComponent) }
        let hashers = names.map { _ in StreamingSHA256() }
        let jobs = names.map { name in (url: base + name, path: directory + "/" + name, limit: sizes[name] ?? Self.fileLimit) }
        let results = await downloader.download(jobs, width: 4, onRestart: { hashers[$0].reset() }) { index, bytes in hashers[index].update(bytes) }
        var files: [FileResult] = []
        for (index, name) in names.enumerated() {
            switch results[index] {
            case .success(let size):
                let digest = hashers[index].finalizeHex()
                var status = "ok"
                if let want = expected[name], want != digest {
                    status = "modified"
                    problems.add(.fileModified, "\(name): the published file's sha256 is \(digest), not the listed \(want) (tampered, swapped or truncated)", file: name)
                }
                files.append(FileResult(name: name, url: base + name, status: status, sha256: digest, expectedSha256: expected[name], size: size))
            case .failure(let error):
                FileIO.removeQuietly(directory + "/" + name)
                let code = error.problem ?? .downloadFailed
                let status = switch code {
                case .downloadNotFound: "missing"
                case .downloadTooLarge: "too-large"
                default: "failed"
                }
                files.append(FileResult(name: name, url: base + name, status: status, sha256: nil, expectedSha256: expected[name], size: nil))
                problems.add(code, error.message, file: name)
            }
        }
        return files
    }

    /// The same checks as `hallmark verify`, on what was downloaded, and the report.
    func finish(
        url: String, directory: String, files: [FileResult], problems downloadProblems: [VerificationProblem],
        keys: [PublicKey], allowUnsigned: Bool, out: String?, reportDirectory: String?, manifestDigest: String?
    ) throws(HallmarkError) -> (verdict: Verdict<VerifiedRemoteRelease>, report: Report) {
        var problems = ProblemList()
        problems.add(contentsOf: downloadProblems)
        var verification: ReleaseVerification.Report?
        var release: ReleaseVerification.VerifiedRelease?
        if problems.isEmpty {
            // The files are hashed again on disk: what is verified is what the directory holds, whatever the
            // downloads did (a digest taken while downloading vouches for the bytes received, not the file left).
            let (verdict, report) = try ReleaseVerification(context: context).verifyRelease(
                directory: directory, keys: keys, policy: allowUnsigned ? .allowUnsigned : .required)
            verification = report
            release = verdict.value
            problems.add(contentsOf: verdict.problems)
        }
        let verdict = problems.verdict({ () -> VerifiedRemoteRelease? in
            guard let release else { return nil }
            return VerifiedRemoteRelease(url: url, manifestDigest: manifestDigest, release: release)
        }, subject: url)
        let report = Report(url: url, verified: verdict.isVerified, files: files.sorted { $0.name < $1.name }, problems: verdict.problems,
                            verification: verification, directory: out, manifestDigest: manifestDigest)
        guard let reportDirectory else { return (verdict, report) }
        let reports = try context.resolve(reportDirectory)
        try Paths.makeDirectory(reports)
        do { try FileIO.writeAtomically(try CanonicalJSON.prettyData(report), to: reports + "/remote-verify.json") } catch let error as HallmarkError { throw error } catch {
            throw .io("remote-verify.json: \(error)")
        }
        try FileIO.writeAtomically(Data(Self.markdown(report).utf8), to: reports + "/remote-verify.md")
        return (verdict, report)
    }

    static func markdown(_ report: Report) -> String {
        var lines = ["# Remote verification: \(report.url)", "", "Result: **\(report.verified ? "verified" : "FAILED")**", ""]
        if let digest = report.manifestDigest { lines += ["Manifest: `\(digest)`", ""] }
        lines += ["| File | Status | SHA-256 | Size |", "|---|---|---|---|"]
        for file in report.files { lines.append("| `\(file.name)` | \(file.status) | `\(file.sha256 ?? "-")` | \(file.size.map(String.init) ?? "-") |") }
        if !report.problems.isEmpty {
            lines += ["", "## Problems", ""] + report.problems.map { "- `\($0.code.rawValue)` \($0.message)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
