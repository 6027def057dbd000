import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkRemote

/// The client side of tuf-conformance's CLI protocol (`init`, `refresh`, `download`), on ``TUFClient``: the
/// suite drives it through `hallmark trust conformance-client` and judges it by its exit code, the metadata it
/// leaves in the metadata directory, the files in the target directory and the requests it makes.
public struct TUFConformanceClient: Sendable {
    public var context: EngineContext
    public var metadataDirectory: String

    public init(context: EngineContext, metadataDirectory: String) throws(HallmarkError) {
        self.context = context
        self.metadataDirectory = try context.resolve(metadataDirectory)
    }

    /// `init ROOT`: copies the trusted root in as `root.json`; nothing is checked or fetched yet.
    public func initialize(trustedRoot: String) throws(HallmarkError) {
        let data = try FileIO.read(try context.resolve(trustedRoot), display: trustedRoot, limit: TUFClient.Limits().root)
        try Paths.makeDirectory(metadataDirectory)
        try FileIO.writeAtomically(data, to: metadataDirectory + "/root.json")
    }

    /// `refresh`: the top-level metadata from `metadataURL`. Returns what was noted along the way.
    public func refresh(metadataURL: String, now: Date) async throws(HallmarkError) -> [String] {
        var client = try makeClient(metadataURL: metadataURL, targetsURL: metadataURL, now: now)
        try await client.refresh()
        return client.notes
    }

    /// `download`: each target in order with one client; a target already in `targetDirectory` with the right
    /// length and hashes is not fetched again. The first failure stops it.
    public func download(metadataURL: String, targets: [String], targetsURL: String, targetDirectory: String, now: Date)
        async throws(HallmarkError) -> [String]
    {
        var client = try makeClient(metadataURL: metadataURL, targetsURL: targetsURL, now: now)
        let directory = try context.resolve(targetDirectory)
        for name in targets {
            guard let info = try await client.targetInfo(name) else {
                throw .verificationFailed(
                    "\(name): no role of \(metadataURL) lists this target", problem: .tufNotListed)
            }
            if client.cachedTarget(info, in: directory) == nil { try await client.download(info, into: directory) }
        }
        return client.notes
    }

    func makeClient(metadataURL: String, targetsURL: String, now: Date) throws(HallmarkError) -> TUFClient {
        let repository: any TUFRepository
        if metadataURL.hasPrefix("http://") || metadataURL.hasPrefix("https://") {
            var options = Downloader.Options()
            options.attempts = 1
            repository = TUFHTTPRepository(
                metadataURL: metadataURL, targetsURL: targetsURL, fetcher: HTTPFetcher(options: options, clients: context.http))
        } else {
            let context = self.context
            repository = TUFDirectoryRepository(
                metadataDirectory: try context.resolve(metadataURL), targetsDirectory: try context.resolve(targetsURL),
                resolve: { (path) throws(HallmarkError) in try context.resolve(path) })
        }
        return try TUFClient(metadataDirectory: metadataDirectory, repository: repository, referenceTime: now)
    }
}
