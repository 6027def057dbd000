import Foundation
import HallmarkTestSupport
import Testing

/// The archive step streams: blocks are compressed in parallel, but only a few are held at a time, whatever the
/// size of the binary.
@Suite("Archiving streams: a 256 MiB binary is released in bounded memory", .serialized)
struct ArchiveMemoryTests {
    static let size = 256 << 20
    static let memoryCeiling: UInt64 = 128 << 20

    @Test("release --dry-run of a 256 MiB binary, as tar.gz and as zip, peaks under 128 MiB; the archives hold it")
    func boundedMemory() throws {
        let dir = try TemporaryDirectory("hallmark-memory")
        let binary = dir.url("big.bin")
        // Random bytes do not compress: holding the input or the output in memory would show in the peak.
        let make = try ProcessRunner.run("sh", ["-c", "head -c \(Self.size) /dev/urandom > \"$1\"", "sh", binary])
        try #require(make.status == 0, "\(make.stderr)")
        let project = dir.url("big")
        try dir.write(
            "big/hallmark.yml",
            """
            version: 1
            project:
              name: big
            builds:
              - id: big
                binary: big
                command: cp "\(binary)" "$HALLMARK_OUTPUT"
                targets: [linux/amd64, windows/amd64]
            archives:
              format: tar.gz
              formats: { windows: zip }
              compression_level: 1
            guard:
              require_tag: false

            """)
        try dir.write("big/.gitignore", "/dist/\n")
        try GitFixture.commitAll(in: project)

        let (result, peak) = try ProcessRunner.runMeasuringMemory(
            TestPaths.binary,
            ["release", "--config", project + "/hallmark.yml", "--version", "v1.0.0", "--dry-run", "-q"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(peak < Self.memoryCeiling, "peak memory \(peak >> 20) MiB")
        print("peak memory \(peak >> 20) MiB: hallmark release of a \(Self.size >> 20) MiB binary, tar.gz and zip")

        let release = project + "/dist/v1.0.0"
        let names = try FileManager.default.contentsOfDirectory(atPath: release)
        let tarGz = try #require(names.first { $0.hasSuffix("linux_amd64.tar.gz") }, "\(names)")
        let zip = try #require(names.first { $0.hasSuffix("windows_amd64.zip") }, "\(names)")
        let sum = try ProcessRunner.run("sha256sum", [binary]).stdout.prefix(64)
        let fromTar = try ProcessRunner.run(
            "sh", ["-c", "tar -xzOf \"$1\" big | sha256sum", "sh", release + "/" + tarGz])
        #expect(fromTar.stdout.prefix(64) == sum, "\(fromTar.stderr)")
        let fromZip = try ProcessRunner.run(
            "sh", ["-c", "unzip -p \"$1\" big.exe | sha256sum", "sh", release + "/" + zip])
        #expect(fromZip.stdout.prefix(64) == sum, "\(fromZip.stderr)")
    }
}
