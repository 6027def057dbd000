import Foundation
import HallmarkConcurrency
import HallmarkCore
import HallmarkRemote
import Logging

extension EngineContext {
    /// The context of a command-line run: settings from the process's environment, the whole file system with
    /// the current directory, the system clock, and scratch space in `TMPDIR` (else `/tmp`). The caller shuts
    /// `http` down when the command is done.
    public static func commandLine() -> EngineContext {
        let environment = ProcessInfo.processInfo.environment
        let settings = Settings(environment: environment)
        return EngineContext(
            settings: settings, root: .whole(workingDirectory: FileManager.default.currentDirectoryPath),
            logger: commandLineLogger(environment["HALLMARK_LOG_LEVEL"]), http: HTTPClients(),
            blocking: BlockingPool(width: settings.processorCount),
            scratchDirectory: scratch(environment))
    }

    /// A context with `environment` as its whole environment and `workingDirectory` as the place relative paths
    /// start from (tests, and programs that embed the engine). Network work needs `await http.shutdown()`
    /// when done.
    public init(environment: [String: String], workingDirectory: String, scratchDirectory: String? = nil) {
        let settings = Settings(environment: environment)
        self.init(
            settings: settings, root: .whole(workingDirectory: workingDirectory), http: HTTPClients(),
            blocking: BlockingPool(width: settings.processorCount),
            scratchDirectory: scratchDirectory ?? Self.scratch(environment))
    }

    /// A logger writing to standard error (standard output is the command's report), at `warning` unless
    /// `HALLMARK_LOG_LEVEL` names another level (trace, debug, info, notice, warning, error, critical).
    static func commandLineLogger(_ level: String?) -> Logger {
        var logger = Logger(label: "hallmark", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = level.flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .warning
        return logger
    }

    /// `TMPDIR` without its trailing slash, else `/tmp`.
    static func scratch(_ environment: [String: String]) -> String {
        guard let directory = environment["TMPDIR"], directory.hasPrefix("/") else { return "/tmp" }
        let trimmed = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        return trimmed
    }

    /// A new, empty scratch directory for one operation (`label` names it), private to this user, which this
    /// context's paths may then name; the caller removes it.
    public func makeScratchDirectory(_ label: String) throws(HallmarkError) -> String {
        try makePrivateDirectory(label).path
    }
}
