import Foundation

/// Hostile and oversized archives for the archive tests, made by Python without holding their expanded bytes: a
/// run of zeros is compressed once and the block repeated, and ZIP64 members are holes in sparse files.
public enum ArchiveFixtures {
    /// `python3 -c SCRIPT KIND OUT [ARGS]`: `bomb` (about 4 MB of gzip inflating to 4 GiB: a tar of two members just
    /// under 2 GiB each), `stream-bomb` (the same size: one small member, then 4 GiB of zeros), `huge-member` (a tar.gz holding one 5 GiB member), `overlap COUNT KERNEL_MIB` (the
    /// overlapping-entries zip bomb), `sparse-zip SIZE` (a ZIP64 archive with one stored member of SIZE zeros), `far-zip GAP` (one small member after a
    /// hole of GAP bytes).
    public static let script = #"""
import struct, sys, tarfile, zlib

ZEROS = bytes(64 << 20)


class Gzip:
    """One gzip member written in pieces. A run of zeros is compressed once, after a full flush (so the block
    refers to nothing before it), and the compressed block is repeated: gigabytes in seconds, never in memory."""

    def __init__(self, path):
        self.out = open(path, "wb")
        self.out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03")
        self.deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
        self.crc = 0
        self.size = 0
        self.block = None

    def data(self, data):
        self.out.write(self.deflate.compress(data) + self.deflate.flush(zlib.Z_FULL_FLUSH))
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)

    def zeros(self, count):
        whole, rest = divmod(count, len(ZEROS))
        for _ in range(whole):
            if self.block is None:
                self.block = self.deflate.compress(ZEROS) + self.deflate.flush(zlib.Z_FULL_FLUSH)
            self.out.write(self.block)
            self.crc = zlib.crc32(ZEROS, self.crc)
        self.size += whole * len(ZEROS)
        if rest:
            self.data(bytes(rest))

    def close(self):
        self.out.write(self.deflate.flush(zlib.Z_FINISH))
        self.out.write(struct.pack("<II", self.crc & 0xFFFFFFFF, self.size & 0xFFFFFFFF))
        self.out.close()


def tar_of_zeros(path, members, trailing=0):
    """A tar.gz of members made of zeros: [(name, size)], ustar headers, two zero blocks, padded to 10240, then
    `trailing` more zeros (which GNU tar reads past as end-of-archive padding)."""
    gz = Gzip(path)
    written = 0
    for name, size in members:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = 0o755
        header = info.tobuf(tarfile.USTAR_FORMAT)
        gz.data(header)
        padded = size + (-size % 512)
        gz.zeros(padded)
        written += len(header) + padded
    end = 1024 + (-(written + 1024) % 10240)
    gz.zeros(end + trailing)
    gz.close()


def overlapping_zip(path, count, kernel_mib):
    """The "overlapping entries" zip bomb, built here from its description: every member's compressed data runs to
    the end of one shared deflate kernel, and quotes (as stored blocks) the local headers of the members after it,
    so each member alone is a valid, modestly compressed file. The kernel is compressed at level 1 (about 230-fold)
    so that no single member looks like a bomb: only the overlap gives it away."""
    kernel_out = bytes(kernel_mib << 20)
    deflate = zlib.compressobj(1, zlib.DEFLATED, -15)
    kernel = deflate.compress(kernel_out) + deflate.flush()
    names = [b"m%04d" % i for i in range(count)]

    def local(name, crc, compressed, size):
        return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, compressed, size, len(name), 0) + name

    header_size = 30 + len(names[0])
    quote = b"\x00" + struct.pack("<HH", header_size, header_size ^ 0xFFFF)
    headers = [None] * count
    records = []
    prefix_out = b""  # the quoted local headers that follow member i
    prefix_compressed = b""
    for i in reversed(range(count)):
        crc = zlib.crc32(kernel_out, zlib.crc32(prefix_out))
        size = len(prefix_out) + len(kernel_out)
        compressed = len(prefix_compressed) + len(kernel)
        headers[i] = local(names[i], crc, compressed, size)
        records.append((names[i], crc, compressed, size, i * (header_size + len(quote))))
        prefix_out = headers[i] + prefix_out
        prefix_compressed = quote + headers[i] + prefix_compressed
    with open(path, "wb") as out:
        for i in range(count):
            out.write(headers[i])
            if i + 1 < count:
                out.write(quote)
        out.write(kernel)
        start = out.tell()
        for name, crc, compressed, size, offset in reversed(records):
            out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x0314, 20, 0, 8, 0, 0x21, crc, compressed, size,
                                  len(name), 0, 0, 0, 0, 0o100644 << 16, offset) + name)
        end = out.tell()
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, end - start, start, 0))


def sparse_zip(path, size):
    """A ZIP64 archive with one stored member of `size` zeros, left as a hole in the file: over 4 GiB on disk in
    name, a few kilobytes in fact."""
    crc = 0
    whole, rest = divmod(size, len(ZEROS))
    for _ in range(whole):
        crc = zlib.crc32(ZEROS, crc)
    crc = zlib.crc32(bytes(rest), crc)
    name = b"zeros"
    sizes = struct.pack("<HHQQ", 1, 16, size, size)
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(name), len(sizes)))
        out.write(name + sizes)
        out.truncate(out.tell() + size)
        out.seek(0, 2)
        start = out.tell()
        out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x032D, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                              len(name), len(sizes), 0, 0, 0, 0o100644 << 16, 0) + name + sizes)
        end = out.tell()
        out.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x032D, 45, 0, 0, 1, 1, end - start, start))
        out.write(struct.pack("<IIQI", 0x07064B50, 0, end, 1))
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, end - start, 0xFFFFFFFF, 0))


def far_zip(path, gap):
    """A ZIP64 archive whose one small stored member starts after a hole of `gap` zeros: its local header offset and
    central directory lie past 4 GiB without gigabytes to read."""
    data, name = b"far away\n", b"far.txt"
    crc = zlib.crc32(data)
    with open(path, "wb") as out:
        out.truncate(gap)
        out.seek(gap)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, crc, len(data), len(data), len(name), 0) + name + data)
        start = out.tell()
        offset = struct.pack("<HHQ", 1, 8, gap)
        out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x032D, 45, 0, 0, 0, 0x21, crc, len(data), len(data),
                              len(name), len(offset), 0, 0, 0, 0o100644 << 16, 0xFFFFFFFF) + name + offset)
        end = out.tell()
        out.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x032D, 45, 0, 0, 1, 1, end - start, start))
        out.write(struct.pack("<IIQI", 0x07064B50, 0, end, 1))
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, end - start, 0xFFFFFFFF, 0))


kind, out = sys.argv[1], sys.argv[2]
if kind == "bomb":  # about 4 MB that inflates to 4 GiB: two members just under the 2 GiB member limit
    tar_of_zeros(out, [("a", (2 << 30) - (1 << 20)), ("b", (2 << 30) - (1 << 20))])
elif kind == "stream-bomb":  # about 4 MB that inflates to 4 GiB: one small member, then zeros
    tar_of_zeros(out, [("a", 1024)], trailing=(4 << 30) - 12288)
elif kind == "huge-member":  # one member of 5 GiB
    tar_of_zeros(out, [("zeros", 5 << 30)])
elif kind == "overlap":
    overlapping_zip(out, int(sys.argv[3]), int(sys.argv[4]))
elif kind == "sparse-zip":
    sparse_zip(out, int(sys.argv[3]))
elif kind == "far-zip":
    far_zip(out, int(sys.argv[3]))
else:
    sys.exit("unknown kind " + kind)
"""#

    /// Makes the fixture `kind` at `path`.
    public static func make(_ kind: String, at path: String, _ arguments: [String] = []) throws {
        let made = try ProcessRunner.run("python3", ["-c", script, kind, path] + arguments)
        guard made.status == 0 else { throw FixtureError("python3 could not make \(kind): \(made.stderr)") }
    }
}
