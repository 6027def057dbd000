import Foundation
import HallmarkTestSupport
import Testing

@Suite("hallmark trust update over the tuf-conformance static repositories, with a fixed clock")
struct TrustUpdateTests {
    static let repos = TestPaths.conformance("tuf-conformance")

    func faketime(_ repo: String) throws -> String {
        // "2025-02-09 12:02:08+00:00" → RFC 3339
        let text = try String(contentsOfFile: Self.repos + "/\(repo)/faketime", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.replacingOccurrences(of: " ", with: "T").replacingOccurrences(of: "+00:00", with: "Z")
    }

    @Test(arguments: ["sigstore-root-signing", "tuf-on-ci-0.11"])
    func staticRepository(_ repo: String) throws {
        let dir = try TemporaryDirectory()
        let base = Self.repos + "/" + repo
        let target = try String(contentsOfFile: base + "/targetpath", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try ProcessRunner.hallmark([
            "trust", "update", "--tuf", base, "--root", base + "/initial_root.json", "--now", try faketime(repo),
            "--target", target, "--out", dir.url("installed"), "--format", "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
        let sha = try ProcessRunner.run("sha256sum", [dir.url("installed")]).stdout.prefix(64)
        #expect(object["sha256"] as? String == String(sha))
        // With the real clock, the sigstore root (expired 2025-08-19) is refused and nothing is installed.
        if repo == "sigstore-root-signing" {
            let expired = try ProcessRunner.hallmark(["trust", "update", "--tuf", base, "--root", base + "/initial_root.json", "--out", dir.url("late")])
            #expect(expired.status == 1 && expired.stderr.contains("expired"), "\(expired.stderr)")
            #expect(!dir.exists("late"))
        }
    }

    @Test("Walking the Sigstore root history: from v5 through v12; from v4 refused; a tampered target refused")
    func rootHistoryAndTampering() throws {
        // Each run installs into its own directory, so each starts with no TUF state of its own (tuf/ beside it).
        let dir = try TemporaryDirectory()
        let base = Self.repos + "/sigstore-root-signing"
        let now = try faketime("sigstore-root-signing")
        let walk = try ProcessRunner.hallmark(["trust", "update", "--tuf", base, "--root", base + "/metadata/5.root.json", "--now", now, "--out", dir.url("a/trusted_root.json"), "--format", "json"])
        #expect(walk.status == 0, "\(walk.stderr)")
        #expect(walk.stdout.contains("\"rootsWalked\": [\n    6,\n    7,\n    8,\n    9,\n    10,\n    11,\n    12\n  ]"), "\(walk.stdout)")
        #expect(dir.exists("a/tuf/root_history/12.root.json") && dir.exists("a/tuf/timestamp.json"))
        let v4 = try ProcessRunner.hallmark(["trust", "update", "--tuf", base, "--root", base + "/metadata/4.root.json", "--now", now, "--out", dir.url("b/trusted_root.json")])
        #expect(v4.status == 1 && v4.stderr.contains("4.root.json"), "\(v4.stderr)")
        #expect(!dir.exists("b/trusted_root.json"))

        // A copy of the mirror whose target was changed after signing.
        let copy = dir.url("mirror")
        try FileManager.default.copyItem(atPath: base, toPath: copy)
        let targets = try FileManager.default.contentsOfDirectory(atPath: copy + "/targets")
        let file = try #require(targets.first { $0.hasSuffix("trusted_root.json") })
        var bytes = try dir.read("mirror/targets/" + file)
        bytes[bytes.count / 2] ^= 0x01
        try dir.write("mirror/targets/" + file, bytes)
        let tampered = try ProcessRunner.hallmark(["trust", "update", "--tuf", copy, "--root", copy + "/initial_root.json", "--now", now, "--out", dir.url("c/trusted_root.json")])
        #expect(tampered.status == 1 && tampered.stderr.contains("sha256"), "\(tampered.stderr)")
        #expect(!dir.exists("c/trusted_root.json"))
    }

    @Test("The TUF state beside the installed root: later updates start from it; --root must agree with it")
    func stateIsKept() throws {
        let dir = try TemporaryDirectory()
        let base = Self.repos + "/sigstore-root-signing"
        let now = try faketime("sigstore-root-signing")
        let out = dir.url("trusted_root.json")
        let noRoot = try ProcessRunner.hallmark(["trust", "update", "--tuf", base, "--now", now, "--out", out])
        #expect(noRoot.status == 2 && noRoot.stderr.contains("--root"), "\(noRoot.stderr)")
        let first = try ProcessRunner.hallmark(["trust", "update", "--tuf", base, "--root", base + "/metadata/5.root.json", "--now", now, "--out", out])
        #expect(first.status == 0, "\(first.stderr)")
        let again = try ProcessRunner.hallmark(["trust", "update", "--tuf", base, "--now", now, "--out", out, "--format", "json"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("\"rootsWalked\": [\n\n  ]") || again.stdout.contains("\"rootsWalked\": []"), "\(again.stdout)")
        #expect(again.stdout.contains("\"rootVersion\": 12"))
        // A root the state trusted is accepted; one it never trusted is refused, naming both ways out.
        let same = try ProcessRunner.hallmark(["trust", "update", "--tuf", base, "--root", base + "/metadata/7.root.json", "--now", now, "--out", out])
        #expect(same.status == 0, "\(same.stderr)")
        let other = try ProcessRunner.hallmark(["trust", "update", "--tuf", base, "--root", base + "/metadata/4.root.json", "--now", now, "--out", out])
        #expect(other.status == 2 && other.stderr.contains("drop --root") && other.stderr.contains("remove"), "\(other.stderr)")
    }

    @Test("verify-bundle finds the installed trusted root")
    func installedRootIsUsed() throws {
        let dir = try TemporaryDirectory()
        let base = Self.repos + "/sigstore-root-signing"
        let install = try ProcessRunner.hallmark(["trust", "update", "--tuf", base, "--root", base + "/initial_root.json", "--now", try faketime("sigstore-root-signing")],
                                                 environment: ["HALLMARK_TRUST_DIR": dir.path])
        #expect(install.status == 0, "\(install.stderr)")
        #expect(dir.exists("trusted_root.json"))
        let cases = TestPaths.conformance("sigstore-conformance/bundle-verify")
        let verify = try ProcessRunner.hallmark([
            "verify-bundle", "--bundle", cases + "/happy-path-v0.3/bundle.sigstore.json",
            "--certificate-identity", SigstoreConformanceTests.defaultIdentity, "--certificate-oidc-issuer", SigstoreConformanceTests.defaultIssuer,
            cases + "/a.txt",
        ], environment: ["HALLMARK_TRUST_DIR": dir.path])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }
}
