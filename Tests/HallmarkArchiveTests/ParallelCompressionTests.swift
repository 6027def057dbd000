import Foundation
import HallmarkCore
import HallmarkTestSupport
import Testing

@testable import HallmarkArchive

/// Archives compressed in fixed-size blocks on several threads: one valid deflate stream (one gzip member) that
/// GNU tar, gzip, unzip and Python read, the same bytes at any thread count, and gzip -6's size.
@Suite("Parallel block compression: one stream, the same bytes at any thread count, gzip's size")
struct ParallelCompressionTests {
    static let block = DeterministicArchiver.compressionBlockSize
    static let epoch: Int64 = 1_700_000_000

    /// Bytes that compress somewhat like a program, from a fixed seed: runs of noise, of repeated words, of
    /// source-like text and of zeros, of random lengths.
    static func programLike(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        func next() -> UInt64 {  // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var out: [UInt8] = []
        out.reserveCapacity(count + 8192)
        while out.count < count {
            let length = Int(next() % 3000) + 1
            switch next() % 4 {
            case 0:
                for _ in 0..<(length + 7) / 8 { withUnsafeBytes(of: next()) { out.append(contentsOf: $0) } }
            case 1:
                let word = withUnsafeBytes(of: next() & 0x00FF_00FF_00FF_00FF) { Array($0) }
                for _ in 0..<(length + 7) / 8 { out.append(contentsOf: word) }
            case 2:
                while out.count < count && length > 0 {
                    out.append(
                        contentsOf: Array("func f\(next() % 97)(x: Int) -> Int { x &+ \(next() % 1000) }\n".utf8))
                    if next() % 8 == 0 { break }
                }
            default:
                out.append(contentsOf: [UInt8](repeating: 0, count: length))
            }
        }
        return Array(out.prefix(count))
    }

    /// Runs `script` with `python3 -c`; the test fails with its output unless it exits 0.
    static func python(_ script: String, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let run = try ProcessRunner.run("python3", ["-c", script] + arguments)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)", sourceLocation: sourceLocation)
    }

    /// Checks a tar.gz with GNU tar (list and extract), gzip -t, and Python (one gzip member covering the whole
    /// file; tarfile reads every member); returns the extracted directory.
    static func expectReadable(
        tarGz path: String, in dir: TemporaryDirectory, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let listing = try ProcessRunner.run("tar", ["-tzvf", path])
        #expect(listing.status == 0, "\(listing.stderr)", sourceLocation: sourceLocation)
        #expect(try ProcessRunner.run("gzip", ["-t", path]).status == 0, sourceLocation: sourceLocation)
        let out = dir.url("x-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let extract = try ProcessRunner.run("tar", ["-xzf", path, "-C", out])
        #expect(extract.status == 0, "\(extract.stderr)", sourceLocation: sourceLocation)
        try python(
            """
            import sys, tarfile, zlib
            data = open(sys.argv[1], "rb").read()
            d = zlib.decompressobj(31)
            raw = d.decompress(data)
            assert d.eof and d.unused_data == b"", "one gzip member, ending at the file's last byte"
            with tarfile.open(sys.argv[1]) as t:
                for m in t:
                    if m.isfile():
                        t.extractfile(m).read()
            """, [path], sourceLocation: sourceLocation)
        return out
    }

    /// Checks a zip with unzip -t and Python's zipfile (every member's CRC-32).
    static func expectReadable(zip path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let test = try ProcessRunner.run("unzip", ["-t", path])
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)", sourceLocation: sourceLocation)
        try python(
            "import sys, zipfile; assert zipfile.ZipFile(sys.argv[1]).testzip() is None", [path],
            sourceLocation: sourceLocation)
    }

    @Test("Pieces join into one stream: a piece before the last leaves it open, byte-aligned, for every end position")
    func piecesJoin() throws {
        let dir = try TemporaryDirectory()
        let blockSize = 16 << 10
        var framed = Data()
        func frame(_ bytes: [UInt8]) {
            withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { framed.append(contentsOf: $0) }
            framed.append(contentsOf: bytes)
        }
        var padding = Set<Int>()
        var gzipFiles: [String] = []
        var cases = 0
        for level: Int32 in [0, 1, 6, 9, 12] {
            let compressor = try BlockCompressor(level: level, blockSize: blockSize)
            for seed: UInt64 in 0..<24 {
                // Whole blocks, odd sizes, and inputs short enough for libdeflate to store them.
                let sizes = [blockSize, Int(seed * 677) % blockSize + 1, [1, 7, 55, 56, 300][Int(seed) % 5]]
                let inputs = sizes.enumerated().map {
                    Self.programLike(count: $0.element, seed: seed * 3 + UInt64($0.offset))
                }
                var pieces: [[UInt8]] = []
                var whole: [UInt8] = []
                for (index, input) in inputs.enumerated() {
                    let last = index == inputs.count - 1
                    let piece = try compressor.compress(input, last: last).get()
                    #expect(piece.inputCount == input.count)
                    if !last {
                        padding.insert(piece.endPadding)
                        #expect(
                            Array(piece.bytes.suffix(4)) == [0x00, 0x00, 0xFF, 0xFF],
                            "a piece ends with an empty stored block")
                    }
                    pieces.append(piece.bytes)
                    whole += input
                }
                for piece in pieces { frame(piece) }
                for input in inputs { frame(input) }
                cases += 1

                // The same pieces as one gzip member, for GNU gzip's own inflater (not zlib).
                var crc = CRC32()
                whole.withUnsafeBytes { crc.update($0) }
                var member = Bytes()
                member.bytes = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3] + pieces.joined()
                member.u32(UInt32(crc.value))
                member.u32(UInt32(whole.count))
                gzipFiles.append(try dir.write("case-\(level)-\(seed).gz", Data(member.bytes)))
            }
        }
        // Every number of padding bits libdeflate can leave (0 to 7), so both ways of adding the stored block.
        #expect(padding == Set(0...7), "\(padding.sorted())")
        try dir.write("cases.bin", framed)
        try Self.python(
            """
            import struct, sys, zlib
            data = open(sys.argv[1], "rb").read()
            offset = 0
            def record():
                global offset
                (n,) = struct.unpack_from("<I", data, offset)
                offset += 4 + n
                return data[offset - n:offset]
            for case in range(int(sys.argv[2])):
                pieces = [record() for _ in range(3)]
                inputs = [record() for _ in range(3)]
                d = zlib.decompressobj(-15)
                for i, (piece, expected) in enumerate(zip(pieces, inputs)):
                    got = d.decompress(piece)
                    assert got == expected, f"case {case}: piece {i} inflates to {len(got)} bytes, not its {len(expected)}"
                    assert d.eof == (i == 2), f"case {case}: piece {i}: the stream ends only after the last piece"
                assert d.unused_data == b"", f"case {case}: bytes after the final block"
                # A piece before the last is a stream of its own that is not finished: it never ends one.
                alone = zlib.decompressobj(-15)
                assert alone.decompress(pieces[0]) == inputs[0] and not alone.eof
            assert offset == len(data)
            """, [dir.url("cases.bin"), String(cases)])
        let gzip = try ProcessRunner.run("gzip", ["-t"] + gzipFiles)
        #expect(gzip.status == 0, "\(gzip.stderr)")
    }

    @Test("The same bytes at 1, 2, 3 and 8 threads and run after run, for tar.gz and zip; tools read them")
    func sameBytesAtAnyParallelism() throws {
        let dir = try TemporaryDirectory()
        // 3.5 blocks: three whole blocks and a partial one, in the tar stream and in the zip member.
        let binary = try dir.write("src/tool", Data(Self.programLike(count: Self.block * 7 / 2, seed: 42)))
        let readme = try dir.write("src/README.md", "# tool\n")
        let entries: [ArchiveEntry] = [.executable("tool", from: binary), .regular("README.md", from: readme)]
        for format in ArchiveFormat.allCases {
            var outputs: [Data] = []
            for (run, threads) in [1, 2, 3, 8, 8].enumerated() {
                let archiver = DeterministicArchiver(modificationTime: Self.epoch, parallelism: threads)
                let name = "a-\(run)\(format.fileExtension)"
                try archiver.write(entries, format: format, to: dir.url(name))
                outputs.append(try dir.read(name))
            }
            #expect(Set(outputs).count == 1, "\(format): \(outputs.map(\.count))")
            switch format {
            case .tarGz:
                let out = try Self.expectReadable(tarGz: dir.url("a-0.tar.gz"), in: dir)
                #expect(FileManager.default.contents(atPath: out + "/tool") == (try dir.read("src/tool")))
            case .zip:
                try Self.expectReadable(zip: dir.url("a-0.zip"))
                let out = dir.url("z")
                let extract = try ProcessRunner.run("unzip", ["-q", dir.url("a-0.zip"), "-d", out])
                #expect(extract.status == 0, "\(extract.stderr)")
                #expect(FileManager.default.contents(atPath: out + "/tool") == (try dir.read("src/tool")))
            }
        }
    }

    @Test("Inputs at block boundaries: empty, 1 byte, a block less 1, a block, a block and 1, two blocks and 1")
    func blockBoundaries() throws {
        let dir = try TemporaryDirectory()
        let b = Self.block
        let sizes = [0, 1, b - 1, b, b + 1, 2 * b, 2 * b + 1]
        var entries: [ArchiveEntry] = []
        for (index, size) in sizes.enumerated() {
            let path = try dir.write("src/m\(index)", Data(Self.programLike(count: size, seed: UInt64(index))))
            entries.append(.regular("m\(index)", from: path))
        }
        // A zip member's deflate stream is exactly its bytes.
        for threads in [1, 3] {
            try DeterministicArchiver(modificationTime: Self.epoch, parallelism: threads).write(
                entries, format: .zip, to: dir.url("m\(threads).zip"))
        }
        #expect(try dir.read("m1.zip") == (try dir.read("m3.zip")))
        try Self.expectReadable(zip: dir.url("m1.zip"))
        let (members, kept) = try ArchiveReader().members(
            of: dir.url("m1.zip"), format: .zip, display: "m1.zip", keeping: { _ in true })
        #expect(members.map(\.size) == sizes.map(UInt64.init))
        for index in sizes.indices { #expect(kept["m\(index)"] == (try dir.read("src/m\(index)"))) }

        // A tar stream is whole 10240-byte records, so it is exactly 5 blocks (5 MiB) with a file of 5 MiB less
        // a header and the two end blocks, and 5 blocks and a record with one 10240 bytes longer.
        for (name, size) in [("five", 5 * b - 1536), ("five-and-a-record", 5 * b - 1536 + 10240), ("empty", 0)] {
            let source = try dir.write("src/\(name)", Data(Self.programLike(count: size, seed: UInt64(size))))
            let archive = dir.url("\(name).tar.gz")
            try DeterministicArchiver(modificationTime: Self.epoch, parallelism: 3).write(
                [.regular("f", from: source)], format: .tarGz, to: archive)
            try DeterministicArchiver(modificationTime: Self.epoch, parallelism: 1).write(
                [.regular("f", from: source)], format: .tarGz, to: archive + ".1")
            #expect(try dir.read("\(name).tar.gz") == (try dir.read("\(name).tar.gz.1")))
            let out = try Self.expectReadable(tarGz: archive, in: dir)
            #expect(FileManager.default.contents(atPath: out + "/f") == (try dir.read("src/\(name)")))
            let tarSize = try ProcessRunner.run("sh", ["-c", "gzip -dc \"$1\" | wc -c", "sh", archive]).stdout
            #expect(
                Int(tarSize.trimmingCharacters(in: .whitespacesAndNewlines)) == 512 + (size + 511) / 512 * 512 + 1024
                    + (name == "empty" ? 8704 : 0))
        }
        // No input at all is still one valid stream (the empty final block).
        var empty = DeterministicArchiver(modificationTime: Self.epoch)
        empty.parallelism = 2
        try empty.write(
            [ArchiveEntry(path: "e", content: .data(Data()), mode: 0o644)], format: .zip, to: dir.url("e.zip"))
        try Self.expectReadable(zip: dir.url("e.zip"))
    }

    @Test("Size within 1% of gzip -6 on the machine's own executables (a fixed selection from /usr/bin)")
    func sizeAgainstGzip() throws {
        let dir = try TemporaryDirectory()
        // Regular files of /usr/bin over 64 KiB, by name, until 6 MiB: real machine code, the same on every run.
        var selected: [String] = []
        var total = 0
        let names = try FileManager.default.contentsOfDirectory(atPath: "/usr/bin").sorted()
        for name in names where total < 6 << 20 {
            let path = "/usr/bin/" + name
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            guard attributes[.type] as? FileAttributeType == .typeRegular, let size = attributes[.size] as? Int,
                size > 64 << 10
            else { continue }
            selected.append(path)
            total += size
        }
        try #require(total >= 4 << 20, "at least 4 MiB of executables in /usr/bin")
        var concatenated = Data()
        for path in selected { concatenated.append(try Data(contentsOf: URL(fileURLWithPath: path))) }
        let source = try dir.write("bins", concatenated)
        try DeterministicArchiver(modificationTime: Self.epoch).write(
            [.executable("bins", from: source)], format: .tarGz, to: dir.url("h.tar.gz"))
        // gzip -6 over the very same tar stream.
        let gzip = try ProcessRunner.run(
            "sh", ["-c", "gzip -dc \"$1\" | gzip -n -6 > \"$2\"", "sh", dir.url("h.tar.gz"), dir.url("g.tar.gz")])
        #expect(gzip.status == 0, "\(gzip.stderr)")
        let ours = try dir.read("h.tar.gz").count
        let theirs = try dir.read("g.tar.gz").count
        #expect(
            Double(ours) <= Double(theirs) * 1.01,
            "\(ours) bytes against gzip -6's \(theirs) (\(selected.count) files, \(total) bytes)")
        print(
            "tar.gz of \(total) bytes of /usr/bin: \(ours) bytes, gzip -6 \(theirs) (\(String(format: "%+.2f", Double(ours - theirs) * 100 / Double(theirs)))%)"
        )
        _ = try Self.expectReadable(tarGz: dir.url("h.tar.gz"), in: dir)
    }
}

@Suite("Extraction paths split on bytes")
struct ExtractionComponentTests {
    @Test("A slash followed by a combining mark still separates components")
    func slashBeforeCombiningMark() {
        #expect(DirectoryWriter.components("release/\u{301}x") == ["release", "\u{301}x"])
        #expect(DirectoryWriter.components("a//b/") == ["a", "b"])
    }
}
