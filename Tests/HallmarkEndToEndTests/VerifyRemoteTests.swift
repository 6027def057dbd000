import Foundation
import HallmarkTestSupport
import Testing

@Suite("hallmark verify-remote against a real HTTP server", .serialized)
struct VerifyRemoteTests {
    @Test func publishedReleaseVerifiesAndDamageIsNamed() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let site = project.dir.url("site")
        #expect(try project.hallmark(["publish", "dist/v1.0.0", "--to", "file://" + site]).status == 0)
        let server = try HTTPServerFixture(serving: site)
        let key = project.dir.url("release.pub")
        func remote(_ path: String, _ extra: [String] = []) throws -> ProcessOutput {
            try ProcessRunner.hallmark(["verify-remote", server.base + path, "--key", key, "--report-dir", project.dir.url("reports")] + extra)
        }
        let ok = try remote("/v1.0.0/", ["--out", project.dir.url("mirror")])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(try ProcessRunner.hallmark(["verify", project.dir.url("mirror"), "--key", key]).status == 0)
        let json = try JSONSerialization.jsonObject(with: project.dir.read("reports/remote-verify.json")) as? [String: Any]
        #expect(json?["verified"] as? Bool == true)
        #expect(project.dir.exists("reports/remote-verify.md"))

        // Damage the published copy in three ways: truncate, swap, remove.
        func damaged(_ name: String, _ change: (String) throws -> Void) throws -> String {
            let copy = site + "/" + name
            try FileManager.default.copyItem(atPath: site + "/v1.0.0", toPath: copy)
            try change(copy)
            return "/" + name + "/"
        }
        let truncated = try damaged("truncated") { dir in
            let path = dir + "/greet_1.0.0_linux_amd64.tar.gz"
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        }
        let swapped = try damaged("swapped") { dir in
            try FileManager.default.removeItem(atPath: dir + "/greet_1.0.0_linux_amd64.tar.gz")
            try FileManager.default.copyItem(atPath: dir + "/greet_1.0.0_linux_arm64.tar.gz", toPath: dir + "/greet_1.0.0_linux_amd64.tar.gz")
        }
        let missing = try damaged("missing") { dir in try FileManager.default.removeItem(atPath: dir + "/sbom.spdx.json") }
        let unsignedCopy = try damaged("unsigned") { dir in try FileManager.default.removeItem(atPath: dir + "/signatures.json") }
        for (path, mention, code) in [(truncated, "greet_1.0.0_linux_amd64.tar.gz", "file.modified"), (swapped, "/swapped/greet_1.0.0_linux_amd64.tar.gz", "download.too-large"),
                                      (missing, "sbom.spdx.json: HTTP 404", "download.not-found"), (unsignedCopy, "signatures.json is missing", "signature.missing")] {
            let result = try remote(path)
            #expect(result.status == 1, "\(path): \(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains(mention) && result.stdout.contains("[\(code)]"), "\(path): \(result.stdout)")
        }
        // --allow-unsigned checks no signature: with --key it is a usage error; alone it checks the checksums.
        let both = try remote(unsignedCopy, ["--allow-unsigned"])
        #expect(both.status == 2 && both.stderr.contains("--allow-unsigned"), "\(both.stderr)")
        let checksumsOnly = try ProcessRunner.hallmark(["verify-remote", server.base + unsignedCopy, "--allow-unsigned", "--report-dir", project.dir.url("reports")])
        #expect(checksumsOnly.status == 0, "\(checksumsOnly.stdout)\(checksumsOnly.stderr)")
        // A transfer that breaks off is retried from the start, and the digest is of the whole file.
        let flaky = try remote("/flaky/v1.0.0/")
        #expect(flaky.status == 0, "\(flaky.stdout)\(flaky.stderr)")
        // Server errors and timeouts are retried, then reported.
        try FileManager.default.createDirectory(atPath: site + "/broken", withIntermediateDirectories: true)
        let broken = try remote("/broken/v1.0.0/")
        #expect(broken.status == 2 && broken.stderr.contains("HTTP 500"), "\(broken.stderr)")
        let slow = try remote("/slow/v1.0.0/", ["--timeout", "1"])
        #expect(slow.status == 2 && slow.stderr.contains("timed out"), "\(slow.stderr)")
        let unsigned = try ProcessRunner.hallmark(["verify-remote", server.base + "/v1.0.0/"])
        #expect(unsigned.status == 2 && unsigned.stderr.contains("--key"))
    }
}

@Suite("hallmark install and upgrade from URLs", .serialized)
struct InstallFromURLTests {
    @Test func httpsWithAPrivateCA() throws {
        let project = try InstallCommandTests.releases()
        let site = project.dir.url("site")
        #expect(try project.hallmark(["publish", "dist/v1.0.0", "--to", "file://" + site]).status == 0)
        let server = try HTTPServerFixture(serving: site, tls: true)
        let ca = try #require(server.caCertificate)
        let key = project.dir.url("release.pub")
        let index = server.base + "/v1.0.0/index.json"
        let untrusted = try ProcessRunner.hallmark(["verify-remote", server.base + "/v1.0.0/", "--key", key, "--report-dir", project.dir.url("reports")])
        #expect(untrusted.status == 2 && untrusted.stderr.contains("--ca-file"), "\(untrusted.stderr)")
        let verified = try ProcessRunner.hallmark(["verify-remote", server.base + "/v1.0.0/", "--key", key, "--ca-file", ca, "--report-dir", project.dir.url("reports")])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        let prefix = project.dir.url("prefix")
        let refused = try ProcessRunner.hallmark(["install", "--index", index, "--key", key, "--require-signature", "--prefix", prefix])
        #expect(refused.status == 2 && refused.stderr.contains("not trusted"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: prefix))
        let install = try ProcessRunner.hallmark(["install", "--index", index, "--key", key, "--require-signature", "--prefix", prefix, "--ca-file", ca])
        #expect(install.status == 0, "\(install.stderr)")
        #expect(try ProcessRunner.run(prefix + "/bin/greet", ["--version"]).stdout.contains("v1.0.0"))
    }

    @Test func installFromPublishedIndex() throws {
        let project = try InstallCommandTests.releases()
        let site = project.dir.url("site")
        for version in ["v1.0.0", "v1.1.0"] {
            #expect(try project.hallmark(["publish", "dist/\(version)", "--to", "file://" + site]).status == 0)
        }
        let server = try HTTPServerFixture(serving: site)
        let prefix = project.dir.url("prefix")
        let key = project.dir.url("release.pub")
        let install = try ProcessRunner.hallmark(["install", "--index", server.base + "/v1.0.0/index.json", "--key", key, "--require-signature", "--prefix", prefix])
        #expect(install.status == 0, "\(install.stderr)")
        #expect(try ProcessRunner.run(prefix + "/bin/greet", ["--version"]).stdout.contains("v1.0.0"))
        let upgrade = try ProcessRunner.hallmark(["upgrade", "--index", server.base + "/v1.1.0/index.json", "--key", key, "--require-signature", "--prefix", prefix])
        #expect(upgrade.status == 0, "\(upgrade.stderr)")
        let state = try ProcessRunner.hallmark(["installed", "--prefix", prefix])
        #expect(state.stdout.contains(server.base + "/v1.1.0/index.json"), "\(state.stdout)")
        let missing = try ProcessRunner.hallmark(["upgrade", "--index", server.base + "/v9.9.9/index.json", "--key", key, "--prefix", prefix])
        #expect(missing.status == 1 && missing.stderr.contains("404"))
        let archive = try ProcessRunner.hallmark(["install", "--from", server.base + "/v1.1.0/greet_1.1.0_linux_amd64.tar.gz", "--key", key, "--require-signature", "--prefix", project.dir.url("other")])
        #expect(archive.status == 0, "\(archive.stderr)")
        // Plain http:// with only a digest: the download could be changed on the way, so a signature is required.
        let sha = try ProcessRunner.run("sha256sum", [project.root + "/dist/v1.1.0/greet_1.1.0_linux_amd64.tar.gz"]).stdout.prefix(64)
        let digestOnly = try ProcessRunner.hallmark(["install", "--from", server.base + "/v1.1.0/greet_1.1.0_linux_amd64.tar.gz", "--sha256", String(sha),
                                                     "--prefix", project.dir.url("third")])
        #expect(digestOnly.status == 2 && digestOnly.stderr.contains("http://"), "\(digestOnly.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.dir.url("third")))
    }
}
