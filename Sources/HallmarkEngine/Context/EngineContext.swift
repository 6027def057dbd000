import Foundation

/// Everything an operation takes from its surroundings, passed in explicitly: the environment variables it
/// may read and the directory relative paths start from. Tests build one by hand.
public struct EngineContext: Sendable {
    public var environment: [String: String]
    public var workingDirectory: String

    public init(environment: [String: String], workingDirectory: String) {
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// The context of the running process.
    public static func current() -> EngineContext {
        EngineContext(
            environment: ProcessInfo.processInfo.environment,
            workingDirectory: FileManager.default.currentDirectoryPath)
    }

    /// An absolute path for `path`, resolved against the working directory.
    public func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        if path == "." { return workingDirectory }
        return (workingDirectory as NSString).appendingPathComponent(path)
    }
}
