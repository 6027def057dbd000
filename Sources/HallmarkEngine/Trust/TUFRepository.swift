import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkRemote

/// Why a repository could not hand over a file: it is not there (HTTP 403 or 404, or no such file), or
/// something else went wrong (a network or I/O failure, a file over its size cap).
public enum TUFFetchError: Error, Sendable {
    case notFound(HallmarkError)
    case failed(HallmarkError)

    public var error: HallmarkError {
        switch self {
        case .notFound(let error), .failed(let error): error
        }
    }
}

/// Where a TUF client gets metadata and targets from. Names are already URL-safe (percent-encoded role names,
/// `N.` version prefixes, `HASH.` target prefixes); an implementation only joins and fetches.
public protocol TUFRepository: Sendable {
    /// The metadata file `name` (e.g. `1.root.json`, `timestamp.json`); more than `limit` bytes is refused.
    func metadata(_ name: String, limit: Int) async -> Result<Data, TUFFetchError>
    /// The target file at `path` (relative, `/`-separated, already prefixed with its hash when consistent
    /// snapshots are on); more than `limit` bytes is refused.
    func target(_ path: String, limit: Int) async -> Result<Data, TUFFetchError>
    /// What messages call the repository.
    var display: String { get }
}

/// A repository in local directories: a copy of a TUF repository's `metadata/` and `targets/`.
public struct TUFDirectoryRepository: TUFRepository {
    public var metadataDirectory: String
    public var targetsDirectory: String
    public var display: String { metadataDirectory }
    /// Turns each file's path into the one to open, refusing those that lead where the caller's paths may not go
    /// (an engine context's root: a link inside the repository that points out of it).
    var resolve: @Sendable (String) throws(HallmarkError) -> String

    public init(
        metadataDirectory: String, targetsDirectory: String,
        resolve: @escaping @Sendable (String) throws(HallmarkError) -> String = { $0 }
    ) {
        self.metadataDirectory = metadataDirectory
        self.targetsDirectory = targetsDirectory
        self.resolve = resolve
    }

    public func metadata(_ name: String, limit: Int) async -> Result<Data, TUFFetchError> {
        read(metadataDirectory + "/" + name, limit: limit)
    }

    /// ``read(_:limit:)`` of the resolved path; a path that cannot be resolved fails.
    func read(_ path: String, limit: Int) -> Result<Data, TUFFetchError> {
        let resolved: String
        do { resolved = try resolve(path) } catch { return .failure(.failed(error)) }
        return Self.read(resolved, limit: limit)
    }

    public func target(_ path: String, limit: Int) async -> Result<Data, TUFFetchError> {
        // Target paths are URL paths; on disk each segment is percent-decoded.
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map {
            String($0).removingPercentEncoding ?? String($0)
        }
        guard !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." || $0.contains("/") }) else {
            return .failure(.failed(.invalidInput("\(path): not a relative target path")))
        }
        return read(targetsDirectory + "/" + segments.joined(separator: "/"), limit: limit)
    }

    /// Reads at most `limit` + 1 bytes: a longer file is refused without reading it all.
    static func read(_ path: String, limit: Int) -> Result<Data, TUFFetchError> {
        guard FileIO.isFile(path) else { return .failure(.notFound(.io("\(path): No such file or directory"))) }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return .failure(.failed(.io("\(path): cannot read")))
        }
        defer { handle.closeFile() }
        // Lengths come from signed metadata and can be as large as Int allows: read in slices up to limit + 1.
        let want = limit < Int.max ? limit + 1 : limit
        var data = Data()
        while data.count < want {
            let slice = handle.readData(ofLength: min(want - data.count, 1 << 20))
            if slice.isEmpty { break }
            data.append(slice)
        }
        guard data.count <= limit else {
            return .failure(
                .failed(
                    .verificationFailed(
                        "\(path): more than the \(limit)-byte limit for this file", problem: .downloadTooLarge)))
        }
        return .success(data)
    }
}

/// A repository over HTTP(S): metadata under one base URL, targets under another.
public struct TUFHTTPRepository: TUFRepository {
    public var metadataURL: String
    public var targetsURL: String
    public var fetcher: HTTPFetcher
    public var display: String { metadataURL }

    public init(metadataURL: String, targetsURL: String, fetcher: HTTPFetcher) {
        self.metadataURL = Self.slashed(metadataURL)
        self.targetsURL = Self.slashed(targetsURL)
        self.fetcher = fetcher
    }

    static func slashed(_ url: String) -> String { url.hasSuffix("/") ? url : url + "/" }

    public func metadata(_ name: String, limit: Int) async -> Result<Data, TUFFetchError> {
        await get(metadataURL + name, limit: limit)
    }

    public func target(_ path: String, limit: Int) async -> Result<Data, TUFFetchError> {
        await get(targetsURL + path, limit: limit)
    }

    func get(_ url: String, limit: Int) async -> Result<Data, TUFFetchError> {
        await fetcher.fetch(url, limit: limit).mapError { failure in
            failure.status == 403 || failure.status == 404 ? .notFound(failure.error) : .failed(failure.error)
        }
    }
}
