import Foundation
import HallmarkConcurrency
import HallmarkCore
import HallmarkRemote
import Logging

/// Everything an operation takes from its surroundings, passed in explicitly: the settings resolved once, the
/// file-system root its paths resolve under, a clock, a logger, the process's HTTP clients, the key provider, a
/// pool of threads for long synchronous work and the scratch directory. No operation reads the environment, the
/// current directory or a temporary directory of its own, so a server can run many at once on separate roots.
public struct EngineContext: Sendable {
    public var settings: Settings
    public var root: FileSystemRoot
    public var clock: any EngineClock
    public var logger: Logger
    public var http: HTTPClients
    public var keys: any KeyProvider
    public var blocking: BlockingPool
    /// Where operations make their scratch directories (each its own, removed when done).
    public var scratchDirectory: String
    /// The scratch directories this context made: the engine's own paths, which ``resolve(_:)`` accepts even
    /// when they lie outside the root (a request's paths never name them: they are random and private).
    let madeDirectories = MadeDirectories()

    public init(
        settings: Settings, root: FileSystemRoot, clock: any EngineClock = SystemClock(),
        logger: Logger = Logger(label: "hallmark", factory: { _ in SwiftLogNoOpLogHandler() }), http: HTTPClients, keys: (any KeyProvider)? = nil,
        blocking: BlockingPool, scratchDirectory: String
    ) {
        self.settings = settings
        self.root = root
        self.clock = clock
        self.logger = logger
        self.http = http
        self.keys = keys ?? EnvironmentKeyProvider(variables: settings.keyVariables, passphrase: settings.keyPassphrase)
        self.blocking = blocking
        self.scratchDirectory = scratchDirectory
    }

    /// Runs long synchronous work (hashing, signing, archiving, a verification of a large release) on the
    /// context's blocking pool, so that the awaiting task leaves Swift's cooperative threads free for others.
    public func offload<Value: Sendable>(
        _ body: @escaping @Sendable () throws(HallmarkError) -> Value
    ) async throws(HallmarkError) -> Value {
        try await blocking.run(body)
    }

    /// Ends what the context started: its HTTP clients' connections and its threads. Call once, when the
    /// process (or the server) has no more work for it.
    public func close() async {
        await http.shutdown()
        blocking.shutdown()
    }

    /// The environment given to the programs an operation starts (builds, tests, git, credential helpers).
    public var processEnvironment: [String: String] { settings.processEnvironment }

    /// The directory relative paths start from.
    public var workingDirectory: String { root.workingDirectory }

    /// An absolute path for `path` (relative to the working directory, or absolute within the root); a path that
    /// leaves the root is refused.
    public func resolve(_ path: String) throws(HallmarkError) -> String {
        if path.hasPrefix("/"), madeDirectories.contains(FileSystemRoot.normalize(path)) { return FileSystemRoot.normalize(path) }
        return try root.resolve(path)
    }

    /// A new private directory (`mkdtemp`, mode 0700) in the scratch directory, which this context's paths may
    /// then name; the caller removes it.
    public func makePrivateDirectory(_ label: String, in parent: String? = nil) throws(HallmarkError) -> PrivateDirectory {
        let made = try PrivateDirectory(in: parent ?? scratchDirectory, label: label)
        madeDirectories.insert(made.path)
        return made
    }

    /// ``resolve(_:)`` for an optional path.
    public func resolve(_ path: String?) throws(HallmarkError) -> String? {
        guard let path else { return nil }
        return try root.resolve(path)
    }

    /// The directory holding `resolvedPath` (a path ``resolve(_:)`` returned), itself checked to be inside the
    /// root: the parent of the root, or of a link's target, is refused.
    public func parentDirectory(of resolvedPath: String) throws(HallmarkError) -> String {
        try root.resolve((resolvedPath as NSString).deletingLastPathComponent)
    }

    /// ``resolve(_:)`` for each path, in order.
    public func resolve(all paths: [String]) throws(HallmarkError) -> [String] {
        var resolved: [String] = []
        for path in paths { resolved.append(try root.resolve(path)) }
        return resolved
    }
}

/// The directories a context made for itself, shared by its copies (one operation), never by another context.
final class MadeDirectories: @unchecked Sendable {  // `paths` is guarded by `lock`
    private let lock = NSLock()
    private var paths: Set<String> = []

    func insert(_ path: String) { lock.withLock { _ = paths.insert(FileSystemRoot.normalize(path)) } }

    /// Whether `path` (normalized) is one of the directories or inside one.
    func contains(_ path: String) -> Bool {
        lock.withLock { paths.contains { path == $0 || path.hasPrefix($0 + "/") } }
    }
}
