import Foundation

/// Git repositories for release tests: real `git`, fixed author and dates, so commits are reproducible.
public enum GitFixture {
    /// Fixed identity and dates for commits made by tests.
    public static let environment: [String: String] = [
        "GIT_AUTHOR_NAME": "Hallmark Test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Hallmark Test", "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "GIT_AUTHOR_DATE": "@1700000000 +0000", "GIT_COMMITTER_DATE": "@1700000000 +0000",
    ]

    /// Runs git in `directory`, failing the caller when it fails.
    @discardableResult
    public static func git(_ arguments: [String], in directory: String) throws -> String {
        let result = try ProcessRunner.run("git", arguments, in: directory, environment: environment)
        guard result.status == 0 else {
            throw FixtureError("git \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `git init`, add everything, commit, and tag when `tag` is given.
    public static func commitAll(in directory: String, message: String = "release", tag: String? = nil) throws {
        if !FileManager.default.fileExists(atPath: directory + "/.git") {
            try git(["init", "-q", "-b", "main"], in: directory)
        }
        try git(["add", "-A"], in: directory)
        try git(["commit", "-q", "--allow-empty", "-m", message], in: directory)
        if let tag { try git(["tag", tag], in: directory) }
    }

    /// Copies the example project into `directory` and commits it, tagged `tag`.
    public static func example(into directory: String, tag: String? = "v1.0.0") throws {
        let source = TestPaths.packageRoot + "/Examples/greet"
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: directory + "/" + name)
        }
        try commitAll(in: directory, tag: tag)
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
