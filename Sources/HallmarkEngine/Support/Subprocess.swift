import Foundation
import HallmarkCore

/// Runs external programs (git, the build commands) with an explicit environment and working directory.
public enum Subprocess {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `arguments[0]` looked up on PATH, capturing both streams; `input` (if any) is its standard input.
    public static func run(
        _ arguments: [String], in directory: String, environment: [String: String], input: Data? = nil
    ) throws(HallmarkError) -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inputPipe = input.map { _ in Pipe() }
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        do { try process.run() } catch {
            throw .io("cannot run \(arguments.first ?? "?"): \(error.localizedDescription)")
        }
        if let inputPipe, let input {
            try? inputPipe.fileHandleForWriting.write(contentsOf: input)
            try? inputPipe.fileHandleForWriting.close()
        }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    /// Runs a shell command with both streams appended to `logPath`; returns the exit status.
    public static func shell(
        _ command: String, in directory: String, environment: [String: String], logPath: String
    ) throws(HallmarkError) -> Int32 {
        guard FileManager.default.createFile(atPath: logPath, contents: nil) || FileIO.isFile(logPath),
            let log = FileHandle(forWritingAtPath: logPath)
        else { throw .io("\(logPath): cannot create the log file") }
        defer { try? log.close() }
        log.seekToEndOfFile()
        log.write(Data("$ \(command)\n".utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw .io("cannot start /bin/sh in \(directory): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// The last `count` lines of a log file, for error reports.
    public static func tail(_ path: String, lines count: Int = 20) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return lines.suffix(count + 1).joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private final class Box: @unchecked Sendable {  // written by one thread before group.wait()
        var data = Data()
    }
}

/// The git facts a release needs, read with the `git` command.
public struct GitRepository: Sendable {
    public let directory: String
    public let environment: [String: String]

    public init(directory: String, environment: [String: String]) {
        self.directory = directory
        self.environment = environment
    }

    func git(_ arguments: [String]) throws(HallmarkError) -> Subprocess.Output {
        try Subprocess.run(["git"] + arguments, in: directory, environment: environment)
    }

    func value(_ arguments: [String]) -> String? {
        guard let output = try? git(arguments), output.status == 0 else { return nil }
        let text = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// The repository's top-level directory, or nil outside a work tree.
    public var topLevel: String? { value(["rev-parse", "--show-toplevel"]) }
    public var headCommit: String? { value(["rev-parse", "--verify", "-q", "HEAD^{commit}"]) }
    /// The committer time of HEAD, in Unix seconds.
    public var headCommitTime: Int64? { value(["log", "-1", "--format=%ct", "HEAD"]).flatMap { Int64($0) } }
    /// The commit a tag points at, or nil when there is no such tag.
    public func tagCommit(_ tag: String) -> String? { value(["rev-parse", "-q", "--verify", "refs/tags/\(tag)^{commit}"]) }
    /// Tags pointing at HEAD.
    public var tagsAtHead: [String] { value(["tag", "--points-at", "HEAD"])?.split(separator: "\n").map(String.init) ?? [] }
    public var originURL: String? { value(["remote", "get-url", "origin"]) }
    public var currentBranchRef: String? { value(["symbolic-ref", "-q", "HEAD"]) }
    /// `git status --porcelain` lines: modified, staged and untracked files that are not ignored, in the whole
    /// work tree except `excluding` (paths relative to the repository root).
    public func statusLines(excluding: [String] = []) throws(HallmarkError) -> [String] {
        let pathspecs = [":/"] + excluding.map { ":(top,exclude)\($0)" }
        let output = try git(["status", "--porcelain", "--untracked-files=normal", "--"] + pathspecs)
        guard output.status == 0 else { throw .io("git status failed in \(directory): \(output.stderr.trimmingCharacters(in: .whitespacesAndNewlines))") }
        return output.stdout.split(separator: "\n").map(String.init)
    }
    public func version() -> String? { value(["--version"]) }
}
