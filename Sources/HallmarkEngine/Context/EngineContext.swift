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
    /// Whether operations may run commands their input names (build and test commands, `--smoke`, a rebuild's
    /// recorded command). True for the whole file system (the command line); false by default under a data
    /// directory, where no root could contain what a shell command does.
    public var allowsCommands: Bool
    /// The scratch directories this context made: the engine's own paths, which ``resolve(_:)`` accepts even
    /// when they lie outside the root (a request's paths never name them: they are random and private).
    let madeDirectories = MadeDirectories()

    public init(
        settings: Settings, root: FileSystemRoot, clock: any EngineClock = SystemClock(),
        logger: Logger = Logger(label: "hallmark", factory: { _ in SwiftLogNoOpLogHandler() }), http: HTTPClients, keys: (any KeyProvider)? = nil,
        blocking: BlockingPool, scratchDirectory: String, allowsCommands: Bool? = nil
    ) {
        self.allowsCommands = allowsCommands ?? (Array(root.path.utf8) == [0x2F])
        self.settings = settings
        self.root = root
        self.clock = clock
        self.logger = logger
        self.http = http
        // Under a data directory, key references never reach the host's environment unless the caller says so.
        let whole = Array(root.path.utf8) == [0x2F]
        self.keys = keys ?? (whole
            ? EnvironmentKeyProvider(variables: settings.keyVariables, passphrase: settings.keyPassphrase)
            : FilesOnlyKeyProvider(passphrase: settings.keyPassphrase))
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

    /// Throws unless this context may run commands its input names (`what` says which, for the message).
    public func requireCommands(_ what: String) throws(HallmarkError) {
        guard allowsCommands else {
            throw .usage("\(what) runs commands, which this engine does not do under its data directory \(root.path)")
        }
    }

    /// The environment given to the programs an operation starts (builds, tests, git, credential helpers).
    public var processEnvironment: [String: String] { settings.processEnvironment }

    /// The directory relative paths start from.
    public var workingDirectory: String { root.workingDirectory }

    /// An absolute path for `path` (relative to the working directory, or absolute within the root); a path that
    /// leaves the root is refused.
    public func resolve(_ path: String) throws(HallmarkError) -> String {
        if path.hasPrefix("/") {
            let normalized = FileSystemRoot.normalize(path)
            if madeDirectories.contains(normalized, root: root.path) {
                // The engine's own private directory: links inside it (none are made) must stay inside it.
                let resolved = try FileSystemRoot.throughLinks(normalized, display: path)
                guard madeDirectories.contains(resolved, root: root.path) else {
                    throw .usage("\(path): leads out of the engine's working directory")
                }
                return resolved
            }
        }
        return try root.resolve(path)
    }

    /// A new private directory (`mkdtemp`, mode 0700) in the scratch directory, which this context's paths may
    /// then name; the caller removes it.
    public func makePrivateDirectory(_ label: String) throws(HallmarkError) -> PrivateDirectory {
        let made = try PrivateDirectory(in: scratchDirectory, label: label)
        madeDirectories.insert(made.path, root: root.path)
        return made
    }

    /// ``resolve(_:)`` for an optional path.
    public func resolve(_ path: String?) throws(HallmarkError) -> String? {
        guard let path else { return nil }
        return try resolve(path)
    }

    /// The directory holding `resolvedPath` (a path ``resolve(_:)`` returned), itself checked to be inside the
    /// root: the parent of the root, or of a link's target, is refused.
    public func parentDirectory(of resolvedPath: String) throws(HallmarkError) -> String {
        try root.resolve((resolvedPath as NSString).deletingLastPathComponent)
    }

    /// ``resolve(_:)`` for each path, in order.
    public func resolve(all paths: [String]) throws(HallmarkError) -> [String] {
        var resolved: [String] = []
        for path in paths { resolved.append(try resolve(path)) }
        return resolved
    }
}

/// The private directories a context made for itself in its scratch directory (outside the root), shared by its
/// copies (one operation). Each is recorded with the root it was made under, and counts only for that root.
final class MadeDirectories: @unchecked Sendable {  // `paths` is guarded by `lock`
    private let lock = NSLock()
    private var paths: [(root: [UInt8], directory: [UInt8])] = []

    func insert(_ path: String, root: String) {
        lock.withLock { paths.append((Array(root.utf8), Array(FileSystemRoot.normalize(path).utf8))) }
    }

    /// Whether `path` (normalized) is one of the directories made under `root`, or inside one.
    func contains(_ path: String, root: String) -> Bool {
        let bytes = Array(path.utf8)
        let rootBytes = Array(root.utf8)
        return lock.withLock {
            paths.contains { entry in
                entry.root == rootBytes && bytes.starts(with: entry.directory)
                    && (bytes.count == entry.directory.count || bytes[entry.directory.count] == 0x2F)
            }
        }
    }
}
