import Foundation
import HallmarkCore
import Logging
import HallmarkCrypto
import HallmarkRemote

/// `hallmark trust update`: update the TUF state kept beside the installed trusted root from a TUF repository
/// (a URL or a local copy), then install the target (Sigstore's `trusted_root.json`) only when the whole
/// client workflow holds. The state (`<trust dir>/tuf/`) is what the next update starts from.
public struct TrustUpdate: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public struct Result: Codable, Sendable {
        public var rootVersion: Int
        public var rootExpires: String
        /// Root versions accepted in this update after the one it started from, in order.
        public var rootsWalked: [Int]
        public var timestampVersion: Int
        public var snapshotVersion: Int
        public var targetsVersion: Int
        public var target: String
        public var targetRole: String
        public var sha256: String
        public var length: Int
        public var installedAt: String
        /// The TUF metadata directory the update started from and left updated.
        public var stateDirectory: String
    }

    /// A repository from `--tuf`: an http(s) URL (metadata at the URL, targets under `URL/targets/`, as
    /// Sigstore's repository lays them out) or a directory (`DIR/metadata` and `DIR/targets`, or metadata in DIR).
    public func repository(_ location: String, options: Downloader.Options = Downloader.Options()) throws(HallmarkError) -> any TUFRepository
    {
        if location.hasPrefix("https://") || location.hasPrefix("http://") {
            let base = location.hasSuffix("/") ? String(location.dropLast()) : location
            return TUFHTTPRepository(
                metadataURL: base + "/", targetsURL: base + "/targets/", fetcher: HTTPFetcher(options: options, clients: context.http))
        }
        let base = try context.resolve(location)
        let metadata = FileIO.isDirectory(base + "/metadata") ? base + "/metadata" : base
        let context = self.context
        return TUFDirectoryRepository(
            metadataDirectory: metadata, targetsDirectory: base + "/targets",
            resolve: { (path) throws(HallmarkError) in try context.resolve(path) })
    }

    public func update(
        repository location: String, initialRoot: String?, now: Date, target: String, output: String?,
        timeoutSeconds: Int64 = Downloader.Options().timeoutSeconds
    ) async throws(HallmarkError) -> Result {
        // --out is a path like any other, checked against the root with its directory; the installed location is
        // the host's own setting.
        let destination: String
        let directory: String
        if let output {
            destination = try context.resolve(output)
            directory = try context.parentDirectory(of: destination)
        } else if let installed = context.settings.trustedRootPath, context.allowsCommands {
            destination = installed
            directory = (installed as NSString).deletingLastPathComponent
        } else {
            throw .usage("pass --out: there is no HOME or HALLMARK_TRUST_DIR to install into (under a data directory, --out is required)")
        }
        // Resolved like any path (under a data directory, a `tuf` link that leads out is refused); the TUF client
        // then keeps its state only in files it names itself.
        let state = output == nil ? (directory.isEmpty ? "." : directory) + "/tuf" : try context.resolve(directory + "/tuf")
        for kept in ["targets", "root_history"] { _ = try context.resolve(state + "/" + kept) }
        // The client reads and writes its state by path: under a data directory, no link may stand in it.
        if !context.allowsCommands, let link = Paths.firstSymbolicLink(in: state) {
            throw .usage("\(link): a symbolic link in the TUF state directory; refusing to keep state through it")
        }
        var options = Downloader.Options()
        options.timeoutSeconds = timeoutSeconds
        let bootstrap = try bootstrapRoot(initialRoot, state: state)
        try Paths.makeDirectory(state)
        var client = try TUFClient(
            metadataDirectory: state, repository: try repository(location, options: options), referenceTime: now,
            bootstrap: bootstrap,
            bootstrapSource: initialRoot ?? "--root")
        try await client.refresh()
        guard let info = try await client.targetInfo(target) else {
            throw .verificationFailed(
                "\(target): no role of \(location) lists this target (try --target with the repository's path for it)",
                problem: .tufNotListed)
        }
        let data: Data
        if let cached = client.cachedTarget(info, in: state + "/targets") {
            data = try FileIO.read(cached, display: cached, limit: info.file.length ?? FileIO.defaultReadLimit)
        } else {
            data = try await client.download(info, into: state + "/targets").data
        }
        if target.hasSuffix("trusted_root.json") || output == nil || destination.hasSuffix("trusted_root.json") {
            _ = try TrustedRoot(parsing: data, source: target)  // it must be a trusted root we can use
        }
        try Paths.makeDirectory(directory)
        try FileIO.writeAtomically(data, to: destination)
        context.logger.info("trusted root updated", metadata: ["destination": "\(destination)", "target": "\(target)"])
        let trusted = client.trusted
        return Result(
            rootVersion: trusted.root.version, rootExpires: TUFTrustedSet.format(trusted.root.expires),
            rootsWalked: client.rootsAccepted,
            timestampVersion: trusted.timestamp?.version ?? 0, snapshotVersion: trusted.snapshot?.version ?? 0,
            targetsVersion: trusted.targets["targets"]?.version ?? 0, target: target, targetRole: info.role,
            sha256: Hex.encode(SHA256Hasher.hash(data)), length: data.count, installedAt: destination,
            stateDirectory: state)
    }

    /// The root to start from: `--root` when there is no state yet; with state, `--root` must be a root the state
    /// already trusted (the same bytes in `root_history/`), and the update starts from the state.
    func bootstrapRoot(_ initialRoot: String?, state: String) throws(HallmarkError) -> Data? {
        let hasState = FileIO.isFile(state + "/root.json") || FileIO.isDirectory(state + "/root_history")
        guard let initialRoot else {
            if hasState { return nil }
            throw .usage(
                "there is no TUF state in \(state) yet: pass --root ROOT.json (a TUF root you trust) to start from")
        }
        let path = try context.resolve(initialRoot)
        let data = try FileIO.read(path, display: initialRoot, limit: TUFClient.Limits().root)
        guard hasState else { return data }
        let version = try TUFMetadata(parsing: data, source: initialRoot).version
        let kept = state + "/root_history/\(version).root.json"
        guard FileIO.isFile(kept), try FileIO.read(kept, display: kept, limit: TUFClient.Limits().root) == data else {
            throw .usage(
                "\(initialRoot) (root v\(version)) is not a root the TUF state in \(state) has trusted: drop --root to update from the state, or remove \(state) to start again from \(initialRoot)"
            )
        }
        return nil
    }
}
