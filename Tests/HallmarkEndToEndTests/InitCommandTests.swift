import Foundation
import HallmarkCore
import HallmarkTestSupport
import Testing

/// `hallmark init` followed by `hallmark release --dry-run`, untouched, on real projects built by real toolchains.
@Suite("hallmark init on SwiftPM, Cargo, Makefile and Go projects")
struct InitCommandTests {
    /// PATH with the places toolchains are installed on this kind of machine.
    static var environment: [String: String] {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "/root"
        return ["PATH": "\(path):\(home)/.cargo/bin:/usr/local/cargo/bin"]
    }

    /// init, commit what it wrote, release --dry-run twice; the second run must find a clean tree.
    func initAndRelease(_ root: String, initArguments: [String] = []) throws -> (initOutput: ProcessOutput, release: ProcessOutput) {
        try GitFixture.commitAll(in: root, message: "project", tag: "v0.1.0")
        let initialized = try ProcessRunner.hallmark(["init"] + initArguments + ["--format", "json"], in: root, environment: Self.environment)
        #expect(initialized.status == 0, "\(initialized.stderr)")
        let first = try ProcessRunner.hallmark(["release", "--version", "v0.1.0", "--dry-run"], in: root, environment: Self.environment)
        #expect(first.status == 0, "\(first.stderr)")
        // Commit the config and .gitignore; a release then leaves the tree clean.
        try GitFixture.git(["add", "-A"], in: root)
        try GitFixture.git(["commit", "-q", "-m", "hallmark"], in: root)
        try GitFixture.git(["tag", "-f", "v0.1.0"], in: root)
        let status = try GitFixture.git(["status", "--porcelain"], in: root)
        #expect(status.isEmpty, "dirty after a release: \(status)")
        let second = try ProcessRunner.hallmark(["release", "--version", "v0.1.0", "--dry-run"], in: root, environment: Self.environment)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(!second.stderr.contains("uncommitted"), "\(second.stderr)")
        #expect(!second.stderr.contains("no tag"), "\(second.stderr)")
        #expect(try ProcessRunner.hallmark(["verify", root + "/dist/v0.1.0", "--allow-unsigned"]).status == 0)
        return (initialized, second)
    }

    /// `hallmark rebuild` of the release's host target, from a fresh clone at the recorded build path.
    func rebuildMatches(_ root: String) throws {
        let machine = try ProcessRunner.run("uname", ["-m"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let host = "linux/" + (machine == "aarch64" ? "arm64" : "amd64")
        let rebuilt = try ProcessRunner.hallmark(["rebuild", "dist/v0.1.0", "--target", host, "--format", "json"], in: root, environment: Self.environment)
        #expect(rebuilt.status == 0, "\(rebuilt.stdout)\(rebuilt.stderr)")
        #expect(rebuilt.stdout.contains("\"matched\": true"), "\(rebuilt.stdout)")
    }

    func sbomPurls(_ root: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: root + "/dist/v0.1.0/sbom.spdx.json"))
        let sbom = try CanonicalJSON.decode(SPDXDocument.self, from: data, source: "sbom")
        return sbom.packages.flatMap { $0.externalRefs ?? [] }.map(\.referenceLocator)
    }

    @Test("Makefile project: binary named after the directory, or --binary")
    func makefile() throws {
        let dir = try TemporaryDirectory("hallmark-init")
        let root = dir.url("hello-tool")
        try dir.write("hello-tool/main.c", "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n")
        try dir.write("hello-tool/Makefile", "hello-tool: main.c\n\tcc -O2 -o hello-tool main.c\n")
        try dir.write("hello-tool/README.md", "# hello-tool\n")
        let (initialized, _) = try initAndRelease(root)
        #expect(initialized.stdout.contains("\"kind\": \"make\"") && initialized.stdout.contains("\"binary\": \"hello-tool\""), "\(initialized.stdout)")
        let gitignore = try String(contentsOfFile: root + "/.gitignore", encoding: .utf8)
        #expect(gitignore.contains("/dist/") && gitignore.contains("/hello-tool"))
        let host = try #require(try FileManager.default.contentsOfDirectory(atPath: root + "/dist/v0.1.0").first { $0.hasSuffix(".tar.gz") })
        let listing = try ProcessRunner.run("tar", ["-tzf", root + "/dist/v0.1.0/" + host])
        #expect(listing.stdout.contains("hello-tool\n") && listing.stdout.contains("README.md"))

        let other = try TemporaryDirectory("hallmark-init")
        try other.write("main.c", "int main(void) { return 0; }\n")
        try other.write("Makefile", "app: main.c\n\tcc -o app main.c\n")
        let named = try ProcessRunner.hallmark(["init", "--binary", "app"], in: other.path)
        #expect(named.status == 0 && named.stdout.contains("binary app"), "\(named.stdout)\(named.stderr)")
        let again = try ProcessRunner.hallmark(["init"], in: other.path)
        #expect(again.status == 2 && again.stderr.contains("already exists"))
        let empty = try TemporaryDirectory("hallmark-init")
        let nothing = try ProcessRunner.hallmark(["init"], in: empty.path)
        #expect(nothing.status == 2 && nothing.stderr.contains("no Package.swift, Cargo.toml, go.mod or Makefile"))
    }

    @Test("Cargo project: built by cargo, Cargo.lock read")
    func cargo() throws {
        let dir = try TemporaryDirectory("hallmark-init")
        let root = dir.url("rusty")
        try dir.write("rusty/Cargo.toml", "[package]\nname = \"rusty\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n")
        try dir.write("rusty/src/main.rs", "fn main() { println!(\"rusty {}\", env!(\"CARGO_PKG_VERSION\")); }\n")
        try dir.write("rusty/.gitignore", "/target\n")
        try dir.write("rusty/Cargo.lock", "# This file is automatically @generated by Cargo.\nversion = 4\n\n[[package]]\nname = \"rusty\"\nversion = \"0.1.0\"\n")
        let (initialized, release) = try initAndRelease(root)
        #expect(initialized.stdout.contains("\"kind\": \"cargo\""), "\(initialized.stdout)")
        #expect(release.stderr.contains("build rusty"), "\(release.stderr)")
        let provenance = try String(contentsOfFile: root + "/dist/v0.1.0/provenance.json", encoding: .utf8)
        #expect(provenance.contains("\"cargo\": \"cargo "), "tool versions are recorded")
        // Built in a clean checkout at a fixed path: the live tree has no target/, and a rebuild matches bit for bit.
        #expect(!FileManager.default.fileExists(atPath: root + "/target"), "the build ran in the live work tree")
        try rebuildMatches(root)
    }

    @Test("SwiftPM project with a dependency: the SBOM lists it with a pkg:swift purl")
    func swiftPM() throws {
        let dir = try TemporaryDirectory("hallmark-init")
        let root = dir.url("swifty")
        try dir.write("swifty/Package.swift", """
            // swift-tools-version: 5.9
            import PackageDescription

            let package = Package(
                name: "swifty",
                dependencies: [.package(url: "https://github.com/mxcl/Version", from: "2.2.1")],
                targets: [.executableTarget(name: "swifty-cli", dependencies: [.product(name: "Version", package: "Version")])]
            )
            """)
        try dir.write("swifty/Sources/swifty-cli/main.swift", "import Version\nprint(Version(1, 2, 3))\n")
        try dir.write("swifty/.gitignore", ".build/\nPackage.resolved\n")
        let (initialized, _) = try initAndRelease(root)
        #expect(initialized.stdout.contains("\"kind\": \"swiftpm\"") && initialized.stdout.contains("\"binary\": \"swifty-cli\""), "\(initialized.stdout)")
        let purls = try sbomPurls(root)
        #expect(purls.contains("pkg:swift/github.com/mxcl/Version@2.2.1"), "\(purls)")
        let provenance = try String(contentsOfFile: root + "/dist/v0.1.0/provenance.json", encoding: .utf8)
        #expect(provenance.contains("pkg:swift/github.com/mxcl/Version@2.2.1"))
        #expect(!FileManager.default.fileExists(atPath: root + "/.build"), "the build ran in the live work tree")
        try rebuildMatches(root)
    }

    @Test("A Makefile project whose binary bakes in the version ships a fresh binary for each release")
    func freshBuildPerRelease() throws {
        let dir = try TemporaryDirectory("hallmark-init")
        let root = dir.url("stamp")
        try dir.write("stamp/main.c", "#include <stdio.h>\nint main(void) { puts(VERSION); return 0; }\n")
        try dir.write("stamp/Makefile", "stamp: main.c\n\tcc -O2 -DVERSION='\"$(HALLMARK_VERSION)\"' -o stamp main.c\n")
        try dir.write("stamp/.gitignore", "/dist/\n/stamp\n")
        try GitFixture.commitAll(in: root, message: "stamp", tag: "v0.2.0")
        #expect(try ProcessRunner.hallmark(["init"], in: root, environment: Self.environment).status == 0)
        try GitFixture.git(["add", "-A"], in: root)
        try GitFixture.git(["commit", "-q", "-m", "hallmark"], in: root)
        try GitFixture.git(["tag", "-f", "v0.2.0"], in: root)
        // A stale binary in the work tree, as an earlier `make` leaves it: it must not be what ships.
        try dir.write("stamp/stamp", "#!/bin/sh\necho stale\n")
        chmod(dir.url("stamp/stamp"), 0o755)
        func release(_ version: String) throws -> String {
            let result = try ProcessRunner.hallmark(["release", "--version", version, "--dry-run"], in: root, environment: Self.environment)
            #expect(result.status == 0, "\(result.stderr)")
            let archive = try #require(try FileManager.default.contentsOfDirectory(atPath: root + "/dist/" + version).first { $0.hasSuffix(".tar.gz") })
            let out = dir.url("run-" + version)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            #expect(try ProcessRunner.run("tar", ["-xzf", root + "/dist/" + version + "/" + archive, "-C", out]).status == 0)
            return try ProcessRunner.run(out + "/stamp", []).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try release("v0.2.0") == "v0.2.0")
        try GitFixture.git(["commit", "-q", "--allow-empty", "-m", "0.3.0"], in: root)
        try GitFixture.git(["tag", "v0.3.0"], in: root)
        #expect(try release("v0.3.0") == "v0.3.0")
        let manifest = try String(contentsOfFile: root + "/dist/v0.3.0/reproducibility.json", encoding: .utf8)
        #expect(manifest.contains("\"root\": \"/tmp/hallmark-build-"), "\(manifest)")
    }

    @Test("Go project: a five-target matrix with GOOS/GOARCH from the templates")
    func go() throws {
        let dir = try TemporaryDirectory("hallmark-init")
        try dir.write("go.mod", "module github.com/example/gotool\n\ngo 1.22\n")
        let result = try ProcessRunner.hallmark(["init", "--format", "json"], in: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"binary\": \"gotool\"") && result.stdout.contains("windows/amd64"))
        let config = try String(contentsOfFile: dir.url("hallmark.yml"), encoding: .utf8)
        #expect(config.contains("GOOS: \"{{ os }}\"") && config.contains("-o \\\"$HALLMARK_OUTPUT\\\""), "\(config)")
    }
}
