import Foundation
import HallmarkArchive
import HallmarkConcurrency
import HallmarkCore
import HallmarkCrypto
import HallmarkRemote

#if canImport(Glibc)
import Glibc
#endif

/// `hallmark install` / `upgrade` / `rollback` / `installed`: put a verified binary at `PREFIX/bin/NAME`, or
/// change nothing. Everything is verified before the prefix is touched; the previous binary is kept as a backup;
/// the new one replaces it with one rename, so `PREFIX/bin/NAME` is always a whole binary, old or new.
public struct Installer: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public struct Request: Sendable {
        public var from: String?
        public var index: String?
        public var platform: Platform?
        public var sha256: String?
        public var keys: [String]
        public var requireSignature: Bool
        public var prefix: String
        public var name: String?
        public var version: String?
        public var smoke: String?
        public var force: Bool
        public var allowDowngrade: Bool
        public var upgrade: Bool
        /// Install without authenticating the bytes (unsafe; recorded as `"verified": false`).
        public var insecureSkipVerify = false
        /// How to reach a registry when `index` is an oci:// reference.
        public var registry = RegistryAccess()
        /// What to record as the source (the URL, when a download stands in for it).
        var recordedSource: String?

        public init(from: String?, index: String?, platform: Platform?, sha256: String?, keys: [String], requireSignature: Bool, prefix: String,
                    name: String?, version: String?, smoke: String?, force: Bool, allowDowngrade: Bool, upgrade: Bool) {
            self.from = from
            self.index = index
            self.platform = platform
            self.sha256 = sha256
            self.keys = keys
            self.requireSignature = requireSignature
            self.prefix = prefix
            self.name = name
            self.version = version
            self.smoke = smoke
            self.force = force
            self.allowDowngrade = allowDowngrade
            self.upgrade = upgrade
        }
    }

    /// `PREFIX/lib/hallmark/installed.json`.
    public struct State: Codable, Sendable {
        public var schemaVersion = 1
        public var binaries: [String: Entry] = [:]

        public struct Entry: Codable, Sendable {
            public var version: String?
            public var source: String
            public var sha256: String
            /// Whether the bytes were authenticated (a signature, a pinned sha256 or a signed index) before they
            /// were installed: false under --insecure-skip-verify, and for a binary Hallmark found in place without
            /// installing it (put back by `rollback`). Absent in state written before it existed, which counts as false.
            public var verified: Bool?
            /// How: `signature KEYID`, `sha256`, or `none`.
            public var authenticatedBy: [String]?
            public var previous: Previous?
        }

        public struct Previous: Codable, Sendable {
            public var version: String?
            public var source: String
            public var sha256: String
            /// As `Entry.verified`: false for a binary that was in place before Hallmark installed anything.
            public var verified: Bool?
        }
    }

    public struct Result: Codable, Sendable {
        public var action: String
        public var name: String
        public var path: String
        public var version: String?
        public var previousVersion: String?
        public var sha256: String
        public var source: String
        /// False when --insecure-skip-verify installed unauthenticated bytes, or when `rollback` put back a binary
        /// that was never verified (one Hallmark found in place, or installed under --insecure-skip-verify).
        public var verified: Bool
        public var authenticatedBy: [String]
        public var notes: [String]
    }

    /// Where an installed binary and Hallmark's records of it live under a prefix.
    struct Layout {
        let prefix: String
        let name: String
        var bin: String { prefix + "/bin/" + name }
        var stateDir: String { prefix + "/lib/hallmark" }
        var state: String { stateDir + "/installed.json" }
        var backup: String { stateDir + "/backup/" + name }
        var staged: String { prefix + "/bin/.\(name).hallmark-new" }
        /// The binary being replaced, until the new one has passed its smoke test.
        var pendingBackup: String { stateDir + "/backup/.\(name).pending" }
    }

    /// The layout under `prefix` for the binary `name`. Every path in it must be where it says: under a data
    /// directory, a symbolic link anywhere in it (PREFIX/bin, lib/hallmark, the backup directory, the binary) is
    /// refused, since the install writes, moves and copies through those paths.
    func layout(prefix: String, name: String) throws(HallmarkError) -> Layout {
        let layout = Layout(prefix: try context.resolve(prefix), name: name)
        for path in [layout.prefix + "/bin", layout.stateDir, layout.stateDir + "/backup", layout.bin, layout.backup, layout.state] {
            guard Array(try context.resolve(path).utf8) == Array(path.utf8) else {
                throw .usage("\(path): a symbolic link (or a path that does not lead where it says); refusing to install through it")
            }
        }
        return layout
    }

    func loadState(_ paths: Layout) throws(HallmarkError) -> State {
        guard FileIO.isFile(paths.state) else { return State() }
        return try CanonicalJSON.decode(State.self, from: try FileIO.read(paths.state, display: paths.state), source: paths.state)
    }

    func save(_ state: State, _ paths: Layout) throws(HallmarkError) {
        try Paths.makeDirectory(paths.stateDir)
        do { try FileIO.writeAtomically(try CanonicalJSON.prettyData(state), to: paths.state) } catch let error as HallmarkError { throw error } catch {
            throw .io("\(paths.state): \(error)")
        }
    }

    /// A test hook: in a debug build, `HALLMARK_FAILPOINT=NAME` kills the process at that point, as a power cut
    /// would. Release builds have no failpoints.
    func failpoint(_ name: String) {
        #if DEBUG
        if context.settings.failpoint == name { kill(getpid(), SIGKILL) }
        #endif
    }

    /// What a detached signature established.
    struct SignatureCheck {
        /// `signature KEYID`.
        var authenticatedBy: String
        /// The `version:` field of a minisign trusted comment, which the signature covers; nil for other formats
        /// and for comments that name no version.
        var signedVersion: String?
    }

    /// Checks a detached signature of `file` (FILE.sig, or FILE.minisig) with the given keys; returns what
    /// verified it, or nil when no key was given. `file` is a private copy: messages name `display` instead.
    func checkSignature(of file: String, display: String, keys: [String], required: Bool, notes: inout [String]) throws(HallmarkError) -> SignatureCheck? {
        if keys.isEmpty {
            if required { throw .usage("--require-signature needs --key with the signer's public key") }
            return nil
        }
        let signatures = DetachedSignatures(context: context)
        guard let signature = try signatures.signaturesBeside(file).first else {
            throw .verificationFailed("\(display): no signature (\(display).sig or .minisig) beside it, and --key was given")
        }
        let keyID: String
        var signedVersion: String?
        switch try signatures.verify(file: file, signature: signature, keyReferences: keys, prehashedOnly: false) {
        case .minisign(let result):
            guard result.verified else {
                throw .verificationFailed("\(display): \(shown(result.reason, file: file, as: display))", problem: .signatureInvalid)
            }
            keyID = result.keyId
            signedVersion = try Self.version(inTrustedComment: result.trustedComment, display: display)
        case .raw(let result):
            guard result.verified, let verifiedBy = result.keyId else {
                throw .verificationFailed("\(display): \(shown(result.reason, file: file, as: display))", problem: .signatureInvalid)
            }
            keyID = verifiedBy
        }
        notes.append("\(display): signature verified")
        return SignatureCheck(authenticatedBy: "signature \(keyID)", signedVersion: signedVersion)
    }

    /// The version a minisign trusted comment names: its `version:V` field (the comment is tab-separated
    /// `key:value` fields, as `hallmark sign-blob --format minisign --release-version V` and minisign itself write it).
    static func version(inTrustedComment comment: String?, display: String) throws(HallmarkError) -> String? {
        guard let comment else { return nil }
        let versions = Set(comment.split(separator: "\t").filter { $0.hasPrefix("version:") }.map { String($0.dropFirst("version:".count)) })
        guard versions.count <= 1 else {
            throw .verificationFailed("\(display): the signature's trusted comment names more than one version (\(versions.sorted().joined(separator: ", "))); ask the publisher for a signature that names one", problem: .signatureInvalid)
        }
        return versions.first.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether two version strings name the same version (`v1.2.0` and `1.2.0` do).
    static func sameVersion(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        guard case .success(let left) = Swift.Result(catching: { () throws(HallmarkError) in try SemanticVersion(parsing: a) }),
            case .success(let right) = Swift.Result(catching: { () throws(HallmarkError) in try SemanticVersion(parsing: b) })
        else { return false }
        return left == right
    }

    /// The most an archive download may write: the size the (verified) index states, and never more than the archive
    /// reader accepts, whatever the index says (a size over Int64.max included).
    static func downloadCap(forArchiveOf size: UInt64, limits: ArchiveReader.Limits) -> Int64 {
        Int64(clamping: min(size, limits.maxArchiveSize))
    }

    /// A downloaded index, its signature checked before any of its fields is used (with --key; without one,
    /// --insecure-skip-verify was given): an index nobody signed names no file to fetch and sets no size.
    func verifiedDownloadedIndex(_ local: String, display: String, request: Request) throws(HallmarkError) -> ReleaseIndex {
        var notes: [String] = []  // the install checks the index again from its own private copy, and says so then
        _ = try checkSignature(of: local, display: display, keys: request.keys, required: request.requireSignature, notes: &notes)
        let index = try CanonicalJSON.decode(ReleaseIndex.self, from: try FileIO.read(local, display: display), source: display)
        try index.validate(source: display)
        return index
    }

    /// A verifier's reason, with the private copy's path replaced by the name the user gave.
    private func shown(_ reason: String?, file: String, as display: String) -> String {
        (reason ?? "the signature does not verify").replacingOccurrences(of: file, with: display)
    }

    /// Refuses, before anything is downloaded or touched, a request that could not authenticate what it installs:
    /// it needs --key (a signature), --sha256 (the archive's digest, from a channel you trust) or, with --index,
    /// a key for the index's signature; a plain http:// source needs a signature. --insecure-skip-verify is the
    /// only way past, and it is recorded.
    func checkAuthenticationIsPossible(_ request: Request) throws(HallmarkError) {
        let source = request.index ?? request.from ?? ""
        if request.insecureSkipVerify {
            guard request.keys.isEmpty, request.sha256 == nil, !request.requireSignature else {
                throw .usage("--insecure-skip-verify contradicts --key, --sha256 and --require-signature; pass one or the other")
            }
            return
        }
        if request.index != nil && request.sha256 != nil {
            throw .usage("--sha256 is for --from: with --index, the signed index gives the archive's digest")
        }
        let what = request.index != nil ? "a release index" : "an archive"
        if source.hasPrefix("http://") && request.keys.isEmpty {
            throw .usage("\(source): a plain http:// download can be changed on the way; pass --key so its signature is checked (or use https://)")
        }
        if request.index != nil && request.keys.isEmpty {
            throw .usage("\(source): \(what) is trusted only with its signature: pass --key with the signer's public key (or --insecure-skip-verify to install unauthenticated bytes)")
        }
        if request.keys.isEmpty && request.sha256 == nil {
            throw .usage("refusing to install unauthenticated bytes from \(source): pass --key (the signer's public key) or --sha256 (the archive's digest, from a channel you trust), or --insecure-skip-verify to install anyway")
        }
    }

    static func isURL(_ text: String) -> Bool { text.hasPrefix("http://") || text.hasPrefix("https://") }

    /// Downloads `url` into `directory` (named by its last path component), and its signature when present.
    func fetch(_ url: String, into directory: String, limit: Int64, withSignatures: Bool, access: RegistryAccess) async throws(HallmarkError) -> String {
        let name = URL(string: url)?.lastPathComponent ?? "download"
        guard RelativePath.isPlainName(name) else { throw .usage("\(url): no plain file name at the end of the URL") }
        let path = directory + "/" + name
        let downloader = try access.downloader(context: context)
        if case .failure(let error) = await downloader.download([(url, path, limit)], onChunk: { _, _ in })[0] { throw error }
        if withSignatures {
            for suffix in [".sig", ".minisig"] {
                if case .failure = await downloader.download([(url + suffix, path + suffix, 64 << 10)], onChunk: { _, _ in })[0] {
                    FileIO.removeQuietly(path + suffix)
                }
            }
        }
        return path
    }

    /// From a release in a registry: its index.json (and signature) first, then, from the same manifest pinned
    /// by digest, the platform's archive and its signature; every blob checked against its descriptor.
    /// Returns the local index.json and the manifest's digest.
    func fetchFromRegistry(
        _ reference: OCIReference, platform: Platform, request: Request, into directory: String
    ) async throws(HallmarkError) -> (index: String, manifestDigest: String) {
        let access = request.registry
        let fetcher = OCIReleaseFetch(context: context, access: access)
        let signed = { (name: String) -> Set<String> in [name, name + ".sig", name + ".minisig"] }
        func check(_ fetched: OCIReleaseFetch.Fetched, _ name: String) throws(HallmarkError) {
            if let problem = fetched.problems.first { throw .verificationFailed(problem.message, problem: problem.code) }
            guard fetched.files.contains(where: { $0.name == name }) else {
                throw .verificationFailed("\(reference): the release has no \(name)")
            }
        }
        let first = try await fetcher.fetch(reference, into: directory, only: signed(ReleaseIndex.fileName))
        try check(first, ReleaseIndex.fileName)
        let local = directory + "/" + ReleaseIndex.fileName
        let index = try verifiedDownloadedIndex(local, display: "\(reference) index.json", request: request)
        if let artifact = index.artifacts.first(where: { $0.platform == platform }) {
            let second = try await fetcher.fetch(reference.pinned(to: first.manifestDigest), into: directory, only: signed(artifact.file))
            try check(second, artifact.file)
        }
        return (local, first.manifestDigest)
    }

    public func install(_ request: Request) async throws(HallmarkError) -> Result {
        try checkAuthenticationIsPossible(request)
        var request = request
        request.recordedSource = request.index ?? request.from
        // URLs are downloaded (with their signatures) into a temporary directory, then handled as files.
        var workspace: PrivateDirectory?
        defer { workspace?.remove() }
        func downloads() throws(HallmarkError) -> String {
            if let workspace { return workspace.path }
            let made = try context.makePrivateDirectory("hallmark-install")
            workspace = made
            return made.path
        }
        if let from = request.from, Self.isURL(from) {
            let cap = Self.downloadCap(forArchiveOf: .max, limits: ArchiveReader().limits)
            request.from = try await fetch(from, into: try downloads(), limit: cap, withSignatures: true, access: request.registry)
        }
        if let index = request.index, index.hasPrefix(OCIReference.scheme) {
            let reference = try OCIReference(parsing: index)
            let fetched = try await fetchFromRegistry(reference, platform: request.platform ?? Platform.host, request: request, into: try downloads())
            request.index = fetched.index
            request.recordedSource = reference.pinned(to: fetched.manifestDigest).description
        }
        if let index = request.index, Self.isURL(index) {
            let local = try await fetch(index, into: try downloads(), limit: 16 << 20, withSignatures: true, access: request.registry)
            // The signature first: the archive's name and the download's cap come from the index.
            let parsed = try verifiedDownloadedIndex(local, display: index, request: request)
            let platform = request.platform ?? Platform.host
            if let artifact = parsed.artifacts.first(where: { $0.platform == platform }) {
                let base = String(index[..<(index.lastIndex(of: "/") ?? index.endIndex)])
                let cap = Self.downloadCap(forArchiveOf: artifact.size, limits: ArchiveReader().limits)
                _ = try await fetch(base + "/" + artifact.file, into: try downloads(), limit: cap, withSignatures: true, access: request.registry)
            }
            request.index = local
        }
        let local = request
        return try await context.blocking.run { () throws(HallmarkError) in try installLocal(local) }
    }

    /// Writes the archive member `member` to the new file `destination` (mode 0755, synced), in a second pass over
    /// the private copy that repeats every check; returns the sha256 of the bytes written.
    func writeMember(
        _ member: String, of archive: String, format: ArchiveFormat, display: String, reader: ArchiveReader, to destination: String
    ) throws(HallmarkError) -> String {
        let fd = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o700)
        guard fd >= 0 else { throw .io("\(destination): cannot create: \(String(cString: strerror(errno)))") }
        var closed = false
        var succeeded = false
        defer {
            if !closed { close(fd) }
            if !succeeded { unlink(destination) }
        }
        let hasher = StreamingSHA256()
        _ = try reader.scan(archive, format: format, display: display) { (entry, body) throws(HallmarkError) in
            guard entry.kind == .file, entry.path == member else { return }
            try body.forEachChunk { (chunk) throws(HallmarkError) in
                hasher.update(chunk)
                var done = 0
                while done < chunk.count {
                    let n = write(fd, chunk.baseAddress! + done, chunk.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw .io("\(destination): cannot write: \(String(cString: strerror(errno)))")
                    }
                    done += n
                }
            }
        }
        guard fchmod(fd, 0o755) == 0, fsync(fd) == 0 else { throw .io("\(destination): cannot write: \(String(cString: strerror(errno)))") }
        closed = true
        guard close(fd) == 0 else { throw .io("\(destination): cannot write: \(String(cString: strerror(errno)))") }
        succeeded = true
        return hasher.finalizeHex()
    }

    /// Puts the backup back (or removes the binary when there was none).
    func restore(_ paths: Layout, hadPrevious: Bool) throws(HallmarkError) {
        if hadPrevious {
            guard rename(paths.pendingBackup, paths.bin) == 0 else {
                throw .io("\(paths.bin): cannot put the previous binary back: \(String(cString: strerror(errno))); it is in \(paths.pendingBackup)")
            }
        } else {
            unlink(paths.bin)
        }
    }

    public func rollback(prefix: String, name: String) throws(HallmarkError) -> Result {
        guard RelativePath.isPlainName(name) else { throw .usage("--name must be a plain file name (the binary is PREFIX/bin/NAME)") }
        let paths = try layout(prefix: prefix, name: name)
        var state = try loadState(paths)
        guard let current = state.binaries[name], let previous = current.previous, FileIO.isFile(paths.backup) else {
            throw .invalidInput("\(name): there is no previous version to roll back to in \(prefix)")
        }
        // The backup is copied beside the binary once, hashed as it is copied: what was checked is what goes back.
        unlink(paths.staged)
        unlink(paths.pendingBackup)
        try Paths.makeDirectory(paths.prefix + "/bin")
        let restored = try FileCopy.copy(paths.backup, to: paths.staged, mode: 0o755, display: paths.backup)
        guard restored.sha256 == previous.sha256 else {
            unlink(paths.staged)
            throw .verificationFailed("\(paths.backup): sha256 \(restored.sha256) is not the recorded \(previous.sha256); the backup was changed")
        }
        do {
            _ = try FileCopy.copy(paths.bin, to: paths.pendingBackup, mode: 0o755, display: paths.bin)
        } catch {
            unlink(paths.staged)
            throw error
        }
        guard rename(paths.staged, paths.bin) == 0 else {
            let code = errno
            unlink(paths.staged)
            unlink(paths.pendingBackup)
            throw .io("\(paths.bin): cannot move the previous binary into place: \(String(cString: strerror(code)))")
        }
        guard rename(paths.pendingBackup, paths.backup) == 0 else {
            throw .io("\(paths.backup): cannot keep the replaced binary as the backup: \(String(cString: strerror(errno))); it is in \(paths.pendingBackup)")
        }
        // Unknown means unverified: a binary Hallmark found in place, or state written before `verified` existed.
        let restoredVerified = previous.verified ?? false
        state.binaries[name] = State.Entry(
            version: previous.version, source: previous.source, sha256: previous.sha256, verified: restoredVerified, authenticatedBy: nil,
            previous: State.Previous(version: current.version, source: current.source, sha256: current.sha256, verified: current.verified ?? false))
        try save(state, paths)
        var notes: [String] = []
        switch (previous.verified, previous.source) {
        case (true, _): break
        case (_, "unknown"): notes.append("NOT verified: the restored binary was in place before Hallmark installed over it; nothing authenticated it")
        case (false, _): notes.append("NOT verified: the restored binary was installed without authenticating its bytes")
        case (nil, _): notes.append("NOT verified: the restored binary's record predates Hallmark's verification records, so it counts as unverified")
        case (.some, _): break
        }
        return Result(action: "rolled back", name: name, path: paths.bin, version: previous.version, previousVersion: current.version,
                      sha256: previous.sha256, source: previous.source, verified: restoredVerified, authenticatedBy: [], notes: notes)
    }

    public func installed(prefix: String) throws(HallmarkError) -> State {
        try loadState(try layout(prefix: prefix, name: "_"))
    }
}
