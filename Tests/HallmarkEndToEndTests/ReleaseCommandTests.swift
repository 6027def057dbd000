import Foundation
import HallmarkCore
import HallmarkTestSupport
import Testing

/// A copy of the example project in a fresh git repository, tagged v1.0.0, with a signing key beside it.
struct ExampleProject {
    let dir: TemporaryDirectory
    var root: String { dir.url("greet") }
    var release: String { root + "/dist/v1.0.0" }

    init(tag: String? = "v1.0.0") throws {
        dir = try TemporaryDirectory("hallmark-release")
        try FileManager.default.createDirectory(atPath: dir.url("greet"), withIntermediateDirectories: true)
        try GitFixture.example(into: dir.url("greet"), tag: tag)
        try dir.write("release.key", Fixtures.ed25519PEM)
        let extract = try ProcessRunner.run("openssl", ["pkey", "-in", dir.url("release.key"), "-pubout", "-out", dir.url("release.pub")])
        guard extract.status == 0 else { throw FixtureError("openssl pkey: \(extract.stderr)") }
    }

    @discardableResult
    func hallmark(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessOutput {
        try ProcessRunner.hallmark(arguments, in: root, environment: environment)
    }

    /// Every file of the release directory with its bytes.
    func snapshot() throws -> [String: Data] {
        var out: [String: Data] = [:]
        guard let names = FileManager.default.enumerator(atPath: release) else { return out }
        while let name = names.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: release + "/" + name) { out[name] = data }
        }
        return out
    }

    func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: release + "/" + name))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func edit(_ name: String, _ transform: (String) -> String) throws {
        let path = root + "/" + name
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try transform(text).write(toFile: path, atomically: true, encoding: .utf8)
    }
}

@Suite("hallmark release on the example project", .serialized)
struct ReleaseCommandTests {
    @Test("A signed release is byte-identical when run twice, verifies, and rebuilds to the same digest")
    func reproducibleSignedRelease() throws {
        let project = try ExampleProject()
        let first = try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "--format", "json"])
        #expect(first.status == 0, "\(first.stderr)")
        let before = try project.snapshot()
        let second = try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"])
        #expect(second.status == 0, "\(second.stderr)")
        let after = try project.snapshot()
        #expect(before.keys.sorted() == after.keys.sorted())
        for (name, data) in before { #expect(after[name] == data, "\(name) differs between two runs") }
        let expected: Set<String> = [
            "checksums.txt", "signatures.json", "index.json", "sbom.spdx.json", "provenance.json", "provenance.intoto.jsonl",
            "reproducibility.json", "release-evidence.json", "release-evidence.md", "release-notes.md",
            "greet_1.0.0_linux_amd64.tar.gz", "greet_1.0.0_linux_arm64.tar.gz", "greet_1.0.0_darwin_arm64.tar.gz", "greet_1.0.0_windows_amd64.zip",
        ]
        let names = Set(before.keys)
        #expect(expected.isSubset(of: names), "\(expected.subtracting(names))")
        #expect(names.subtracting(expected).allSatisfy { $0.hasSuffix(".sig") })

        // The JSON result, index.json and the reproducibility manifest agree.
        let result = try #require(try JSONSerialization.jsonObject(with: first.stdoutData) as? [String: Any])
        #expect(result["signed"] as? Bool == true)
        let index = try project.json("index.json")
        let artifacts = try #require(index["artifacts"] as? [[String: Any]])
        #expect(artifacts.count == 4)
        #expect(index["sourceDateEpoch"] as? Int == 1_700_000_000)
        let windows = try #require(artifacts.first { $0["os"] as? String == "windows" })
        #expect(windows["format"] as? String == "zip")
        #expect((windows["binary"] as? [String: Any])?["path"] as? String == "greet.exe")
        let provenance = try project.json("provenance.json")
        let subjects = (provenance["subject"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(Set(subjects) == Set(artifacts.compactMap { $0["file"] as? String } + ["index.json", "sbom.spdx.json", "reproducibility.json"]))

        let verify = try project.hallmark(["verify", "dist/v1.0.0", "--key", "../release.pub", "--format", "json"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: verify.stdoutData) as? [String: Any])
        #expect(Set(report["crossChecked"] as? [String] ?? []) == ["index.json", "sbom.spdx.json", "provenance.json", "provenance.intoto.jsonl", "reproducibility.json"])

        let rebuild = try project.hallmark(["rebuild", "dist/v1.0.0", "--target", "linux/arm64", "--format", "json"])
        #expect(rebuild.status == 0, "\(rebuild.stdout)\(rebuild.stderr)")
        #expect(rebuild.stdout.contains("\"matched\": true"))
        let notes = String(decoding: before["release-notes.md"] ?? Data(), as: UTF8.self)
        #expect(notes.contains("greet_1.0.0_windows_amd64.zip") && notes.contains("hallmark verify v1.0.0 --key release.pub"))
        for artifact in artifacts { #expect(notes.contains(artifact["sha256"] as? String ?? "?")) }
    }

    @Test("The release's own output does not make the tree dirty, even when git does not ignore it")
    func outputDoesNotDirtyTheTree() throws {
        let project = try ExampleProject(tag: nil)
        try "/greet\n".write(toFile: project.root + "/.gitignore", atomically: true, encoding: .utf8)
        try GitFixture.commitAll(in: project.root, message: "dist not ignored", tag: "v1.0.0")
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        #expect(try GitFixture.git(["status", "--porcelain"], in: project.root) == "?? dist/")
        let again = try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("replacing the previous dist/v1.0.0"))
        // Anything else still counts.
        try project.dir.write("greet/stray.txt", "x")
        let dirty = try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"])
        #expect(dirty.status == 2 && dirty.stderr.contains("stray.txt"), "\(dirty.stderr)")
    }

    @Test("GNU tar and unzip extract the archives, and the binary inside runs")
    func archivesExtractAndRun() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--dry-run", "-q"]).status == 0)
        let out = project.dir.url("x")
        try FileManager.default.createDirectory(atPath: out + "/tar", withIntermediateDirectories: true)
        let tar = try ProcessRunner.run("tar", ["-xzf", project.release + "/greet_1.0.0_linux_amd64.tar.gz", "-C", out + "/tar"])
        #expect(tar.status == 0, "\(tar.stderr)")
        let run = try ProcessRunner.run(out + "/tar/greet", ["--version"])
        #expect(run.stdout.contains("greet v1.0.0") && run.stdout.contains("linux/amd64"), "\(run.stdout)")
        let unzip = try ProcessRunner.run("unzip", ["-q", project.release + "/greet_1.0.0_windows_amd64.zip", "-d", out + "/zip"])
        #expect(unzip.status == 0, "\(unzip.stderr)")
        #expect(FileManager.default.isExecutableFile(atPath: out + "/zip/greet.exe"))
        #expect(FileManager.default.fileExists(atPath: out + "/zip/LICENSE"))
        let sums = try ProcessRunner.run("sha256sum", ["-c", "--strict", "checksums.txt"], in: project.release)
        #expect(sums.status == 0, "\(sums.stdout)")
    }

    @Test("--dry-run signs nothing, says so, and tolerates a missing tag and a dirty tree")
    func dryRun() throws {
        let project = try ExampleProject(tag: nil)
        try project.dir.write("greet/scratch.txt", "uncommitted")
        let result = try project.hallmark(["release", "--version", "v2.0.0-rc.1", "--dry-run", "--targets", "linux/amd64,windows/amd64"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("nothing was signed"))
        #expect(result.stderr.contains("there is no tag v2.0.0-rc.1"))
        #expect(result.stderr.contains("uncommitted"))
        #expect(result.stderr.contains("[3/13] build"))
        let dir = project.root + "/dist/v2.0.0-rc.1"
        #expect(!FileManager.default.fileExists(atPath: dir + "/signatures.json"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/provenance.intoto.jsonl"))
        #expect(try ProcessRunner.hallmark(["verify", dir, "--allow-unsigned"]).status == 0)
        #expect(try ProcessRunner.hallmark(["verify", dir, "--key", project.dir.url("release.pub")]).status == 1)
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/index.json"))) as? [String: Any]
        #expect((index?["artifacts"] as? [Any])?.count == 2)
        #expect(FileManager.default.fileExists(atPath: project.root + "/dist/.hallmark-work/v2.0.0-rc.1/logs/greet_linux_amd64.log"))
    }

    @Test("Each bad input fails with one error line, exit 2, and leaves dist/v1.0.0 as it was")
    func failuresLeaveTheReleaseUnchanged() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let before = try project.snapshot()
        let original = try String(contentsOfFile: project.root + "/hallmark.yml", encoding: .utf8)
        var lastStderr = ""

        func expectFailure(
            _ arguments: [String], status: Int32 = 2, mentions: [String], setUp: () throws -> Void = {},
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            try original.write(toFile: project.root + "/hallmark.yml", atomically: true, encoding: .utf8)
            try setUp()
            let result = try project.hallmark(arguments + ["-q"])
            lastStderr = result.stderr
            #expect(result.status == status, "exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
            let last = result.stderr.split(separator: "\n").last.map(String.init) ?? ""
            #expect(last.hasPrefix("hallmark: error: "), "\(result.stderr)", sourceLocation: sourceLocation)
            for word in mentions { #expect(last.contains(word), "\(last)", sourceLocation: sourceLocation) }
            #expect(!result.stderr.contains("Fatal error"), sourceLocation: sourceLocation)
            let now = try project.snapshot()
            #expect(now == before, "dist/v1.0.0 changed", sourceLocation: sourceLocation)
        }
        let dry = ["release", "--version", "v1.0.0", "--dry-run"]
        try expectFailure(dry, mentions: ["hallmark.yml:5:10:", "invalid YAML"]) {
            try project.edit("hallmark.yml") { $0.replacingOccurrences(of: "name: greet", with: "name: [greet") }
        }
        try expectFailure(dry, mentions: ["hallmark.yml:", "unknown key \"archive\"", "did you mean \"archives\"?"]) {
            try project.edit("hallmark.yml") { $0.replacingOccurrences(of: "archives:", with: "archive:") }
        }
        try expectFailure(dry, mentions: ["build greet for linux/arm64 failed (exit 3)", "log:"]) {
            try project.edit("hallmark.yml") { $0.replacingOccurrences(of: "command: make build OUT={{ output }}", with: "command: 'if [ $HALLMARK_ARCH = arm64 ]; then echo compiler exploded; exit 3; fi; make build OUT={{ output }}'") }
        }
        // The failing target's log tail comes before the error line.
        #expect(lastStderr.contains("last lines of") && lastStderr.contains("greet_linux_arm64.log") && lastStderr.contains("    compiler exploded"), "\(lastStderr)")
        try expectFailure(dry, mentions: ["produced no binary", "$HALLMARK_OUTPUT"]) {
            try project.edit("hallmark.yml") { $0.replacingOccurrences(of: "command: make build OUT={{ output }}", with: "command: \"true\"") }
        }
        try expectFailure(dry, mentions: ["archives.name", "not a plain file name"]) {
            try project.edit("hallmark.yml") { $0.replacingOccurrences(of: "name: \"{{ project }}_", with: "name: \"../../{{ project }}_") }
        }
        // The build uses the commit: a lockfile counts when it is committed.
        try expectFailure(dry, mentions: ["Cargo.lock:2:", "does not parse"]) {
            try project.dir.write("greet/Cargo.lock", "[[package]]\nname = \"broken\" nonsense\n")
            try GitFixture.git(["add", "Cargo.lock"], in: project.root)
            try GitFixture.git(["commit", "-q", "-m", "broken lock"], in: project.root)
        }
        try GitFixture.git(["reset", "-q", "--hard", "HEAD~1"], in: project.root)
        try expectFailure(["release", "--version", "1.0"], mentions: ["\"1.0\" is not a semantic version"])
        try expectFailure(["release", "--version", "v1.0.0"], mentions: ["signing is required", "--dry-run"])
        try expectFailure(["release", "--version", "v1.0.0", "--key", "../release.key"], mentions: ["uncommitted change", "--allow-dirty"]) {
            try project.dir.write("greet/greet.c", "int main(void) { return 1; }\n")
        }
        try expectFailure(["release", "--version", "v1.0.1", "--key", "../release.key"], mentions: ["there is no tag v1.0.1"]) {
            try GitFixture.git(["checkout", "--", "greet.c"], in: project.root)
        }
        // With the original config back, the same command succeeds.
        try original.write(toFile: project.root + "/hallmark.yml", atomically: true, encoding: .utf8)
        let succeeding = try project.hallmark(dry + ["-q"])
        #expect(succeeding.status == 0, "\(succeeding.stderr)")
    }

    @Test("verify names a metadata file whose digest disagrees with checksums.txt, even when re-signed")
    func verifyCrossChecksMetadata() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        for (file, needle) in [("index.json", "\"os\": \"linux\",\n      \"sha256\": \""), ("sbom.spdx.json", "\"checksumValue\": \""), ("reproducibility.json", "\"sha256\": \"")] {
            let copy = project.dir.url("tamper-\(file)")
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: project.release, toPath: copy)
            // Change the first digest the document states, then re-sign the whole directory so only the
            // cross-check can notice.
            let path = copy + "/" + file
            var text = try String(contentsOfFile: path, encoding: .utf8)
            // (In the SBOM, the first SHA256 checksum rather than the SHA1 before it.)
            let start = file == "sbom.spdx.json" ? try #require(text.range(of: "\"SHA256\"")).upperBound : text.startIndex
            let range = try #require(text.range(of: needle, range: start..<text.endIndex))
            text.replaceSubrange(range.upperBound..<text.index(range.upperBound, offsetBy: 4), with: "0000")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            for name in try FileManager.default.contentsOfDirectory(atPath: copy) where name.hasSuffix(".sig") || name == "checksums.txt" || name == "signatures.json" {
                try FileManager.default.removeItem(atPath: copy + "/" + name)
            }
            #expect(try ProcessRunner.hallmark(["sign", copy, "--key", project.dir.url("release.key")]).status == 0)
            let verify = try ProcessRunner.hallmark(["verify", copy, "--key", project.dir.url("release.pub")])
            #expect(verify.status == 1, "\(file): \(verify.stdout)")
            #expect(verify.stdout.contains("problem: \(file)"), "\(verify.stdout)")
            #expect(verify.stdout.contains("disagrees"), "\(verify.stdout)")
        }
    }

    @Test("rebuild reports both digests and exits 1 when the build is not reproducible")
    func rebuildMismatch() throws {
        let project = try ExampleProject(tag: nil)
        try project.edit("Makefile") { $0.replacingOccurrences(of: "-DTARGET='\"$(TARGET)\"'", with: "-DTARGET='\"$(TARGET) '$$(date +%s%N)'\"'") }
        try GitFixture.commitAll(in: project.root, message: "not reproducible", tag: "v1.0.0")
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--dry-run", "-q"]).status == 0)
        let result = try project.hallmark(["rebuild", "dist/v1.0.0", "--target", "linux/amd64"])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("NOT reproducible"))
        let manifest = try project.json("reproducibility.json")
        let targets = try #require(manifest["targets"] as? [[String: Any]])
        let expected = try #require((targets.first?["binary"] as? [String: Any])?["sha256"] as? String)
        #expect(result.stdout.contains("expected sha256 \(expected)"))
        #expect(result.stdout.contains("checkout and log kept in"))
        let unknown = try project.hallmark(["rebuild", "dist/v1.0.0", "--target", "freebsd/amd64"])
        #expect(unknown.status == 2 && unknown.stderr.contains("has no target freebsd/amd64"))
    }

    @Test("summary writes Markdown and JSON and names every asset a published listing lacks")
    func summary() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let names = try FileManager.default.contentsOfDirectory(atPath: project.release).sorted()
        try project.dir.write("all.txt", names.map { "https://example.com/download/v1.0.0/\($0)" }.joined(separator: "\n") + "\n")
        let complete = try project.hallmark(["summary", "dist/v1.0.0", "--remote-assets", "../all.txt"])
        #expect(complete.status == 0, "\(complete.stderr)")
        #expect(FileManager.default.fileExists(atPath: project.root + "/dist/release-summary.md"))
        let markdown = try String(contentsOfFile: project.root + "/dist/release-summary.md", encoding: .utf8)
        #expect(markdown.contains("# greet v1.0.0") && markdown.contains("All \(names.count) release files are published."))
        let partial = names.filter { $0 != "greet_1.0.0_darwin_arm64.tar.gz" && $0 != "sbom.spdx.json.sig" }
        try project.dir.write("partial.txt", partial.joined(separator: "\n") + "\n")
        let missing = try project.hallmark(["summary", "dist/v1.0.0", "--remote-assets", "../partial.txt", "--out", "../summary"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("greet_1.0.0_darwin_arm64.tar.gz") && missing.stderr.contains("sbom.spdx.json.sig"), "\(missing.stderr)")
        let json = try JSONSerialization.jsonObject(with: project.dir.read("summary/release-summary.json")) as? [String: Any]
        #expect(json?["missingRemote"] as? [String] == ["greet_1.0.0_darwin_arm64.tar.gz", "sbom.spdx.json.sig"])
        #expect(json?["complete"] as? Bool == false)
    }
}

@Suite("hallmark version-guard")
struct VersionGuardCommandTests {
    @Test func checks() throws {
        let project = try ExampleProject()
        func run(_ args: [String], env: [String: String] = [:]) throws -> ProcessOutput {
            try project.hallmark(["version-guard"] + args, environment: env)
        }
        #expect(try run(["v1.0.0", "--require-v", "--require-tag", "--match-ref"]).status == 0)
        let notSemver = try run(["1.0"])
        #expect(notSemver.status == 2 && notSemver.stderr.contains("not a semantic version"))
        #expect(try run(["1.0.0", "--require-v"]).stderr.contains("must start with \"v\""))
        let noTag = try run(["v1.0.1", "--require-tag"])
        #expect(noTag.status == 2 && noTag.stderr.contains("there is no tag v1.0.1"))
        let wrongRef = try run(["v1.0.0", "--match-ref"], env: ["GITHUB_REF": "refs/tags/v1.0.1"])
        #expect(wrongRef.status == 2 && wrongRef.stderr.contains("the tag being built is v1.0.1"))
        #expect(try run(["v1.0.0", "--match-ref"], env: ["CI_COMMIT_TAG": "v1.0.0"]).status == 0)
        try project.dir.write("greet/new.txt", "x")
        let dirty = try run(["v1.0.0", "--format", "json"])
        #expect(dirty.status == 2)
        #expect(dirty.stdout.contains("\"passed\": false") && dirty.stdout.contains("new.txt"))
        #expect(try run(["v1.0.0", "--allow-dirty"]).status == 0)
        // A tag on another commit is refused.
        try GitFixture.commitAll(in: project.root, message: "later")
        let moved = try run(["v1.0.0", "--require-tag"])
        #expect(moved.status == 2 && moved.stderr.contains("points at"), "\(moved.stderr)")
    }
}
