import Foundation
import HallmarkTestSupport
import Testing

/// Bombs and oversized archives against the built binary at its default limits: each ends in a one-line error
/// naming the file and the reason (exit 2), the process stays under 256 MiB of memory, and nothing is written.
@Suite("Archive bombs at the default limits: a clear error, under 256 MiB, nothing written", .serialized)
struct ArchiveBombTests {
    static let memoryCeiling: UInt64 = 256 << 20

    func sha256(_ path: String) throws -> String { String(try ProcessRunner.run("sha256sum", [path]).stdout.prefix(64)) }

    /// Runs hallmark with `arguments` under /usr/bin/time; returns its peak memory after checking the refusal.
    @discardableResult
    func expectRefused(
        _ arguments: [String], naming file: String, because reason: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> UInt64 {
        let (result, peak) = try ProcessRunner.runMeasuringMemory(TestPaths.binary, arguments)
        #expect(result.status == 2, "exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("hallmark: error: \(file): "), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(reason), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(peak < Self.memoryCeiling, "peak memory \(peak >> 20) MiB", sourceLocation: sourceLocation)
        print("peak memory \(peak >> 20) MiB: hallmark \(arguments[0]) \((file as NSString).lastPathComponent): \(result.stderr.dropFirst("hallmark: error: \(file): ".count).prefix(140))")
        return peak
    }

    /// The names in `directory`, sorted (none when it does not exist).
    func entries(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    @Test("About 4 MB of gzip that inflates to 4 GiB: refused while streaming, nothing installed", arguments: [
        // Two members just under the 2 GiB member limit: the second header declares more than the file may expand to.
        ("bomb", "its members declare"),
        // One small member, then zeros: the stream itself passes what the file may expand to.
        ("stream-bomb", "decompresses to more than"),
    ])
    func gzipBomb(kind: String, reason: String) throws {
        let dir = try TemporaryDirectory()
        let bomb = dir.url(kind + ".tar.gz")
        try ArchiveFixtures.make(kind, at: bomb)
        let size = try FileManager.default.attributesOfItem(atPath: bomb)[.size] as? Int ?? 0
        #expect(size > 3_000_000 && size < 5_000_000, "\(size) bytes")
        let prefix = dir.url("prefix")
        try expectRefused(
            ["install", "--from", bomb, "--sha256", try sha256(bomb), "--prefix", prefix], naming: bomb, because: reason)
        #expect(!FileManager.default.fileExists(atPath: prefix), "nothing may be written")
    }

    @Test("The overlapping-entries zip bomb: refused from its central directory by install and airgap verify")
    func overlappingEntries() throws {
        let dir = try TemporaryDirectory()
        let bomb = dir.url("overlap.zip")
        // 50 members of 64 MiB each (3.2 GiB declared) sharing one kernel: about 300 KB.
        try ArchiveFixtures.make("overlap", at: bomb, ["50", "64"])
        let unzip = try ProcessRunner.run("unzip", ["-t", bomb])
        #expect(unzip.status != 0 && unzip.stdout.contains("overlapped"), "a second opinion: \(unzip.stdout)")
        let prefix = dir.url("prefix")
        try expectRefused(["install", "--from", bomb, "--sha256", try sha256(bomb), "--prefix", prefix], naming: bomb, because: "overlap")
        #expect(!FileManager.default.fileExists(atPath: prefix))
        #expect(try ProcessRunner.hallmark(["keys", "generate", "--out", dir.url("k")]).status == 0)
        try FileManager.default.createDirectory(atPath: dir.url("land"), withIntermediateDirectories: true)
        try expectRefused(
            ["airgap", "verify", bomb, "--key", dir.url("k.pub"), "--extract", dir.url("land/out")], naming: bomb, because: "overlap")
        #expect(entries(dir.url("land")).isEmpty, "nothing extracted, no working directory left: \(entries(dir.url("land")))")
    }

    @Test("A tar.gz holding a 5 GiB member, and a 5 GiB zip: refused before their contents are read")
    func overFourGiB() throws {
        let dir = try TemporaryDirectory()
        let huge = dir.url("huge.tar.gz")
        try ArchiveFixtures.make("huge-member", at: huge)
        let prefix = dir.url("prefix")
        try expectRefused(
            ["install", "--from", huge, "--sha256", try sha256(huge), "--prefix", prefix], naming: huge,
            because: "member zeros is over the 2147483648-byte limit")
        #expect(!FileManager.default.fileExists(atPath: prefix))

        // A stored member of 5 GiB of zeros, a hole in a sparse file: the input itself is over 4 GiB.
        let sparse = dir.url("sparse.zip")
        try ArchiveFixtures.make("sparse-zip", at: sparse, [String(5 << 30)])
        let unchecked = String(repeating: "0", count: 64)
        try expectRefused(["install", "--from", sparse, "--sha256", unchecked, "--prefix", prefix], naming: sparse, because: "-byte limit for an archive")
        #expect(!FileManager.default.fileExists(atPath: prefix))
        #expect(try ProcessRunner.hallmark(["keys", "generate", "--out", dir.url("k")]).status == 0)
        try FileManager.default.createDirectory(atPath: dir.url("land"), withIntermediateDirectories: true)
        try expectRefused(
            ["airgap", "verify", sparse, "--key", dir.url("k.pub"), "--extract", dir.url("land/out")], naming: sparse, because: "-byte limit for an archive")
        #expect(entries(dir.url("land")).isEmpty, "\(entries(dir.url("land")))")
    }
}
