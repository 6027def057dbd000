import HallmarkCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Creates directories and files below one empty directory without ever following a symbolic link: the destination
/// is opened once, and every step is taken relative to its parent's descriptor — `openat(O_DIRECTORY|O_NOFOLLOW)` to
/// descend, `mkdirat` to create, `openat(O_CREAT|O_EXCL|O_NOFOLLOW)` for files — so a link already there or planted
/// while extracting makes the extraction fail instead of writing through it.
final class DirectoryWriter {
    private let root: Int32
    private let path: String

    /// Opens `path`, which must be an existing, empty directory and not a symbolic link.
    init(emptyDirectory path: String) throws(HallmarkError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ELOOP: throw .invalidInput("\(path): is a symbolic link; extract into a real, empty directory")
            case ENOTDIR: throw .invalidInput("\(path): not a directory")
            default: throw .io("\(path): cannot open: \(String(cString: strerror(code)))")
            }
        }
        root = fd
        // From here on, deinit closes `root` if the initializer throws.
        guard let listing = fdopendir(dup(fd)) else {
            throw .io("\(path): cannot list: \(String(cString: strerror(errno)))")
        }
        defer { closedir(listing) }
        while let entry = readdir(listing) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." {
                throw .invalidInput("\(path): not empty; archives are extracted only into an empty directory")
            }
        }
    }

    deinit { close(root) }

    /// The components of `relative`, split on the byte `/` (0x2F) as the kernel splits them: a `/` followed by a
    /// combining mark is one `Character` to Swift, and a name holding it would let `openat` walk through a link.
    static func components(_ relative: String) -> [String] {
        Array(relative.utf8).split(separator: 0x2F, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Creates the directory `relative` (and its parents); an existing directory is fine, anything else is not.
    func makeDirectory(_ relative: String) throws(HallmarkError) {
        let fd = try openDirectory(Self.components(relative))
        if fd != root { close(fd) }
    }

    /// Creates the new file `relative` (its parents as needed), open for writing.
    func createFile(_ relative: String) throws(HallmarkError) -> CreatedFile {
        var components = Self.components(relative)
        guard let name = components.popLast() else { throw .invalidInput("\(path): an empty member name") }
        let parent = try openDirectory(components)
        defer { if parent != root { close(parent) } }
        let fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST || code == ELOOP {
                throw .io("\(path)/\(relative): already exists (a file or symbolic link put there during extraction); refusing to write through it")
            }
            throw .io("\(path)/\(relative): cannot create: \(String(cString: strerror(code)))")
        }
        return CreatedFile(fd: fd, display: path + "/" + relative)
    }

    /// Descends from the root through `components`, creating missing directories; returns the last one's
    /// descriptor (the root's for no components).
    private func openDirectory(_ components: [String]) throws(HallmarkError) -> Int32 {
        var current = root
        var walked = path
        for component in components {
            walked += "/" + component
            var next = openat(current, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT {
                if mkdirat(current, component, 0o755) != 0 && errno != EEXIST {
                    let code = errno
                    if current != root { close(current) }
                    throw .io("\(walked): cannot create: \(String(cString: strerror(code)))")
                }
                next = openat(current, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            let code = errno
            if current != root { close(current) }
            guard next >= 0 else {
                if code == ELOOP || code == ENOTDIR {
                    throw .io("\(walked): a symbolic link or file stands where a directory should be; refusing to follow it")
                }
                throw .io("\(walked): cannot open: \(String(cString: strerror(code)))")
            }
            current = next
        }
        return current
    }
}

/// A file being written by an extraction.
final class CreatedFile {
    private var fd: Int32
    private let display: String

    init(fd: Int32, display: String) {
        self.fd = fd
        self.display = display
    }

    deinit { close() }

    func write(_ bytes: UnsafeRawBufferPointer) throws(HallmarkError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, base + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("\(display): cannot write: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    /// Sets the file's permissions once its bytes are all written.
    func finish(mode: mode_t) throws(HallmarkError) {
        guard fchmod(fd, mode) == 0 else { throw .io("\(display): cannot set its mode: \(String(cString: strerror(errno)))") }
    }

    func close() {
        if fd >= 0 {
            _ = Glibc.close(fd)
            fd = -1
        }
    }
}
