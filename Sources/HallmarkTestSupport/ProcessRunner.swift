import Foundation

/// The result of running a program.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var stdoutData: Data

    public init(status: Int32, stdout: String, stderr: String, stdoutData: Data) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.stdoutData = stdoutData
    }
}

/// Runs real programs (the built `hallmark`, openssl, sha256sum, python3) for end-to-end and interop tests.
public enum ProcessRunner {
    /// Runs `executable` (a path, or a name looked up on PATH) with `arguments`.
    @discardableResult
    public static func run(
        _ executable: String, _ arguments: [String], in directory: String? = nil,
        environment: [String: String] = [:], stdin: Data? = nil
    ) throws -> ProcessOutput {
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        for key in ["HALLMARK_SIGNING_KEY", "HALLMARK_KEY_PASSWORD"] { env[key] = nil }
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        let errBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ProcessOutput(
            status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: errBox.data, as: UTF8.self), stdoutData: stdoutData)
    }

    /// Runs `executable` under `/usr/bin/time` and returns its output and its peak resident memory in bytes.
    public static func runMeasuringMemory(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:]
    ) throws -> (output: ProcessOutput, peakMemory: UInt64) {
        let report = NSTemporaryDirectory() + "hallmark-peak-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: report) }
        let output = try run("/usr/bin/time", ["-f", "%M", "-o", report, executable] + arguments, environment: environment)
        let text = try String(contentsOfFile: report, encoding: .utf8)
        // The last line is the peak in KiB; a line before it may say the command exited non-zero.
        guard let kib = text.split(separator: "\n").last.flatMap({ UInt64($0.trimmingCharacters(in: .whitespaces)) }) else {
            throw FixtureError("/usr/bin/time wrote no peak memory: \(text)")
        }
        return (output, kib * 1024)
    }

    /// Runs the built `hallmark` binary.
    @discardableResult
    public static func hallmark(
        _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:], stdin: Data? = nil
    ) throws -> ProcessOutput {
        try run(TestPaths.binary, arguments, in: directory, environment: environment, stdin: stdin)
    }
}

private final class DataBox: @unchecked Sendable {  // written by one reader thread, read after group.wait()
    var data = Data()
}
