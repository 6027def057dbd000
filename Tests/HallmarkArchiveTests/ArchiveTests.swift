import Foundation
import HallmarkArchive
import HallmarkCore
import HallmarkTestSupport
import Testing

@Suite("Deterministic archives, read back by GNU tar, gzip, unzip and Python's zipfile")
struct ArchiveTests {
    static let epoch: Int64 = 1_700_000_000

    func fixture(_ dir: TemporaryDirectory) throws -> [ArchiveEntry] {
        // A compressible "binary" and a text file, plus a nested path long enough to need a pax header.
        var binary = Data()
        for i in 0..<200_000 { binary.append(contentsOf: withUnsafeBytes(of: UInt32(i % 977).littleEndian, Array.init)) }
        let bin = try dir.write("src/tool", binary)
        chmod(bin, 0o700)
        let readme = try dir.write("src/README.md", "# tool\n")
        let long = String(repeating: "d", count: 120)
        return [
            .regular("README.md", from: readme),
            .executable("tool", from: bin),
            ArchiveEntry(path: "docs/\(long)/notes.txt", content: .data(Data("notes\n".utf8)), mode: 0o600),
        ]
    }

    @Test("tar.gz: same bytes twice, gzip header without name or time, GNU tar sees fixed owners, modes and times")
    func tarGz() throws {
        let dir = try TemporaryDirectory()
        let entries = try fixture(dir)
        let archiver = DeterministicArchiver(modificationTime: Self.epoch)
        try archiver.write(entries, format: .tarGz, to: dir.url("a.tar.gz"))
        try archiver.write(entries.reversed(), format: .tarGz, to: dir.url("b.tar.gz"))
        let a = try dir.read("a.tar.gz")
        #expect(a == (try dir.read("b.tar.gz")))
        #expect(Array(a.prefix(10)) == [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])

        let listing = try ProcessRunner.run("tar", ["--numeric-owner", "--full-time", "-tvzf", dir.url("a.tar.gz")], environment: ["TZ": "UTC"])
        #expect(listing.status == 0, "\(listing.stderr)")
        let lines = listing.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines.allSatisfy { $0.contains(" 0/0 ") && $0.contains("2023-11-14 22:13:20") })
        #expect(lines[0].hasPrefix("-rw-r--r--") && lines[0].hasSuffix("README.md"))
        #expect(lines[1].hasPrefix("drwxr-xr-x") && lines[1].hasSuffix("docs/"))
        #expect(lines[3].hasPrefix("-rw-r--r--") && lines[3].hasSuffix("/notes.txt"))
        #expect(lines[4].hasPrefix("-rwxr-xr-x") && lines[4].hasSuffix(" tool"))

        try FileManager.default.createDirectory(atPath: dir.url("x"), withIntermediateDirectories: true)
        let extract = try ProcessRunner.run("tar", ["-xzf", dir.url("a.tar.gz"), "-C", dir.url("x")])
        #expect(extract.status == 0, "\(extract.stderr)")
        #expect(try dir.read("x/tool") == (try dir.read("src/tool")))
        #expect(try dir.read("x/docs/\(String(repeating: "d", count: 120))/notes.txt") == Data("notes\n".utf8))
        #expect(try ProcessRunner.run("gzip", ["-t", dir.url("a.tar.gz")]).status == 0)
    }

    @Test("zip: same bytes twice, unzip tests and extracts it, zipfile sees Unix modes and the fixed date")
    func zip() throws {
        let dir = try TemporaryDirectory()
        let entries = try fixture(dir)
        let archiver = DeterministicArchiver(modificationTime: Self.epoch)
        try archiver.write(entries, format: .zip, to: dir.url("a.zip"))
        try archiver.write(entries.reversed(), format: .zip, to: dir.url("b.zip"))
        #expect(try dir.read("a.zip") == (try dir.read("b.zip")))
        let test = try ProcessRunner.run("unzip", ["-t", dir.url("a.zip")])
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
        let extract = try ProcessRunner.run("unzip", ["-q", dir.url("a.zip"), "-d", dir.url("x")])
        #expect(extract.status == 0, "\(extract.stderr)")
        #expect(try dir.read("x/tool") == (try dir.read("src/tool")))
        let script = """
            import sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            for i in z.infolist():
                print(i.filename, oct(i.external_attr >> 16), i.date_time)
            """
        let out = try ProcessRunner.run("python3", ["-c", script, dir.url("a.zip")])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("tool 0o100755 (2023, 11, 14, 22, 13, 20)"))
        #expect(out.stdout.contains("README.md 0o100644 (2023, 11, 14, 22, 13, 20)"))
        #expect(out.stdout.contains("docs/ 0o40755"))
    }

    @Test("A different source date or content changes the bytes; unsafe and duplicate paths are refused")
    func refusals() throws {
        let dir = try TemporaryDirectory()
        let entries = try fixture(dir)
        try DeterministicArchiver(modificationTime: Self.epoch).write(entries, format: .tarGz, to: dir.url("a.tar.gz"))
        try DeterministicArchiver(modificationTime: Self.epoch + 1).write(entries, format: .tarGz, to: dir.url("b.tar.gz"))
        #expect(try dir.read("a.tar.gz") != (try dir.read("b.tar.gz")))
        for bad in ["../escape", "/abs", "a/../../b"] {
            #expect(throws: HallmarkError.invalidInput("")) {
                try DeterministicArchiver(modificationTime: 0).write(
                    [ArchiveEntry(path: bad, content: .data(Data()), mode: 0o644)], format: .tarGz, to: dir.url("c.tar.gz"))
            }
        }
        #expect(throws: HallmarkError.invalidInput("")) {
            try DeterministicArchiver(modificationTime: 0).write(
                [ArchiveEntry(path: "x", content: .data(Data()), mode: 0o644), ArchiveEntry(path: "x", content: .data(Data()), mode: 0o644)],
                format: .zip, to: dir.url("d.zip"))
        }
        #expect(!dir.exists("c.tar.gz") && !dir.exists("d.zip"))
    }
}
