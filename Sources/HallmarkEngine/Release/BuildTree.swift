import Foundation
import HallmarkCore

#if canImport(Glibc)
import Glibc
#endif

/// Where a release (and a rebuild) builds: a clean checkout of the released commit, never the live work tree,
/// at a path that depends only on the commit — `/tmp/hallmark-build-<commit12>/src`, binaries collected in
/// `…/out` — so that whatever a toolchain records of the build path is the same for the release and for anyone
/// rebuilding it, wherever their clone lives.
struct BuildTree: Sendable {
    static let prefix = "/tmp/hallmark-build-"

    let root: String
    var source: String { root + "/src" }
    var output: String { root + "/out" }

    init(commit: String) { root = Self.prefix + String(commit.prefix(12)) }

    init(root: String) { self.root = root }

    /// The recorded convention (reproducibility.json's `buildTree`).
    var convention: ReproducibilityManifest.BuildTree {
        .init(root: root, source: "src", output: "out", pathMaps: Self.pathMapDescriptions)
    }

    /// Holds the lock on a build root for as long as the tree is in use (closing the file releases it; so does
    /// the process ending).
    final class Lock: @unchecked Sendable {  // the descriptor is written once, at init, and closed once
        let fd: Int32
        init(fd: Int32) { self.fd = fd }
        func release() { close(fd) }
    }

    /// The lock, once `prepare` took it.
    var lock: Lock?

    /// Takes the build root (waiting while another build of the same commit holds it), clones `repository` into
    /// `source` and checks out `commit` (with submodules).
    static func prepare(_ unprepared: BuildTree, repository: String, commit: String, environment: [String: String]) throws(HallmarkError) -> BuildTree {
        var tree = unprepared
        let lockPath = tree.root + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io("\(lockPath): cannot open the build lock: \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX) == 0 else {
            close(fd)
            throw .io("\(lockPath): cannot lock: \(String(cString: strerror(errno)))")
        }
        tree.lock = Lock(fd: fd)
        do {
            try Paths.removeIfPresent(tree.root)  // left by a build that was killed
            try Paths.makeDirectory(tree.root)
            try tree.checkout(repository: repository, commit: commit, environment: environment)
        } catch {
            tree.remove()
            throw error
        }
        return tree
    }

    private func checkout(repository: String, commit: String, environment: [String: String]) throws(HallmarkError) {
        let tree = self
        let clone = try Subprocess.run(["git", "clone", "--quiet", "--no-checkout", repository, tree.source], in: tree.root, environment: environment)
        guard clone.status == 0 else {
            throw .invalidInput("cannot clone \(repository): \(clone.stderr.trimmingCharacters(in: .whitespacesAndNewlines)); pass --source with a path or URL of the repository")
        }
        let checkout = try Subprocess.run(["git", "checkout", "--quiet", "--detach", commit], in: tree.source, environment: environment)
        guard checkout.status == 0 else {
            throw .invalidInput("commit \(commit) is not in \(repository); pass --source with a clone that has it (\(checkout.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
        if FileIO.isFile(tree.source + "/.gitmodules") {
            let submodules = try Subprocess.run(["git", "submodule", "update", "--init", "--recursive", "--quiet"], in: tree.source, environment: environment)
            guard submodules.status == 0 else {
                throw .invalidInput("cannot check out the submodules of \(commit): \(submodules.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
        }
        try Paths.makeDirectory(tree.output)
    }

    /// Removes the tree (its logs and outputs were collected elsewhere) and releases the lock.
    func remove() {
        FileIO.removeQuietly(root)
        lock?.release()
    }

    /// Releases the lock and leaves the tree in place (to look at a failed rebuild).
    func keep() { lock?.release() }

    static let pathMapDescriptions = [
        "HALLMARK_BUILD_ROOT=<source>",
        "RUSTFLAGS += --remap-path-prefix=<source>=/build --remap-path-prefix=<cargo home>=/cargo",
        "GOFLAGS += -trimpath",
        "CFLAGS, CXXFLAGS += -ffile-prefix-map=<source>=.",
    ]

    /// The variables that map the build path out of binaries, for toolchains that read them from the
    /// environment (Rust, Go, C and C++ through make's CFLAGS), added to what `base` holds. SwiftPM builds take
    /// `-Xswiftc -file-prefix-map -Xswiftc "$HALLMARK_BUILD_ROOT=."` in their command (`hallmark init` writes it).
    func pathMapEnvironment(base: [String: String]) -> [String: String] {
        func appending(_ name: String, _ flags: String) -> String {
            guard let existing = base[name], !existing.isEmpty else { return flags }
            return existing.contains(flags) ? existing : existing + " " + flags
        }
        let cargoHome = base["CARGO_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((base["HOME"] ?? "/root") + "/.cargo")
        return [
            "HALLMARK_BUILD_ROOT": source,
            "RUSTFLAGS": appending("RUSTFLAGS", "--remap-path-prefix=\(source)=/build --remap-path-prefix=\(cargoHome)=/cargo"),
            "GOFLAGS": appending("GOFLAGS", "-trimpath"),
            "CFLAGS": appending("CFLAGS", "-ffile-prefix-map=\(source)=."),
            "CXXFLAGS": appending("CXXFLAGS", "-ffile-prefix-map=\(source)=."),
        ]
    }
}
