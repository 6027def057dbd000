import Foundation
import HallmarkArchive
import HallmarkCore
import Logging
import HallmarkCrypto

#if canImport(Glibc)
import Glibc
#endif

/// The local install, in the order it must happen: stage and authenticate the bytes (touching nothing), check
/// every member and find the binary, decide against what is installed, then stage, back up, swap and smoke-test.
/// Each stage hands the next a value holding only what its checks established.
extension Installer {
    /// A private copy of the archive and what its checks established.
    struct StagedArchive {
        var path: String
        /// The name messages use (what the user gave, or the index's file name).
        var display: String
        var format: ArchiveFormat
        /// The member the index names as the binary, and its digest there.
        var member: String?
        var expectedBinary: String?
        var version: String?
        /// What authenticated the bytes: each entry made only by a check that passed.
        var authenticatedBy: [String] = []
        var notes: [String] = []
    }

    /// The binary inside a staged archive, checked in one pass over the copy.
    struct CheckedBinary {
        var member: String
        var sha256: String
        /// The name it is installed under (`PREFIX/bin/NAME`).
        var name: String
    }

    /// What the install will do, decided against the state of the prefix.
    struct Decision {
        var layout: Layout
        var state: State
        var current: State.Entry?
        /// Whether a binary is in place (recorded or not).
        var present: Bool
        var action: String
    }

    func installLocal(_ request: Request) throws(HallmarkError) -> Result {
        try checkAuthenticationIsPossible(request)
        guard (request.from == nil) != (request.index == nil) else { throw .usage("pass either --from ARCHIVE or --index index.json") }
        if request.smoke != nil { try context.requireCommands("--smoke") }
        // 1. Find and verify everything, touching nothing. Every file is copied once into a private directory,
        // hashed on the way; the checks and everything after them read only those copies.
        let workspace = try context.makePrivateDirectory("hallmark-install-staging")
        defer { workspace.remove() }
        let reader = ArchiveReader()
        var archive: StagedArchive
        if let index = request.index {
            archive = try stageFromIndex(index, request: request, workspace: workspace, reader: reader)
        } else if let from = request.from {
            archive = try stageArchive(from, request: request, workspace: workspace, reader: reader)
        } else {
            throw .usage("pass either --from ARCHIVE or --index index.json")
        }
        try requireAuthentication(&archive, request: request)
        let binary = try checkBinary(in: archive, request: request, reader: reader)
        // 2. Decide against what is installed.
        let decision = try decide(binary, version: archive.version, archiveDisplay: archive.display, request: request, notes: &archive.notes)
        // 3. Stage, back up, swap; 4. smoke test, then record.
        let entry = try swap(binary, from: archive, decision: decision, request: request, reader: reader, workspace: workspace)
        if let smoke = request.smoke {
            try smokeTest(smoke, layout: decision.layout, hadPrevious: decision.present)
            archive.notes.append("smoke test passed: \(smoke)")
        }
        let layout = decision.layout
        if decision.present, rename(layout.pendingBackup, layout.backup) != 0 {
            throw .io("\(layout.backup): cannot keep the previous binary as the backup: \(String(cString: strerror(errno)))")
        }
        var state = decision.state
        state.binaries[binary.name] = entry
        try save(state, layout)
        context.logger.info(
            "installed", metadata: ["name": "\(binary.name)", "action": "\(decision.action)", "sha256": "\(binary.sha256)"])
        return Result(
            action: decision.action, name: binary.name, path: layout.bin, version: archive.version,
            previousVersion: entry.previous?.version, sha256: binary.sha256, source: entry.source,
            verified: !archive.authenticatedBy.isEmpty, authenticatedBy: archive.authenticatedBy, notes: archive.notes)
    }

    /// `--index`: the index (with its signature) and the platform's archive beside it, each copied once; the
    /// archive must have the index's sha256, and the signed index names the version.
    func stageFromIndex(
        _ localIndex: String, request: Request, workspace: PrivateDirectory, reader: ArchiveReader
    ) throws(HallmarkError) -> StagedArchive {
        let path = try context.resolve(localIndex)
        // Messages name what the user gave (a URL or oci:// reference), not the download's temporary copy.
        let indexPath = request.recordedSource ?? localIndex
        guard FileIO.exists(path) else { throw .io("\(indexPath): No such file or directory") }
        let stagedIndex = try FileCopy.copyWithSignatures(
            path, into: workspace, as: ReleaseIndex.fileName, display: indexPath, limit: UInt64(FileIO.defaultReadLimit),
            kind: "an index", resolve: { (path) throws(HallmarkError) in try context.resolve(path) }
        ).path
        var notes: [String] = []
        var authenticatedBy: [String] = []
        if let signed = try checkSignature(of: stagedIndex, display: indexPath, keys: request.keys, required: request.requireSignature, notes: &notes) {
            authenticatedBy.append("index \(signed.authenticatedBy)")
        }
        let index = try CanonicalJSON.decode(ReleaseIndex.self, from: try FileIO.read(stagedIndex, display: indexPath), source: indexPath)
        try index.validate(source: indexPath)
        let platform = request.platform ?? Platform.host
        guard let artifact = index.artifacts.first(where: { $0.platform == platform }) else {
            throw .invalidInput(
                "\(indexPath) has no artifact for \(platform) (it has \(index.artifacts.map { $0.platform.description }.joined(separator: ", "))); pass --platform")
        }
        // The index's file name (checked safe by validate) beside it, resolved like any path: a link out is refused.
        let original = try context.resolve((path as NSString).deletingLastPathComponent + "/" + artifact.file)
        guard FileIO.exists(original) else { throw .io("\(artifact.file): not found beside \(indexPath)") }
        let staged = try FileCopy.copyWithSignatures(
            original, into: workspace, as: "archive", display: artifact.file, limit: reader.limits.maxArchiveSize, kind: "an archive",
            resolve: { (path) throws(HallmarkError) in try context.resolve(path) })
        guard staged.copied.sha256 == artifact.sha256 else {
            throw .verificationFailed(
                "\(artifact.file): sha256 \(staged.copied.sha256) is not the \(artifact.sha256) that \(indexPath) lists (tampered or swapped)",
                problem: .fileModified)
        }
        if let signed = try checkSignature(of: staged.path, display: artifact.file, keys: request.keys, required: request.requireSignature, notes: &notes) {
            authenticatedBy.append("archive \(signed.authenticatedBy)")
        }
        guard let format = ArchiveFormat(rawValue: artifact.format) else { throw .invalidInput("\(indexPath): unknown format \(artifact.format)") }
        // The signed index names the version; a --version that says otherwise would defeat the downgrade check.
        if let given = request.version, given != index.version {
            throw .usage("--version \(given) is not the version the signed index names (\(index.version)); leave --version out with --index")
        }
        return StagedArchive(
            path: staged.path, display: artifact.file, format: format, member: artifact.binary.path,
            expectedBinary: artifact.binary.sha256, version: index.version, authenticatedBy: authenticatedBy, notes: notes)
    }

    /// `--from`: the archive (with its signature) copied once; `--sha256` and a signature authenticate it, and a
    /// minisign trusted comment that names a version binds it.
    func stageArchive(
        _ from: String, request: Request, workspace: PrivateDirectory, reader: ArchiveReader
    ) throws(HallmarkError) -> StagedArchive {
        let original = try context.resolve(from)
        guard FileIO.exists(original) else { throw .io("\(from): No such file") }
        let format: ArchiveFormat
        if from.hasSuffix(".tar.gz") || from.hasSuffix(".tgz") { format = .tarGz } else if from.hasSuffix(".zip") { format = .zip } else {
            throw .invalidInput("\(from): not a .tar.gz or .zip archive")
        }
        let staged = try FileCopy.copyWithSignatures(
            original, into: workspace, as: "archive", display: from, limit: reader.limits.maxArchiveSize, kind: "an archive",
            resolve: { (path) throws(HallmarkError) in try context.resolve(path) })
        var archive = StagedArchive(path: staged.path, display: from, format: format, version: request.version)
        if let expected = request.sha256?.lowercased() {
            let digest = staged.copied.sha256
            guard digest == expected else { throw .verificationFailed("\(from): sha256 \(digest) is not the expected \(expected)", problem: .fileModified) }
            archive.notes.append("\(from): sha256 matches")
            archive.authenticatedBy.append("sha256")
        }
        guard let signed = try checkSignature(of: staged.path, display: from, keys: request.keys, required: request.requireSignature, notes: &archive.notes)
        else { return archive }
        archive.authenticatedBy.append("archive \(signed.authenticatedBy)")
        // A minisign trusted comment that names the version binds it: a mirror that renames an old signed archive
        // to a newer release's name cannot make --version (or the file name) say otherwise.
        if let signedVersion = signed.signedVersion {
            if let given = request.version, !Self.sameVersion(given, signedVersion) {
                throw .usage(
                    "--version \(given) is not the version \(from)'s signature names (\(signedVersion), in its trusted comment); leave --version out, or check that the archive is the release you meant")
            }
            archive.version = signedVersion
            archive.notes.append("\(from): version \(signedVersion) from the signature's trusted comment")
        }
        return archive
    }

    /// Nothing touches the prefix unless a check authenticated the bytes (or the user said not to): a plain
    /// http:// download needs a signature; anything else needs a signature or a pinned digest.
    func requireAuthentication(_ archive: inout StagedArchive, request: Request) throws(HallmarkError) {
        let plainHTTP = (request.recordedSource ?? "").hasPrefix("http://")
        if plainHTTP && !archive.authenticatedBy.contains(where: { $0.contains("signature") }) && !request.insecureSkipVerify {
            throw .verificationFailed(
                "\(request.recordedSource ?? ""): a plain http:// download was not authenticated by a signature", problem: .installUnauthenticated)
        }
        if archive.authenticatedBy.isEmpty {
            guard request.insecureSkipVerify else {
                throw .verificationFailed("\(archive.display): nothing authenticated these bytes; refusing to install them", problem: .installUnauthenticated)
            }
            archive.notes.append("NOT verified: installed under --insecure-skip-verify; nothing authenticated these bytes")
        }
    }

    /// One pass over the private copy: every member checked, the candidates for the binary hashed; then the
    /// binary chosen (the index's, `--name`, or the one top-level executable) and its digest checked.
    func checkBinary(in archive: StagedArchive, request: Request, reader: ArchiveReader) throws(HallmarkError) -> CheckedBinary {
        let wanted = archive.member
        var digests: [String: String] = [:]
        let members = try reader.scan(archive.path, format: archive.format, display: archive.display) { (entry, body) throws(HallmarkError) in
            guard entry.kind == .file, wanted.map({ entry.path == $0 }) ?? !entry.path.utf8.contains(0x2F) else { return }
            let hasher = StreamingSHA256()
            try body.forEachChunk { hasher.update($0) }
            digests[entry.path] = hasher.finalizeHex()
        }
        let member: String
        if let wanted {
            member = wanted
        } else if let name = request.name {
            guard let found = members.first(where: { $0.path == name || $0.path == name + ".exe" })?.path else {
                throw .invalidInput("\(archive.display) has no file \(name) at its top level")
            }
            member = found
        } else {
            let executables = members.filter { $0.kind == .file && $0.mode & 0o111 != 0 && !$0.path.utf8.contains(0x2F) }
            guard executables.count == 1 else {
                throw .usage("\(archive.display) holds \(executables.count) executables at its top level; name the one to install with --name")
            }
            member = executables[0].path
        }
        guard let sha256 = digests[member] else { throw .invalidInput("\(archive.display) has no file \(member)") }
        if let expected = archive.expectedBinary, sha256 != expected {
            throw .verificationFailed(
                "\(archive.display): \(member) has sha256 \(sha256), not the \(expected) the index lists", problem: .installBinaryMismatch)
        }
        var name = request.name ?? member
        if name.hasSuffix(".exe") && request.name == nil { name.removeLast(4) }
        guard RelativePath.isPlainName(name) else { throw .usage("--name must be a plain file name (the binary is installed as PREFIX/bin/NAME)") }
        return CheckedBinary(member: member, sha256: sha256, name: name)
    }

    /// Install, upgrade, reinstall or refuse, against what the prefix records: replacing needs `upgrade` or
    /// `--force`; a downgrade, or a version that cannot be compared with an installed one, needs
    /// `--allow-downgrade`.
    func decide(
        _ binary: CheckedBinary, version: String?, archiveDisplay: String, request: Request, notes: inout [String]
    ) throws(HallmarkError) -> Decision {
        let layout = try layout(prefix: request.prefix, name: binary.name)
        let state = try loadState(layout)
        let current = state.binaries[binary.name]
        let present = FileIO.isFile(layout.bin)
        guard current != nil || present else {
            if request.upgrade { notes.append("nothing was installed as \(binary.name): a fresh install") }
            return Decision(layout: layout, state: state, current: nil, present: false, action: "installed")
        }
        if current?.sha256 == binary.sha256 && !request.force {
            throw .usage("\(layout.bin) is already this binary (sha256 \(binary.sha256.prefix(16))…); pass --force to reinstall it")
        }
        if !request.upgrade && !request.force {
            throw .usage("\(layout.bin) is already installed; use `hallmark upgrade`, or pass --force to replace it")
        }
        if let old = Self.semver(current?.version), let new = Self.semver(version) {
            if new < old && !request.allowDowngrade {
                throw .invalidInput("refusing to downgrade \(binary.name) from \(old) to \(new); pass --allow-downgrade to do it anyway")
            }
            if new == old && current?.sha256 != binary.sha256 && !request.force {
                throw .invalidInput("\(binary.name) \(new) is installed with another digest; pass --force to replace it")
            }
        } else if let old = Self.semver(current?.version), !request.allowDowngrade {
            // An archive whose version is unknown could be older: refuse rather than skip the downgrade check.
            throw .usage(
                "\(binary.name) \(old) is installed, and the version of \(archiveDisplay) is unknown, so a downgrade cannot be ruled out; pass --version (or --allow-downgrade)")
        } else if present {
            notes.append("the installed and new versions cannot be compared; no downgrade check")
        }
        return Decision(layout: layout, state: state, current: current, present: present, action: request.upgrade ? "upgraded" : "reinstalled")
    }

    /// A version for comparison, or nil when there is none or it is not semver.
    static func semver(_ text: String?) -> SemanticVersion? {
        guard let text, case .success(let parsed) = Swift.Result(catching: { () throws(HallmarkError) in try SemanticVersion(parsing: text) })
        else { return nil }
        return parsed
    }

    /// Stages the binary from the private copy (hashed as it is written, and it must be the checked one), backs
    /// up the one in place, and swaps with one rename. Returns the state entry to record once the smoke test passes.
    func swap(
        _ binary: CheckedBinary, from archive: StagedArchive, decision: Decision, request: Request, reader: ArchiveReader,
        workspace: PrivateDirectory
    ) throws(HallmarkError) -> State.Entry {
        let layout = decision.layout
        unlink(layout.pendingBackup)  // left by an install that was killed before its swap
        unlink(layout.staged)
        try Paths.makeDirectory(layout.prefix + "/bin")
        let writtenSha = try writeMember(binary.member, of: archive.path, format: archive.format, display: archive.display, reader: reader, to: layout.staged)
        guard writtenSha == binary.sha256 else {
            unlink(layout.staged)
            throw .verificationFailed(
                "\(archive.display): \(binary.member) changed between its check and its copy (sha256 \(writtenSha), checked \(binary.sha256))",
                problem: .installBinaryMismatch)
        }
        let copiedPreviousSha = decision.present ? try backUpCurrent(layout) : nil
        workspace.remove()  // the private copies are used up; nothing is left behind even if the process dies now
        failpoint("before-swap")
        guard rename(layout.staged, layout.bin) == 0 else {
            let code = errno
            unlink(layout.staged)
            throw .io("\(layout.bin): cannot move the new binary into place: \(String(cString: strerror(code)))")
        }
        failpoint("after-swap")
        let source = request.recordedSource ?? request.index ?? request.from ?? archive.display
        var entry = State.Entry(
            version: archive.version, source: source, sha256: binary.sha256, verified: !archive.authenticatedBy.isEmpty,
            authenticatedBy: archive.authenticatedBy, previous: nil)
        if decision.present {
            let current = decision.current
            guard let previousSha = current?.sha256 ?? copiedPreviousSha else {
                throw .io("\(layout.bin): the previous binary was not backed up")
            }
            // A binary found in place without an install record was never verified by Hallmark.
            entry.previous = State.Previous(
                version: current?.version, source: current?.source ?? "unknown", sha256: previousSha, verified: current?.verified ?? false)
        }
        return entry
    }

    /// Copies the binary in place to the pending backup; returns its sha256. On failure the staged binary goes.
    func backUpCurrent(_ layout: Layout) throws(HallmarkError) -> String {
        try Paths.makeDirectory((layout.backup as NSString).deletingLastPathComponent)
        do {
            return try FileCopy.copy(layout.bin, to: layout.pendingBackup, mode: 0o755, display: layout.bin).sha256
        } catch {
            unlink(layout.staged)
            throw error
        }
    }

    /// Runs `--smoke` with the new binary first on PATH; when it fails (or cannot run), puts the previous binary
    /// back (or removes the new one) and throws.
    func smokeTest(_ smoke: String, layout: Layout, hadPrevious: Bool) throws(HallmarkError) {
        var environment = context.processEnvironment
        environment["PATH"] = layout.prefix + "/bin:" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["HALLMARK_INSTALLED"] = layout.bin
        let outcome = hadPrevious ? "the previous binary is back in place" : "the new binary was removed"
        // The output goes to a private log (0600, in a fresh 0700 directory), removed once its tail is read.
        let status: Int32
        let tail: String
        do {
            (status, tail) = try Subprocess.shellWithPrivateLog(
                smoke, in: context.workingDirectory, environment: environment, scratch: context.scratchDirectory,
                label: "hallmark-smoke", tailLines: 5)
        } catch {
            try restore(layout, hadPrevious: hadPrevious)
            throw HallmarkError(error.code, "\(error.message); the smoke test did not run, so nothing changed: \(outcome)")
        }
        if status != 0 {
            try restore(layout, hadPrevious: hadPrevious)
            throw .verificationFailed(
                "the smoke test `\(smoke)` failed (exit \(status)): \(tail.replacingOccurrences(of: "\n", with: " | ")); rolled back: \(outcome)")
        }
    }
}
