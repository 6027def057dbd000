import Foundation
import HallmarkTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// install / upgrade / rollback / installed against real releases of the example project.
@Suite("hallmark install, upgrade, rollback", .serialized)
struct InstallCommandTests {
    /// The example released as v1.0.0 and v1.1.0, signed.
    static func releases() throws -> ExampleProject {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        try GitFixture.git(["commit", "-q", "--allow-empty", "-m", "1.1.0"], in: project.root)
        try GitFixture.git(["tag", "v1.1.0"], in: project.root)
        #expect(try project.hallmark(["release", "--version", "v1.1.0", "--key", "../release.key", "-q"]).status == 0)
        return project
    }

    func snapshot(_ dir: String) -> [String: Data] {
        var out: [String: Data] = [:]
        guard let names = FileManager.default.enumerator(atPath: dir) else { return out }
        while let name = names.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: dir + "/" + name) { out[name] = data }
        }
        return out
    }

    @Test("Install from a signed index, refuse a reinstall, upgrade, refuse a downgrade, roll back twice")
    func lifecycle() throws {
        let project = try Self.releases()
        let prefix = project.dir.url("prefix")
        let key = project.dir.url("release.pub")
        func hallmark(_ args: [String], env: [String: String] = [:]) throws -> ProcessOutput { try ProcessRunner.hallmark(args, environment: env) }
        func version() throws -> String { try ProcessRunner.run(prefix + "/bin/greet", ["--version"]).stdout }

        let install = try hallmark(["install", "--index", project.root + "/dist/v1.0.0/index.json", "--key", key, "--require-signature", "--prefix", prefix])
        #expect(install.status == 0, "\(install.stderr)")
        #expect(try version().contains("greet v1.0.0"))
        let again = try hallmark(["install", "--index", project.root + "/dist/v1.0.0/index.json", "--key", key, "--prefix", prefix])
        #expect(again.status == 2 && again.stderr.contains("--force"))

        let upgrade = try hallmark(["upgrade", "--index", project.root + "/dist/v1.1.0/index.json", "--key", key, "--prefix", prefix, "--smoke", "greet --version"])
        #expect(upgrade.status == 0, "\(upgrade.stderr)")
        #expect(upgrade.stdout.contains("upgraded greet (v1.0.0 → v1.1.0)"), "\(upgrade.stdout)")
        #expect(try version().contains("greet v1.1.0"))
        let down = try hallmark(["upgrade", "--index", project.root + "/dist/v1.0.0/index.json", "--key", key, "--prefix", prefix])
        #expect(down.status == 2 && down.stderr.contains("refusing to downgrade"), "\(down.stderr)")

        let listed = try hallmark(["installed", "--prefix", prefix, "--format", "json"])
        #expect(listed.stdout.contains("\"version\": \"v1.1.0\"") && listed.stdout.contains("\"previous\""))
        #expect(try hallmark(["rollback", "--prefix", prefix, "--name", "greet"]).status == 0)
        #expect(try version().contains("greet v1.0.0"))
        #expect(try hallmark(["rollback", "--prefix", prefix, "--name", "greet"]).status == 0)
        #expect(try version().contains("greet v1.1.0"))
        #expect(try hallmark(["upgrade", "--index", project.root + "/dist/v1.0.0/index.json", "--key", key, "--prefix", prefix, "--allow-downgrade"]).status == 0)
        #expect(try version().contains("greet v1.0.0"))
    }

    @Test("Tampered, swapped, wrongly signed or unsigned sources and a failing smoke test change nothing")
    func refusals() throws {
        let project = try Self.releases()
        let prefix = project.dir.url("prefix")
        let key = project.dir.url("release.pub")
        #expect(try ProcessRunner.hallmark(["install", "--index", project.root + "/dist/v1.0.0/index.json", "--key", key, "--prefix", prefix]).status == 0)
        let before = snapshot(prefix)

        func expectUnchanged(_ args: [String], status: Int32, mentions: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let result = try ProcessRunner.hallmark(args + ["--prefix", prefix])
            #expect(result.status == status, "exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
            #expect(result.stderr.contains(mentions), "\(result.stderr)", sourceLocation: sourceLocation)
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
            #expect(snapshot(prefix) == before, "the prefix changed", sourceLocation: sourceLocation)
        }
        let release = project.root + "/dist/v1.1.0"
        let copy = project.dir.url("copy")
        try FileManager.default.copyItem(atPath: release, toPath: copy)
        // Tampered archive.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: copy + "/greet_1.1.0_linux_amd64.tar.gz"))
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: copy + "/greet_1.1.0_linux_amd64.tar.gz"))
        try expectUnchanged(["upgrade", "--index", copy + "/index.json", "--key", key, "--platform", "linux/amd64"], status: 1, mentions: "tampered or swapped")
        // Swapped: another target's archive under this name.
        try FileManager.default.removeItem(atPath: copy + "/greet_1.1.0_linux_amd64.tar.gz")
        try FileManager.default.copyItem(atPath: copy + "/greet_1.1.0_linux_arm64.tar.gz", toPath: copy + "/greet_1.1.0_linux_amd64.tar.gz")
        try expectUnchanged(["upgrade", "--index", copy + "/index.json", "--key", key, "--platform", "linux/amd64"], status: 1, mentions: "sha256")
        // Wrong key; unsigned with --require-signature; a platform the index lacks.
        #expect(try ProcessRunner.hallmark(["keys", "generate", "--out", project.dir.url("other")]).status == 0)
        try expectUnchanged(["upgrade", "--index", release + "/index.json", "--key", project.dir.url("other.pub")], status: 1, mentions: "index.json")
        let unsigned = project.dir.url("unsigned")
        try FileManager.default.copyItem(atPath: release, toPath: unsigned)
        try FileManager.default.removeItem(atPath: unsigned + "/index.json.sig")
        try expectUnchanged(["upgrade", "--index", unsigned + "/index.json", "--key", key, "--require-signature"], status: 1, mentions: "no signature")
        try expectUnchanged(["upgrade", "--index", release + "/index.json", "--key", key, "--platform", "freebsd/amd64"], status: 2, mentions: "no artifact for freebsd/amd64")
        // A failing smoke test puts the old binary back.
        try expectUnchanged(["upgrade", "--index", release + "/index.json", "--key", key, "--smoke", "greet --version | grep -q v9"], status: 1, mentions: "rolled back")
        // Nothing to authenticate the bytes with: refused before anything is read, even with --force.
        let archive = release + "/greet_1.1.0_linux_amd64.tar.gz"
        try expectUnchanged(["upgrade", "--from", archive, "--force"], status: 2, mentions: "refusing to install unauthenticated bytes")
        try expectUnchanged(["upgrade", "--index", release + "/index.json", "--force"], status: 2, mentions: "trusted only with its signature")
        try expectUnchanged(["upgrade", "--from", "http://127.0.0.1:9/greet.tar.gz", "--sha256", String(repeating: "0", count: 64)], status: 2,
                            mentions: "plain http:// download")
        // A tampered archive with --force and its (old) digest: --force replaces binaries, it never skips a check.
        let tampered = project.dir.url("tampered.tar.gz")
        let sha = try ProcessRunner.run("sha256sum", [archive]).stdout.prefix(64)
        var archiveBytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        archiveBytes[archiveBytes.count / 2] ^= 0x01
        try archiveBytes.write(to: URL(fileURLWithPath: tampered))
        try expectUnchanged(["upgrade", "--from", tampered, "--sha256", String(sha), "--force"], status: 1, mentions: "is not the expected")
        try expectUnchanged(["upgrade", "--from", archive, "--insecure-skip-verify", "--sha256", String(sha)], status: 2, mentions: "contradicts")
        // The signed index names the version: --version cannot say otherwise, and --sha256 is not for indexes.
        try expectUnchanged(["upgrade", "--index", release + "/index.json", "--key", key, "--version", "v9.9.9"], status: 2, mentions: "not the version the signed index names")
        try expectUnchanged(["upgrade", "--index", release + "/index.json", "--key", key, "--sha256", String(sha)], status: 2, mentions: "--sha256 is for --from")
        // An archive of unknown version over a known one: a downgrade cannot be ruled out.
        try expectUnchanged(["upgrade", "--from", archive, "--sha256", String(sha)], status: 2, mentions: "a downgrade cannot be ruled out")

    }

    @Test("A kill before or after the swap leaves a whole binary: the old one, or the new one")
    func killedMidInstall() throws {
        let project = try Self.releases()
        let prefix = project.dir.url("prefix")
        let old = project.root + "/dist/v1.0.0/greet_1.0.0_linux_amd64.tar.gz"
        let oldSha = String(try ProcessRunner.run("sha256sum", [old]).stdout.prefix(64))
        #expect(try ProcessRunner.hallmark(["install", "--from", old, "--sha256", oldSha, "--version", "v1.0.0", "--prefix", prefix]).status == 0)
        let new = project.root + "/dist/v1.1.0/greet_1.1.0_linux_amd64.tar.gz"
        let newSha = String(try ProcessRunner.run("sha256sum", [new]).stdout.prefix(64))
        let args = ["upgrade", "--from", new, "--sha256", newSha, "--version", "v1.1.0", "--prefix", prefix]
        let before = try ProcessRunner.hallmark(args, environment: ["HALLMARK_FAILPOINT": "before-swap"])
        #expect(before.status != 0)
        #expect(try ProcessRunner.run(prefix + "/bin/greet", ["--version"]).stdout.contains("v1.0.0"))
        let after = try ProcessRunner.hallmark(args, environment: ["HALLMARK_FAILPOINT": "after-swap"])
        #expect(after.status != 0)
        #expect(try ProcessRunner.run(prefix + "/bin/greet", ["--version"]).stdout.contains("v1.1.0"))
        // The next run finishes the job.
        let again = try ProcessRunner.hallmark(args + ["--force"])
        #expect(again.status == 0, "\(again.stderr)")
        let sha = try ProcessRunner.run("sha256sum", [project.root + "/dist/v1.1.0/greet_1.1.0_linux_amd64.tar.gz"]).stdout.prefix(64)
        let wrong = try ProcessRunner.hallmark(["upgrade", "--from", project.root + "/dist/v1.0.0/greet_1.0.0_linux_amd64.tar.gz", "--sha256", String(sha), "--prefix", prefix, "--allow-downgrade"])
        #expect(wrong.status == 1 && wrong.stderr.contains("is not the expected"))
        let fresh = try ProcessRunner.hallmark(["upgrade", "--from", project.root + "/dist/v1.1.0/greet_1.1.0_linux_amd64.tar.gz", "--sha256", String(sha), "--prefix", project.dir.url("fresh")])
        #expect(fresh.status == 0 && fresh.stdout.contains("fresh install"), "\(fresh.stdout)\(fresh.stderr)")
    }

    @Test("--insecure-skip-verify installs unauthenticated bytes only when asked, and the install record says so")
    func insecureSkipVerifyIsRecorded() throws {
        let project = try Self.releases()
        let prefix = project.dir.url("prefix")
        let archive = project.root + "/dist/v1.0.0/greet_1.0.0_linux_amd64.tar.gz"
        let installed = try ProcessRunner.hallmark(["install", "--from", archive, "--insecure-skip-verify", "--version", "v1.0.0", "--prefix", prefix, "--format", "json"])
        #expect(installed.status == 0, "\(installed.stderr)")
        #expect(installed.stderr.contains("WARNING") && installed.stderr.contains("install.unauthenticated"), "\(installed.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: installed.stdoutData) as? [String: Any])
        #expect(result["verified"] as? Bool == false)
        let state = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: prefix + "/lib/hallmark/installed.json"))) as? [String: Any])
        let entry = try #require((state["binaries"] as? [String: Any])?["greet"] as? [String: Any])
        #expect(entry["verified"] as? Bool == false)
        let listed = try ProcessRunner.hallmark(["installed", "--prefix", prefix])
        #expect(listed.stdout.contains("UNVERIFIED"), "\(listed.stdout)")
        // A verified reinstall clears it.
        let key = project.dir.url("release.pub")
        let verified = try ProcessRunner.hallmark(["install", "--index", project.root + "/dist/v1.0.0/index.json", "--key", key, "--prefix", prefix, "--force", "--format", "json"])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(try ProcessRunner.hallmark(["installed", "--prefix", prefix]).stdout.contains("UNVERIFIED") == false)
        let record = try #require(try JSONSerialization.jsonObject(with: verified.stdoutData) as? [String: Any])
        #expect((record["authenticatedBy"] as? [String] ?? []).contains { $0.hasPrefix("index signature ") }, "\(record)")
    }

    @Test("A minisign trusted comment naming the version binds it: a renamed old archive is neither a newer --version nor an upgrade")
    func signedVersionIsBound() throws {
        let project = try Self.releases()
        let dir = project.dir
        let key = dir.url("release.pub")
        let prefix = dir.url("prefix")
        func signed(_ version: String) throws -> String {
            let number = String(version.dropFirst())
            let archive = dir.url("greet_\(number)_linux_amd64.tar.gz")
            try FileManager.default.copyItem(atPath: project.root + "/dist/\(version)/greet_\(number)_linux_amd64.tar.gz", toPath: archive)
            let signing = try ProcessRunner.hallmark(
                ["sign-blob", archive, "--key", dir.url("release.key"), "--format", "minisign", "--release-version", version])
            #expect(signing.status == 0, "\(signing.stderr)")
            return archive
        }
        let old = try signed("v1.0.0")
        let new = try signed("v1.1.0")
        // The version comes from the signature: no --version needed, and it is recorded.
        let installed = try ProcessRunner.hallmark(["install", "--from", new, "--key", key, "--prefix", prefix, "--format", "json"])
        #expect(installed.status == 0, "\(installed.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: installed.stdoutData) as? [String: Any])
        #expect(result["version"] as? String == "v1.1.0", "\(result)")
        let matching = try ProcessRunner.hallmark(["install", "--from", new, "--key", key, "--version", "1.1.0", "--prefix", dir.url("other")])
        #expect(matching.status == 0, "a --version that says the same is fine: \(matching.stderr)")

        // A mirror renames the old archive (and its genuine signature) to a newer release's name.
        try FileManager.default.createDirectory(atPath: dir.url("mirror"), withIntermediateDirectories: true)
        let renamed = dir.url("mirror/greet_1.2.0_linux_amd64.tar.gz")
        try FileManager.default.copyItem(atPath: old, toPath: renamed)
        try FileManager.default.copyItem(atPath: old + ".minisig", toPath: renamed + ".minisig")
        let before = snapshot(prefix)
        let claimed = try ProcessRunner.hallmark(["upgrade", "--from", renamed, "--key", key, "--version", "v1.2.0", "--prefix", prefix])
        #expect(claimed.status == 2, "exit \(claimed.status): \(claimed.stderr)")
        #expect(claimed.stderr.contains("--version v1.2.0 is not the version") && claimed.stderr.contains("(v1.0.0"), "\(claimed.stderr)")
        let unclaimed = try ProcessRunner.hallmark(["upgrade", "--from", renamed, "--key", key, "--prefix", prefix])
        #expect(unclaimed.status == 2 && unclaimed.stderr.contains("refusing to downgrade greet from v1.1.0 to v1.0.0"), "\(unclaimed.stderr)")
        #expect(snapshot(prefix) == before, "the prefix changed")
    }

    @Test("The smoke test logs to a private file (0600, in a 0700 directory) that is removed afterwards; its tail is in the error")
    func smokeLogIsPrivate() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let archive = project.release + "/greet_1.0.0_linux_amd64.tar.gz"
        let sha = String(try ProcessRunner.run("sha256sum", [archive]).stdout.prefix(64))
        let scratch = try TemporaryDirectory("hallmark-smoke-tmp")
        let prefix = project.dir.url("prefix")
        // The smoke command reports the mode of the file its output goes to, and of that file's directory.
        let probe = #"p=$(readlink /proc/$$/fd/1); echo "log=$(stat -c %a "$p") dir=$(stat -c %a "$(dirname "$p")") SECRET=s3cr3t"; exit 3"#
        let failed = try ProcessRunner.hallmark(
            ["install", "--from", archive, "--sha256", sha, "--version", "v1.0.0", "--prefix", prefix, "--smoke", probe],
            environment: ["TMPDIR": scratch.path])
        #expect(failed.status == 1, "exit \(failed.status): \(failed.stderr)")
        #expect(failed.stderr.contains("log=600 dir=700"), "\(failed.stderr)")
        #expect(failed.stderr.contains("SECRET=s3cr3t") && failed.stderr.contains("rolled back"), "the tail of the log: \(failed.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty, "something was left in TMPDIR")
        #expect(!FileManager.default.fileExists(atPath: prefix + "/bin/greet"))

        let passed = try ProcessRunner.hallmark(
            ["install", "--from", archive, "--sha256", sha, "--version", "v1.0.0", "--prefix", prefix, "--smoke", "greet --version"],
            environment: ["TMPDIR": scratch.path])
        #expect(passed.status == 0, "\(passed.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty, "something was left in TMPDIR")
    }

    @Test("A binary Hallmark found in place is recorded as unverified, and rolling back to it says so")
    func rollbackToUnknownBinaryIsUnverified() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let prefix = project.dir.url("prefix")
        try project.dir.write("prefix/bin/greet", "#!/bin/sh\necho planted\n")
        #expect(chmod(prefix + "/bin/greet", 0o755) == 0)
        let install = try ProcessRunner.hallmark([
            "install", "--index", project.release + "/index.json", "--key", project.dir.url("release.pub"), "--prefix", prefix, "--force",
        ])
        #expect(install.status == 0, "\(install.stderr)")
        let state = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: prefix + "/lib/hallmark/installed.json"))) as? [String: Any])
        let entry = try #require((state["binaries"] as? [String: Any])?["greet"] as? [String: Any])
        #expect(entry["verified"] as? Bool == true)
        #expect((entry["previous"] as? [String: Any])?["verified"] as? Bool == false, "\(entry)")

        let rollback = try ProcessRunner.hallmark(["rollback", "--prefix", prefix, "--name", "greet", "--format", "json"])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: rollback.stdoutData) as? [String: Any])
        #expect(result["verified"] as? Bool == false, "\(result)")
        #expect((result["notes"] as? [String] ?? []).contains { $0.contains("in place before Hallmark installed over it") }, "\(result)")
        #expect(try ProcessRunner.run(prefix + "/bin/greet", []).stdout.contains("planted"))
        let after = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: prefix + "/lib/hallmark/installed.json"))) as? [String: Any])
        let restored = try #require((after["binaries"] as? [String: Any])?["greet"] as? [String: Any])
        #expect(restored["verified"] as? Bool == false, "\(restored)")
        #expect((restored["previous"] as? [String: Any])?["verified"] as? Bool == true, "\(restored)")
    }
}
