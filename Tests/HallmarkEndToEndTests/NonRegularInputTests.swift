import Foundation
import HallmarkTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A FIFO planted where install or airgap verify expects a file (the archive, its signature, the index's
/// signature, the air-gap zip) is refused at once in one line (exit 2), never waited on.
@Suite("A FIFO in place of an input file is refused, not waited on", .serialized)
struct NonRegularInputTests {
    /// Runs hallmark under `timeout`: a hang ends as exit 124 instead of stalling the test run.
    func hallmark(_ arguments: [String]) throws -> ProcessOutput {
        try ProcessRunner.run("timeout", ["60", TestPaths.binary] + arguments)
    }

    func expectRefused(_ arguments: [String], naming file: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try hallmark(arguments)
        #expect(result.status == 2, "exit \(result.status) (124: still waiting after 60 s): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains("\(file): a FIFO, not a regular file") || result.stderr.contains("\(file): not a regular file"),
                "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
    }

    @Test("install: a FIFO as the archive, as ARCHIVE.sig, as index.json.sig; airgap verify: a FIFO as the zip")
    func fifos() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let dir = project.dir
        let key = dir.url("release.pub")
        let prefix = dir.url("prefix")
        let archive = project.release + "/greet_1.0.0_linux_amd64.tar.gz"

        // The archive's signature.
        try FileManager.default.createDirectory(atPath: dir.url("sig"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: archive, toPath: dir.url("sig/greet.tar.gz"))
        #expect(mkfifo(dir.url("sig/greet.tar.gz.sig"), 0o644) == 0)
        try expectRefused(["install", "--from", dir.url("sig/greet.tar.gz"), "--key", key, "--prefix", prefix], naming: "greet.tar.gz.sig")

        // The archive itself.
        #expect(mkfifo(dir.url("fifo.tar.gz"), 0o644) == 0)
        try expectRefused(
            ["install", "--from", dir.url("fifo.tar.gz"), "--sha256", String(repeating: "0", count: 64), "--prefix", prefix], naming: "fifo.tar.gz")

        // The index's signature.
        try FileManager.default.copyItem(atPath: project.release, toPath: dir.url("index"))
        try FileManager.default.removeItem(atPath: dir.url("index/index.json.sig"))
        #expect(mkfifo(dir.url("index/index.json.sig"), 0o644) == 0)
        try expectRefused(["install", "--index", dir.url("index/index.json"), "--key", key, "--prefix", prefix], naming: "index.json.sig")
        #expect(!FileManager.default.fileExists(atPath: prefix), "nothing may be written")

        // The air-gap zip.
        #expect(mkfifo(dir.url("bundle.zip"), 0o644) == 0)
        try expectRefused(["airgap", "verify", dir.url("bundle.zip"), "--key", key, "--extract", dir.url("out")], naming: "bundle.zip")
        #expect(!FileManager.default.fileExists(atPath: dir.url("out")))
    }
}
