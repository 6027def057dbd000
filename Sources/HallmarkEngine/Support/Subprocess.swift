import Foundation
import HallmarkCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        return try shell(command, in: directory, environment: environment, output: log)
    }

    /// Runs a shell command with both streams written to a log only this user can read, and removes the log
    /// afterwards: a new file (`O_EXCL|O_NOFOLLOW`, 0600) in a new `mkdtemp` directory (0700) under the temporary
    /// directory, so no other user can plant, read or redirect it. Returns the exit status and the log's last
    /// `tailLines` lines, for an error message.
    public static func shellWithPrivateLog(
        _ command: String, in directory: String, environment: [String: String], scratch: String, label: String, tailLines: Int
    ) throws(HallmarkError) -> (status: Int32, tail: String) {
        let workspace = try PrivateDirectory(in: scratch, label: label)
        defer { workspace.remove() }
        let path = workspace.path + "/output.log"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io("\(path): cannot create the log file: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let header = Array("$ \(command)\n".utf8)
        guard header.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == header.count else {
            throw .io("\(path): cannot write the log file: \(String(cString: strerror(errno)))")
        }
        let status = try shell(command, in: directory, environment: environment, output: FileHandle(fileDescriptor: fd, closeOnDealloc: false))
        return (status, tail(path, lines: tailLines))
    }

    /// Runs `/bin/sh -c command` with both streams going to `output`; returns the exit status.
    private static func shell(
        _ command: String, in directory: String, environment: [String: String], output: FileHandle
    ) throws(HallmarkError) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw .io("cannot start /bin/sh in \(directory): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// The last `count` lines of a log file (from at most its last 64 KiB), for error reports; empty when it
    /// cannot be read or is not a regular file.
    public static func tail(_ path: String, lines count: Int = 20) -> String {
        guard case .success(let (fd, fileSize)) = Result(catching: { () throws(HallmarkError) in try FileIO.openRegularFile(path, display: path) })
        else { return "" }
        defer { close(fd) }
        let size = Int64(clamping: fileSize)
        let window = Int(min(size, 64 << 10))
        var bytes = [UInt8](repeating: 0, count: window)
        var done = 0
        while done < window {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, window - done, off_t(size - Int64(window) + Int64(done))) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            done += n
        }
        let lines = String(decoding: bytes[..<done], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
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
