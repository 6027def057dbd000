import Foundation
import HallmarkTestSupport
import Testing

/// `install --index URL` from a mirror: no field of the downloaded index — the archive's name, the size that caps
/// its download — is used before the index's signature has verified.
@Suite("hallmark install --index URL checks the index's signature before using it", .serialized)
struct InstallIndexDownloadTests {
    /// A signed v1.0.0 release of the example project, copied to `site/v1.0.0` with every artifact's `size`
    /// (and its binary's) set to `size`; the index is re-signed when `signed`, else its signatures are removed.
    static func mirror(size: String, signed: Bool) throws -> (project: ExampleProject, site: String) {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let site = project.dir.url("site")
        try FileManager.default.createDirectory(atPath: site, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: project.release, toPath: site + "/v1.0.0")
        let index = site + "/v1.0.0/index.json"
        let rewrite = """
            import json, re, sys
            path, size = sys.argv[1], sys.argv[2]
            text = open(path).read()
            # every "size" of index.json, as a bare number (Python's json keeps integers of any size)
            text = re.sub(r'("size"\\s*:\\s*)\\d+', lambda m: m.group(1) + size, text)
            json.loads(text)
            open(path, "w").write(text)
            """
        let rewritten = try ProcessRunner.run("python3", ["-c", rewrite, index, size])
        #expect(rewritten.status == 0, "\(rewritten.stderr)")
        for suffix in [".sig", ".minisig"] where FileManager.default.fileExists(atPath: index + suffix) {
            try FileManager.default.removeItem(atPath: index + suffix)
        }
        if signed {
            let signing = try ProcessRunner.hallmark(["sign-blob", index, "--key", project.dir.url("release.key")])
            #expect(signing.status == 0, "\(signing.stderr)")
        }
        return (project, site)
    }

    @Test("An index stating a size over Int64.max: unsigned, refused for its missing signature; signed, installed (the size only caps the download)")
    func sizeOverInt64Max() throws {
        let overInt64 = "18446744073709551615"  // UInt64.max
        let (unsignedProject, unsignedSite) = try Self.mirror(size: overInt64, signed: false)
        let unsignedServer = try HTTPServerFixture(serving: unsignedSite)
        let prefix = unsignedProject.dir.url("prefix")
        let refused = try ProcessRunner.hallmark([
            "install", "--index", unsignedServer.base + "/v1.0.0/index.json", "--key", unsignedProject.dir.url("release.pub"), "--prefix", prefix,
        ])
        #expect(refused.status == 1, "exit \(refused.status): \(refused.stderr)")
        #expect(refused.stderr.contains("index.json: no signature"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: prefix), "nothing may be written")

        let (signedProject, signedSite) = try Self.mirror(size: overInt64, signed: true)
        let signedServer = try HTTPServerFixture(serving: signedSite)
        let installed = try ProcessRunner.hallmark([
            "install", "--index", signedServer.base + "/v1.0.0/index.json", "--key", signedProject.dir.url("release.pub"),
            "--platform", "linux/amd64", "--prefix", signedProject.dir.url("prefix"), "--format", "json",
        ])
        #expect(installed.status == 0, "exit \(installed.status): \(installed.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: installed.stdoutData) as? [String: Any])
        #expect((result["authenticatedBy"] as? [String] ?? []).contains { $0.hasPrefix("index signature ") }, "\(result)")
    }

    @Test("An unsigned index is refused before its archive is requested, whatever size it states")
    func noArchiveDownloadBeforeTheSignature() throws {
        let (project, site) = try Self.mirror(size: String(1 << 62), signed: false)
        let server = try HTTPServerFixture(serving: site, logRequests: true)
        let scratch = try TemporaryDirectory("hallmark-install-tmp")
        let refused = try ProcessRunner.hallmark(
            ["install", "--index", server.base + "/v1.0.0/index.json", "--key", project.dir.url("release.pub"), "--platform", "linux/amd64",
             "--prefix", project.dir.url("prefix")],
            environment: ["TMPDIR": scratch.path])
        #expect(refused.status == 1, "exit \(refused.status): \(refused.stderr)")
        #expect(refused.stderr.contains("no signature"), "\(refused.stderr)")
        let requested = try server.requestedPaths()
        #expect(requested.contains("/v1.0.0/index.json"), "\(requested)")
        #expect(!requested.contains { $0.contains(".tar.gz") || $0.contains(".zip") }, "the archive was requested: \(requested)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty, "downloads left behind")
    }

    @Test("verify-remote of a release whose index states a size over Int64.max: verification fails, no crash")
    func verifyRemoteWithHugeSize() throws {
        let (project, site) = try Self.mirror(size: "18446744073709551615", signed: false)
        let server = try HTTPServerFixture(serving: site)
        let result = try ProcessRunner.hallmark([
            "verify-remote", server.base + "/v1.0.0/", "--key", project.dir.url("release.pub"),
            "--report-dir", project.dir.url("reports"),
        ])
        #expect(result.status == 1, "exit \(result.status): \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
    }
}
