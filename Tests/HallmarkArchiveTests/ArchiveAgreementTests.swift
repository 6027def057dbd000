import Foundation
import HallmarkArchive
import HallmarkCore
import HallmarkTestSupport
import Testing

/// GNU tar, unzip and Python's zipfile and Hallmark must see the same members, with the same names and sizes; what
/// they would read differently is refused.
@Suite("Archives read as GNU tar and unzip read them; what tools would read differently is refused")
struct ArchiveAgreementTests {
    /// Tar streams written block by block, for the headers tarfile will not write.
    static let tarScript = #"""
        import gzip, io, os, struct, sys, tarfile
        out = sys.argv[1]

        def save(name, raw):
            with open(f"{out}/{name}.tar.gz", "wb") as f:
                f.write(gzip.compress(raw, mtime=0))

        def block(name, size=0, kind=b"0", prefix=b"", magic=b"ustar\x0000", link=b"", size_field=None):
            h = bytearray(512)
            h[0:len(name)] = name
            h[100:108] = b"0000644\x00"
            h[108:116] = b"0000000\x00"
            h[116:124] = b"0000000\x00"
            h[124:136] = size_field or b"%011o\x00" % size
            h[136:148] = b"00000000000\x00"
            h[156:157] = kind
            h[157:157 + len(link)] = link
            h[257:265] = magic
            h[345:345 + len(prefix)] = prefix
            h[148:156] = b"        "
            h[148:156] = b"%06o\x00 " % sum(h)
            return bytes(h)

        def member(name, data=b"", kind=b"0", stated=None, **kw):
            size = len(data) if stated is None else stated
            return block(name, size, kind, **kw) + data + bytes(-len(data) % 512)

        def pax(records, kind=b"x"):
            body = b""
            for key, value in records:
                record = b" %s=%s\n" % (key, value)
                n = len(record) + 1
                while len(str(n)) + len(record) != n:
                    n = len(str(n)) + len(record)
                body += str(n).encode() + record
            return member(b"PaxHeaders/x", body, kind)

        END = bytes(10240)

        # Read alike by GNU tar and Hallmark.
        with tarfile.open(f"{out}/pax.tar.gz", "w:gz", format=tarfile.PAX_FORMAT) as t:
            def add(name, data):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            add("plain.txt", b"plain\n")
            add("docs/" + "\u00e9" * 60 + ".txt", b"accents\n")
            add("L" * 200 + ".bin", b"one long component\n")
            add("d" * 90 + "/" + "e" * 90 + "/" + "f" * 90 + ".txt", b"no ustar split fits\n")
        with tarfile.open(f"{out}/gnu.tar.gz", "w:gz", format=tarfile.GNU_FORMAT) as t:
            for name, data in [("g" * 120 + "/" + "n" * 40 + ".txt", b"long name\n"), ("x" * 150, b"long file\n"), ("short", b"s\n")]:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        # The ustar header says 3 bytes, the pax record 12: GNU tar (and Python) read 12.
        save("pax-size", pax([(b"size", b"12")]) + member(b"sized", b"twelve bytes", stated=3) + member(b"after", b"next\n") + END)
        # A pax path that says otherwise than the ustar name: the pax path is the name.
        save("pax-path", pax([(b"path", b"real-name.txt")]) + member(b"decoy.txt", b"x\n") + END)
        # Two gzip members, one after the other, as `cat a.gz b.gz` makes.
        raw = member(b"first", b"1\n") + member(b"second", b"2\n") + END
        with open(f"{out}/concatenated.tar.gz", "wb") as f:
            f.write(gzip.compress(raw[:1024], mtime=0) + gzip.compress(raw[1024:], mtime=0))

        # Refused: each would be read differently by some tool, or is not what it claims.
        save("two-headers", member(b"././@LongLink", b"long-name\x00", b"L") + pax([(b"path", b"other-name")]) + member(b"short", b"x") + END)
        save("global-path", pax([(b"path", b"everything")], b"g") + member(b"a", b"x") + END)
        save("sparse", pax([(b"GNU.sparse.major", b"1"), (b"GNU.sparse.minor", b"0"), (b"GNU.sparse.name", b"real")]) + member(b"a", b"x") + END)
        save("hidden", member(b"a", b"x") + bytes(1024) + member(b"b", b"hidden") + END)
        save("latin1", member(b"caf\xe9", b"x") + END)
        save("file-then-child", member(b"a", b"x") + member(b"a/b", b"y") + END)
        save("child-then-file", member(b"a/b", b"y") + member(b"a", b"x") + END)
        save("directory-data", member(b"d/", b"0123456789", b"5") + END)
        save("pax-symlink", pax([(b"linkpath", b"/etc/passwd")]) + member(b"l", b"", b"2") + END)
        save("double-slash", member(b"a/b", b"1") + member(b"a//b", b"2") + END)
        save("malformed-pax", member(b"PaxHeaders/x", b"12 path=a\n", b"x") + member(b"a", b"x") + END)
        save("prefix-version", block(b"name", 0, prefix=b"pre", magic=b"ustar\x00xx") + END)
        # GNU magic with bytes in the prefix field: GNU tar reads "greet", Python's tarfile "evil/greet".
        save("gnu-prefix", block(b"greet", 0, prefix=b"evil", magic=b"ustar  \x00") + END)
        # A path 70 directories deep, and a name of 5,000 "./" before one letter (each costs work per byte).
        save("deep", pax([(b"path", b"/".join([b"d"] * 70))]) + member(b"x", b"x") + END)
        save("dot-slash", pax([(b"path", b"./" * 5000 + b"a")]) + member(b"x", b"x") + END)
        save("truncated", member(b"a", b"x" * 1000)[:700])
        save("bad-size", block(b"a", size_field=b"12x45678901\x00") + END)
        with open(f"{out}/trailing.tar.gz", "wb") as f:
            f.write(gzip.compress(member(b"a", b"x") + END, mtime=0) + b"junk after the stream")
        """#

    /// Names and sizes as `tar -tv` lists them.
    func tarListing(_ path: String) throws -> [(String, UInt64)] {
        let listing = try ProcessRunner.run(
            "tar", ["--numeric-owner", "--quoting-style=literal", "-tvzf", path], environment: ["LC_ALL": "C.UTF-8", "TZ": "UTC"])
        #expect(listing.status == 0, "\(listing.stderr)")
        return listing.stdout.split(separator: "\n").map { line in
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            var name = String(fields[5])
            if name.hasSuffix("/") { name.removeLast() }
            return (name, UInt64(fields[2]) ?? .max)
        }
    }

    @Test("pax path and size records and GNU long names are read as GNU tar reads them, and extract the same bytes")
    func tarNamesAndSizesAgree() throws {
        let dir = try TemporaryDirectory()
        try dir.write("make.py", Self.tarScript)
        let made = try ProcessRunner.run("python3", [dir.url("make.py"), dir.path])
        try #require(made.status == 0, "\(made.stderr)")
        for name in ["pax", "gnu", "pax-size", "pax-path", "concatenated"] {
            let file = dir.url(name + ".tar.gz")
            let ours = try ArchiveReader().members(of: file, format: .tarGz, display: name)
            let theirs = try tarListing(file)
            #expect(ours.map(\.path) == theirs.map(\.0), "\(name)")
            #expect(ours.map(\.size) == theirs.map(\.1), "\(name)")
            try FileManager.default.createDirectory(atPath: dir.url("ours-" + name), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: dir.url("theirs-" + name), withIntermediateDirectories: true)
            try ArchiveReader().extractAll(file, format: .tarGz, display: name, into: dir.url("ours-" + name))
            #expect(try ProcessRunner.run("tar", ["-xzf", file, "-C", dir.url("theirs-" + name)]).status == 0)
            for member in ours where member.kind == .file {
                #expect(try dir.read("ours-\(name)/\(member.path)") == (try dir.read("theirs-\(name)/\(member.path)")), "\(name): \(member.path)")
            }
        }
        let sized = try ArchiveReader().members(of: dir.url("pax-size.tar.gz"), format: .tarGz, display: "pax-size")
        #expect(sized.map(\.path) == ["sized", "after"] && sized[0].size == 12)
        #expect(try ArchiveReader().members(of: dir.url("pax-path.tar.gz"), format: .tarGz, display: "p").map(\.path) == ["real-name.txt"])
        #expect(try ArchiveReader().members(of: dir.url("gnu.tar.gz"), format: .tarGz, display: "g").contains { $0.path == String(repeating: "x", count: 150) })
    }

    @Test("A tarball made with `tar -C dir -czf x.tar.gz .` (its first member is ./) is read, the ./ entry skipped")
    func tarballOfDot() throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.url("src/bin"), withIntermediateDirectories: true)
        try dir.write("src/bin/greet", "#!/bin/sh\necho hi\n")
        let made = try ProcessRunner.run("tar", ["--sort=name", "-C", dir.url("src"), "-czf", dir.url("dot.tar.gz"), "."])
        try #require(made.status == 0, "\(made.stderr)")
        let listed = try ProcessRunner.run("tar", ["-tzf", dir.url("dot.tar.gz")]).stdout
        #expect(listed.hasPrefix("./\n"), "\(listed)")
        let members = try ArchiveReader().members(of: dir.url("dot.tar.gz"), format: .tarGz, display: "dot.tar.gz")
        #expect(members.map(\.path) == ["bin", "bin/greet"])
        try FileManager.default.createDirectory(atPath: dir.url("out"), withIntermediateDirectories: true)
        try ArchiveReader().extractAll(dir.url("dot.tar.gz"), format: .tarGz, display: "dot.tar.gz", into: dir.url("out"))
        #expect(try dir.read("out/bin/greet") == Data("#!/bin/sh\necho hi\n".utf8))
    }

    @Test("Tar streams that tools would read differently, or that are not what they claim, are refused with the reason")
    func tarDisagreementsAreRefused() throws {
        let dir = try TemporaryDirectory()
        try dir.write("make.py", Self.tarScript)
        let made = try ProcessRunner.run("python3", [dir.url("make.py"), dir.path])
        try #require(made.status == 0, "\(made.stderr)")
        let cases: [(String, String)] = [
            ("two-headers", "two extended headers"), ("global-path", "global pax header sets path"), ("sparse", "sparse"),
            ("hidden", "after the end-of-archive"), ("latin1", "not UTF-8"), ("file-then-child", "a is a file in this archive"),
            ("child-then-file", "other members are inside it"), ("directory-data", "a directory with contents"),
            ("pax-symlink", "links are not allowed (to /etc/passwd)"), ("double-slash", "appears twice"),
            ("malformed-pax", "malformed pax"), ("prefix-version", "no POSIX ustar magic"), ("truncated", "truncated"),
            ("gnu-prefix", "no POSIX ustar magic"), ("deep", "more than 64 directory levels"), ("dot-slash", "10001 bytes long"),
            ("bad-size", "malformed size"), ("trailing", "data after the end of the gzip stream"),
        ]
        for (name, reason) in cases {
            let file = name + ".tar.gz"
            try FileManager.default.createDirectory(atPath: dir.url("out-" + name), withIntermediateDirectories: true)
            #expect {
                try ArchiveReader().extractAll(dir.url(file), format: .tarGz, display: file, into: dir.url("out-" + name))
            } throws: { error in
                let message = (error as? HallmarkError)?.message ?? ""
                return message.hasPrefix(file + ": ") && message.contains(reason) && !message.contains("\n")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url("out-" + name)).isEmpty, "\(name): nothing may be written")
        }
    }

    static let zipScript = #"""
        import struct, sys, zipfile
        out = sys.argv[1]

        def make(name, members, extra=b""):
            with zipfile.ZipFile(f"{out}/{name}.zip", "w", zipfile.ZIP_DEFLATED) as z:
                for member, data in members:
                    info = zipfile.ZipInfo(member)
                    info.external_attr = 0o100644 << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.extra = extra
                    z.writestr(info, data)
            return open(f"{out}/{name}.zip", "rb").read()

        def save(name, data):
            open(f"{out}/{name}.zip", "wb").write(data)

        def central(data):
            return data.index(b"PK\x01\x02")

        base = make("good", [("good.txt", b"hello\n")])
        # The local header names another file than the central directory (a streaming unzipper would see it).
        save("local-name", base.replace(b"good.txt", b"evil.txt", 1))
        # A CRC in the local header that the central directory does not state.
        data = bytearray(base); data[14] ^= 0xFF; save("local-crc", bytes(data))
        # A non-ASCII name without the UTF-8 flag: unzip and zipfile read it as code page 437.
        data = bytearray(make("accent", [("caf\u00e9.txt", b"x")]))
        data[7] &= 0xF7
        c = central(data); data[c + 9] &= 0xF7
        save("no-utf8-flag", bytes(data))
        # Bytes before the archive: zipfile and unzip shift every offset by them; Hallmark will not guess.
        save("prepended", b"MZ" + b"\x00" * 62 + base)
        # An Info-ZIP Unicode path field naming another file: unzip would extract that name.
        other = b"other.txt"
        import zlib
        field = struct.pack("<BI", 1, zlib.crc32(b"good.txt")) + other
        make("unicode-path", [("good.txt", b"x")], struct.pack("<HH", 0x7075, len(field)) + field)
        # Encrypted.
        data = bytearray(base); data[6] |= 1; c = central(data); data[c + 8] |= 1; save("encrypted", bytes(data))
        # A symbolic link and a device, by their Unix modes.
        with zipfile.ZipFile(f"{out}/fifo.zip", "w") as z:
            info = zipfile.ZipInfo("pipe"); info.external_attr = 0o010644 << 16; z.writestr(info, b"")
        # A member that inflates past the size both headers state.
        data = bytearray(make("lying-size", [("zeros", bytes(100000))]))
        data[22:26] = struct.pack("<I", 1000)
        c = central(data); data[c + 24:c + 28] = struct.pack("<I", 1000)
        save("lying-size", bytes(data))
        # The end record's comment does not reach the end of the file.
        save("cut-comment", base[:-2] + struct.pack("<H", 40) + b"short")
        # Two Unicode path fields: the first names the member, the second (which unzip and libarchive use) another.
        def upath(name): return struct.pack("<BI", 1, zlib.crc32(b"good.txt")) + name
        two = b"".join(struct.pack("<HH", 0x7075, 5 + len(n)) + upath(n) for n in [b"good.txt", b"evil.txt"])
        make("two-upath", [("good.txt", b"x")], two)
        # A Unicode path field in the local header only naming another file (bsdtar reads local headers).
        data = bytearray(make("local-upath", [("good.txt", b"x")], struct.pack("<HH", 0x7075, 13) + upath(b"good.txt")))
        data[47:55] = b"evil.txt"
        save("local-upath", bytes(data))
        # libarchive's "xl" field, which can make the member a symbolic link for bsdtar.
        make("xl-field", [("good.txt", b"x")], struct.pack("<HHI", 0x6C78, 4, 0))
        # The UTF-8 flag in the local header only.
        data = bytearray(base); data[7] |= 0x08; save("local-utf8", bytes(data))
        # A local header hidden between the last member and the central directory, which no record names.
        c = central(base); junk = b"PK\x03\x04" + bytes(40)
        data = bytearray(base[:c] + junk + base[c:])
        e = data.rindex(b"PK\x05\x06")
        data[e + 16:e + 20] = struct.pack("<I", struct.unpack("<I", data[e + 16:e + 20])[0] + len(junk))
        save("gap", bytes(data))
        # A directory by its Unix mode whose name has no trailing slash: unzip makes an empty file of it.
        with zipfile.ZipFile(f"{out}/dir-mode.zip", "w") as z:
            info = zipfile.ZipInfo("release/a.txt.minisig"); info.external_attr = 0o040755 << 16; z.writestr(info, b"")
        # The MS-DOS directory attribute (0x10) on a name without a trailing slash: bsdtar makes a directory.
        with zipfile.ZipFile(f"{out}/dos-dir.zip", "w") as z:
            info = zipfile.ZipInfo("release/a.txt"); info.create_system = 0; info.external_attr = 0x10; z.writestr(info, b"")
        # A stored member with a data descriptor: a streaming reader finds its end by scanning its data.
        with zipfile.ZipFile(f"{out}/stored-dd.zip", "w", zipfile.ZIP_STORED) as z:
            info = zipfile.ZipInfo("good.txt"); info.external_attr = 0o100644 << 16; z.writestr(info, b"hello\n")
        data = bytearray(open(f"{out}/stored-dd.zip", "rb").read())
        data[6] |= 0x08; c = central(data); data[c + 8] |= 0x08
        save("stored-dd", bytes(data))
        """#

    @Test("Zip archives whose headers disagree, or that unzip and zipfile would read another way, are refused")
    func zipDisagreementsAreRefused() throws {
        let dir = try TemporaryDirectory()
        try dir.write("make.py", Self.zipScript)
        let made = try ProcessRunner.run("python3", [dir.url("make.py"), dir.path])
        try #require(made.status == 0, "\(made.stderr)")
        try ArchiveFixtures.make("overlap", at: dir.url("overlap.zip"), ["6", "1"])
        #expect(try ArchiveReader().members(of: dir.url("good.zip"), format: .zip, display: "good.zip").map(\.path) == ["good.txt"])
        let cases: [(String, String)] = [
            ("local-name", "local header disagrees"), ("local-crc", "local header disagrees"), ("no-utf8-flag", "without the UTF-8 flag"),
            ("prepended", "bytes come before the archive"), ("unicode-path", "Unicode path field"), ("encrypted", "encrypted"),
            ("fifo", "only regular files and directories"), ("cut-comment", "end of central directory record is damaged"),
            ("overlap", "overlap"), ("lying-size", "inflates past its stated size"),
            ("two-upath", "two extra fields with id 0x7075"), ("local-upath", "Unicode path field"),
            ("xl-field", "a link or another type"), ("local-utf8", "local header disagrees"),
            ("gap", "belong to no member"), ("dir-mode", "a directory mode or attribute without a trailing '/'"),
            ("dos-dir", "a directory mode or attribute without a trailing '/'"), ("stored-dd", "stored with a data descriptor"),
        ]
        for (name, reason) in cases {
            let file = name + ".zip"
            try FileManager.default.createDirectory(atPath: dir.url("out-" + name), withIntermediateDirectories: true)
            #expect {
                try ArchiveReader().extractAll(dir.url(file), format: .zip, display: file, into: dir.url("out-" + name))
            } throws: { error in
                let message = (error as? HallmarkError)?.message ?? ""
                return message.hasPrefix(file + ": ") && message.contains(reason)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url("out-" + name)).isEmpty, "\(name): nothing may be written")
        }
        // The overlapping members are each valid on their own: Python's zipfile reads the last one whole.
        let python = try ProcessRunner.run("python3", ["-c", "import sys, zipfile; print(len(zipfile.ZipFile(sys.argv[1]).read('m0005')))", dir.url("overlap.zip")])
        #expect(python.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(1 << 20), "\(python.stderr)")
    }

    @Test("A symbolic link in the destination, there before or planted during extraction, is never followed")
    func symbolicLinksInTheDestinationAreNotFollowed() throws {
        let dir = try TemporaryDirectory()
        let outside = dir.url("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try dir.write("outside/target", "original\n")
        try DeterministicArchiver(modificationTime: 0).write(
            [
                ArchiveEntry(path: "a.txt", content: .data(Data("a\n".utf8)), mode: 0o644),
                ArchiveEntry(path: "b.txt", content: .data(Data("b\n".utf8)), mode: 0o644),
                ArchiveEntry(path: "docs/notes.txt", content: .data(Data("notes\n".utf8)), mode: 0o644),
            ], format: .tarGz, to: dir.url("a.tar.gz"))
        let reader = ArchiveReader()

        // There before: the destination is not empty, so nothing is extracted into it.
        try FileManager.default.createDirectory(atPath: dir.url("before"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.url("before/docs"), withDestinationPath: outside)
        #expect(throws: HallmarkError.invalidInput("")) {
            try reader.extractAll(dir.url("a.tar.gz"), format: .tarGz, display: "a.tar.gz", into: dir.url("before"))
        }
        // The destination itself a link.
        try FileManager.default.createSymbolicLink(atPath: dir.url("link"), withDestinationPath: dir.url("empty"))
        try FileManager.default.createDirectory(atPath: dir.url("empty"), withIntermediateDirectories: true)
        #expect(throws: HallmarkError.invalidInput("")) {
            try reader.extractAll(dir.url("a.tar.gz"), format: .tarGz, display: "a.tar.gz", into: dir.url("link"))
        }

        // Planted during: while a.txt is written, links appear where b.txt and docs/ go next.
        for (planted, target) in [("b.txt", outside + "/target"), ("docs", outside)] {
            let destination = dir.url("during-" + planted)
            try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
            var didPlant = false
            #expect(throws: HallmarkError.io("")) {
                try reader.extractAll(dir.url("a.tar.gz"), format: .tarGz, display: "a.tar.gz", into: destination) { member, _ in
                    guard member.path == "a.txt", !didPlant else { return }
                    didPlant = true
                    _ = symlink(target, destination + "/" + planted)
                }
            }
            #expect(didPlant)
        }
        #expect(try dir.read("outside/target") == Data("original\n".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == ["target"])
    }

    @Test("ZIP64 records, forced on a small archive: unzip and Python's zipfile read them, and so does the reader")
    func zip64ForcedRoundTrip() throws {
        let dir = try TemporaryDirectory()
        var archiver = DeterministicArchiver(modificationTime: 1_700_000_000)
        archiver.zip64Threshold = 0
        let body = Data((0..<200_000).map { UInt8($0 % 251) })
        let entries = [
            ArchiveEntry(path: "tool", content: .data(body), mode: 0o755),
            ArchiveEntry(path: "docs/empty.txt", content: .data(Data()), mode: 0o644),
        ]
        try archiver.write(entries, format: .zip, to: dir.url("a.zip"))
        let bytes = try dir.read("a.zip")
        #expect(bytes.range(of: Data([0x50, 0x4b, 0x06, 0x06])) != nil, "a ZIP64 end of central directory record")
        #expect(bytes.range(of: Data([0x50, 0x4b, 0x06, 0x07])) != nil, "a ZIP64 locator")
        let test = try ProcessRunner.run("unzip", ["-t", dir.url("a.zip")])
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
        let script = """
            import sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None
            for i in z.infolist():
                print(i.filename, i.file_size, i.header_offset, len(i.extra))
            """
        let python = try ProcessRunner.run("python3", ["-c", script, dir.url("a.zip")])
        #expect(python.status == 0, "\(python.stderr)")
        #expect(python.stdout.contains("tool 200000 "), "\(python.stdout)")
        let (members, kept) = try ArchiveReader().members(of: dir.url("a.zip"), format: .zip, display: "a.zip", keeping: { $0.path == "tool" })
        #expect(members.map(\.path) == ["docs", "docs/empty.txt", "tool"])
        #expect(kept["tool"] == body)
        // Without forcing, the same entries make the same bytes as before ZIP64 existed: no ZIP64 records at all.
        try DeterministicArchiver(modificationTime: 1_700_000_000).write(entries, format: .zip, to: dir.url("b.zip"))
        #expect(try dir.read("b.zip").range(of: Data([0x50, 0x4b, 0x06, 0x06])) == nil)
    }

    /// Limits high enough for the 4 GiB runs below.
    static var largeLimits: ArchiveReader.Limits {
        var limits = ArchiveReader.Limits()
        limits.maxEntrySize = 6 << 30
        limits.maxTotalSize = 6 << 30
        limits.maxArchiveSize = 6 << 30
        return limits
    }

    @Test("A real member over 4 GiB (a sparse file of zeros): written with ZIP64, read by unzip and zipfile (every byte), and by the reader")
    func zip64MemberOverFourGiB() throws {
        let dir = try TemporaryDirectory()
        let size: UInt64 = (4 << 30) + (64 << 20)
        // The source is a hole: on tmpfs, reading it costs no page cache (on ext4 the kernel zeroes 4 GiB of pages).
        let scratch = FileManager.default.fileExists(atPath: "/dev/shm") ? try TemporaryDirectory(in: "/dev/shm") : dir
        let source = scratch.url("zeros")
        #expect(FileManager.default.createFile(atPath: source, contents: nil))
        #expect(truncate(source, off_t(size)) == 0)
        try DeterministicArchiver(modificationTime: 1_700_000_000, compressionLevel: 1)
            .write([.regular("zeros", from: source)], format: .zip, to: dir.url("big.zip"))
        let head = try #require(FileHandle(forReadingAtPath: dir.url("big.zip"))).readData(ofLength: 64)
        #expect(head[4] == 45 && head[18..<26].allSatisfy { $0 == 0xFF } && head[35...36] == Data([0x01, 0x00]), "a ZIP64 local header")
        // unzip reads the ZIP64 records (listing; inflating 4 GiB with it takes 10 s here), zipfile checks every byte.
        let listing = try ProcessRunner.run("unzip", ["-l", dir.url("big.zip")])
        #expect(listing.status == 0 && listing.stdout.contains("\(size)  "), "\(listing.stdout)\(listing.stderr)")
        let script = "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.testzip(), z.getinfo('zeros').file_size)"
        let python = try ProcessRunner.run("python3", ["-c", script, dir.url("big.zip")])
        #expect(python.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "None \(size)", "\(python.stdout)\(python.stderr)")
        var read: UInt64 = 0
        let members = try ArchiveReader(limits: Self.largeLimits).scan(dir.url("big.zip"), format: .zip, display: "big.zip") { (_, body) throws(HallmarkError) in
            try body.forEachChunk { read += UInt64($0.count) }
        }
        #expect(members.map(\.size) == [size] && read == size)
        // At the default limits it is refused by its declared size, before anything is inflated.
        #expect(throws: HallmarkError.invalidInput("")) { try ArchiveReader().members(of: dir.url("big.zip"), format: .zip, display: "big.zip") }
    }

    @Test("A 5 GiB zip (a member past a 5 GiB hole): offsets past 4 GiB read without a trap, the hole refused, and the file refused at the default limits")
    func zipOverFourGiB() throws {
        let dir = try TemporaryDirectory()
        try ArchiveFixtures.make("far-zip", at: dir.url("far.zip"), [String(5 << 30)])
        let python = try ProcessRunner.run("python3", ["-c", "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read('far.txt'))", dir.url("far.zip")])
        #expect(python.stdout.contains("far away"), "\(python.stderr)")
        // The member's local header, 5 GiB in, is found and checked (64-bit offsets throughout); the 5 GiB before
        // it belong to no member, which is refused: streaming readers could find members hidden there.
        #expect {
            try ArchiveReader(limits: Self.largeLimits).members(of: dir.url("far.zip"), format: .zip, display: "far.zip")
        } throws: { ($0 as? HallmarkError)?.message == "far.zip: 5368709120 bytes before member far.txt belong to no member (hidden data, or a damaged archive)" }
        #expect {
            try ArchiveReader().members(of: dir.url("far.zip"), format: .zip, display: "far.zip")
        } throws: { ($0 as? HallmarkError)?.message.contains("-byte limit for an archive") ?? false }
    }

    @Test("A compression level libdeflate refuses is an error, for both formats, and leaves no file")
    func badCompressionLevel() throws {
        let dir = try TemporaryDirectory()
        for format in ArchiveFormat.allCases {
            #expect(throws: HallmarkError.invalidInput("")) {
                try DeterministicArchiver(modificationTime: 0, compressionLevel: 42).write(
                    [ArchiveEntry(path: "a", content: .data(Data("a".utf8)), mode: 0o644)], format: format, to: dir.url("a"))
            }
            #expect(!dir.exists("a"))
        }
    }
}
