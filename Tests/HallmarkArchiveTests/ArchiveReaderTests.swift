import Foundation
import HallmarkArchive
import HallmarkCore
import HallmarkTestSupport
import Testing

@Suite("Safe archive reading: our archives round-trip, hostile ones are refused before anything is written")
struct ArchiveReaderTests {
    @Test(arguments: [ArchiveFormat.tarGz, .zip])
    func roundTrip(_ format: ArchiveFormat) throws {
        let dir = try TemporaryDirectory()
        let binary = try dir.write("src/tool", Data((0..<300_000).map { UInt8($0 % 7) }))
        let long = "docs/" + String(repeating: "n", count: 130) + "/notes.txt"
        try DeterministicArchiver(modificationTime: 1_700_000_000).write(
            [.executable("tool", from: binary), ArchiveEntry(path: long, content: .data(Data("hi\n".utf8)), mode: 0o644)],
            format: format, to: dir.url("a"))
        let members = try ArchiveReader().members(of: dir.url("a"), format: format, display: "a")
        #expect(members.map(\.path) == ["docs", "docs/" + String(repeating: "n", count: 130), long, "tool"])
        #expect(members.first { $0.path == "tool" }?.mode == 0o755)
        let kept = try ArchiveReader().members(of: dir.url("a"), format: format, display: "a", keeping: { $0.path == "tool" }).kept
        #expect(kept == ["tool": try dir.read("src/tool")])
        try FileManager.default.createDirectory(atPath: dir.url("out"), withIntermediateDirectories: true)
        try ArchiveReader().extractAll(dir.url("a"), format: format, display: "a", into: dir.url("out"))
        #expect(try dir.read("out/" + long) == Data("hi\n".utf8))
        #expect(FileManager.default.isExecutableFile(atPath: dir.url("out/tool")))
    }

    /// Archives made by Python's tarfile and zipfile with the tricks an attacker would use.
    static let hostile = """
        import io, sys, tarfile, zipfile
        out = sys.argv[1]
        def tar(name, members):
            with tarfile.open(f"{out}/{name}.tar.gz", "w:gz") as t:
                for info, data in members:
                    t.addfile(info, io.BytesIO(data) if data is not None else None)
        def reg(n, data=b"x"):
            i = tarfile.TarInfo(n); i.size = len(data); return (i, data)
        def link(n, target, kind):
            i = tarfile.TarInfo(n); i.type = kind; i.linkname = target; return (i, None)
        tar("traversal", [reg("../evil")])
        tar("absolute", [reg("/etc/evil")])
        tar("symlink", [link("bin", "/usr/bin", tarfile.SYMTYPE)])
        tar("hardlink", [reg("a"), link("b", "a", tarfile.LNKTYPE)])
        tar("duplicate", [reg("a"), reg("./a")])
        tar("bomb", [reg("zeros", b"\\0" * (50 << 20))])
        # A combining mark after "/" (or a prepend mark before it) makes one Swift Character of it: the kernel
        # still sees "..", and a leading "/".
        tar("grapheme", [reg("../\\u034fevil")])
        tar("grapheme-absolute", [reg("/\\u034fetc/evil")])
        def zipf(name, entries):
            with zipfile.ZipFile(f"{out}/{name}.zip", "w", zipfile.ZIP_DEFLATED) as z:
                for n, data, mode in entries:
                    i = zipfile.ZipInfo(n); i.external_attr = mode << 16; i.compress_type = zipfile.ZIP_DEFLATED
                    z.writestr(i, data)
        zipf("traversal", [("a/../../evil", b"x", 0o100644)])
        zipf("symlink", [("link", b"/etc/passwd", 0o120777)])
        zipf("duplicate", [("a", b"1", 0o100644), ("a", b"2", 0o100644)])
        zipf("bomb", [("zeros", b"\\0" * (50 << 20), 0o100644)])
        zipf("windows", [("..\\\\evil", b"x", 0o100644)])
        zipf("grapheme", [("x\\u0600/../../evil", b"x", 0o100644)])
        """

    @Test func hostileArchivesAreRefused() throws {
        let dir = try TemporaryDirectory()
        try dir.write("make.py", Self.hostile)
        let made = try ProcessRunner.run("python3", [dir.url("make.py"), dir.path])
        #expect(made.status == 0, "\(made.stderr)")
        var limits = ArchiveReader.Limits()
        limits.maxRatio = 100
        limits.ratioFloor = 1 << 20
        let reader = ArchiveReader(limits: limits)
        let expectations: [(String, ArchiveFormat, String)] = [
            ("traversal.tar.gz", .tarGz, "'..'"), ("absolute.tar.gz", .tarGz, "absolute"), ("symlink.tar.gz", .tarGz, "links"),
            ("hardlink.tar.gz", .tarGz, "links"), ("duplicate.tar.gz", .tarGz, "twice"), ("bomb.tar.gz", .tarGz, "bomb"),
            ("traversal.zip", .zip, "'..'"), ("symlink.zip", .zip, "symbolic links"), ("duplicate.zip", .zip, "twice"),
            ("bomb.zip", .zip, "zip bomb"), ("windows.zip", .zip, "Windows"),
            ("grapheme.tar.gz", .tarGz, "'..'"), ("grapheme-absolute.tar.gz", .tarGz, "absolute"), ("grapheme.zip", .zip, "'..'"),
        ]
        for (file, format, reason) in expectations {
            try FileManager.default.createDirectory(atPath: dir.url("out-" + file), withIntermediateDirectories: true)
            #expect {
                try reader.extractAll(dir.url(file), format: format, display: file, into: dir.url("out-" + file))
            } throws: { error in
                ((error as? HallmarkError)?.message.contains(reason) ?? false) && ((error as? HallmarkError)?.message.hasPrefix(file) ?? false)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url("out-" + file)).isEmpty, "\(file): nothing may be written")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/../evil"))
        // A truncated archive is refused too.
        let whole = try dir.read("duplicate.zip")
        try dir.write("truncated.zip", whole.prefix(whole.count - 30))
        #expect(throws: HallmarkError.invalidInput("")) { try reader.members(of: dir.url("truncated.zip"), format: .zip, display: "truncated.zip") }
    }
}
