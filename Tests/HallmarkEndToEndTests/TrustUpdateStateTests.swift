import Foundation
import HallmarkCrypto
import HallmarkTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `hallmark trust update` across several updates of one repository: what the TUF state remembers refuses
/// rollbacks, follows root rotations nobody announces, and stops a frozen repository.
@Suite("hallmark trust update keeps TUF state: rollback, rotation, freeze, thresholds")
struct TrustUpdateStateTests {
    static let now = "2026-06-01T00:00:00Z"

    /// A fresh repository with one target, published at version 1 throughout.
    func repository(_ dir: TemporaryDirectory) throws -> TUFTestRepository {
        var repo = try TUFTestRepository(directory: dir.url("repo"))
        repo.targets["artifact.txt"] = Data("release 1\n".utf8)
        try repo.publishRoot()
        try repo.publishAll()
        return repo
    }

    func update(_ repo: TUFTestRepository, _ dir: TemporaryDirectory, root: Bool = false, now: String = Self.now) throws -> ProcessOutput {
        var arguments = ["trust", "update", "--tuf", repo.directory, "--target", "artifact.txt", "--out", dir.url("trust/artifact.txt"), "--now", now]
        if root { arguments += ["--root", repo.initialRoot] }
        return try ProcessRunner.hallmark(arguments + ["--format", "json"])
    }

    func trustedVersion(_ dir: TemporaryDirectory, _ role: String) throws -> Int? {
        guard dir.exists("trust/tuf/\(role).json") else { return nil }
        let object = try JSONSerialization.jsonObject(with: try dir.read("trust/tuf/\(role).json")) as? [String: Any]
        return (object?["signed"] as? [String: Any])?["version"] as? Int
    }

    @Test("Over HTTP: metadata at the URL, targets under URL/targets/; a missing timestamp fails the update")
    func overHTTP() throws {
        let dir = try TemporaryDirectory()
        var repo = try repository(dir)
        let site = dir.url("site")
        try FileManager.default.copyItem(atPath: repo.directory + "/metadata", toPath: site)
        try FileManager.default.copyItem(atPath: repo.directory + "/targets", toPath: site + "/targets")
        let server = try HTTPServerFixture(serving: site)
        let out = dir.url("trust/artifact.txt")
        let first = try ProcessRunner.hallmark(["trust", "update", "--tuf", server.base, "--root", repo.initialRoot, "--target", "artifact.txt", "--out", out, "--now", Self.now])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try dir.read("trust/artifact.txt") == Data("release 1\n".utf8))
        repo.bump("timestamp")
        try FileManager.default.removeItem(atPath: site + "/timestamp.json")
        let missing = try ProcessRunner.hallmark(["trust", "update", "--tuf", server.base, "--target", "artifact.txt", "--out", out, "--now", Self.now])
        #expect(missing.status == 1 && missing.stderr.contains("timestamp.json") && missing.stderr.contains("404"), "\(missing.stderr)")
    }

    @Test("A timestamp older than the trusted one is refused on the next update")
    func timestampRollback() throws {
        let dir = try TemporaryDirectory()
        var repo = try repository(dir)
        repo.bump("timestamp")
        try repo.publishTimestamp()
        #expect(try update(repo, dir, root: true).status == 0)
        #expect(try trustedVersion(dir, "timestamp") == 2)
        repo.versions["timestamp"] = 1
        try repo.publishTimestamp()
        let second = try update(repo, dir)
        #expect(second.status == 1 && second.stderr.contains("rollback") && second.stderr.contains("tuf.rollback"), "\(second.stderr)")
        #expect(try trustedVersion(dir, "timestamp") == 2)
    }

    @Test("A timestamp naming an older snapshot than the trusted one is refused")
    func snapshotRollback() throws {
        let dir = try TemporaryDirectory()
        var repo = try repository(dir)
        repo.bump("snapshot", "timestamp")
        try repo.publishSnapshot()
        try repo.publishTimestamp()
        #expect(try update(repo, dir, root: true).status == 0)
        #expect(try trustedVersion(dir, "snapshot") == 2)
        repo.versions["snapshot"] = 1
        repo.bump("timestamp")
        try repo.publishTimestamp()
        let second = try update(repo, dir)
        #expect(second.status == 1 && second.stderr.contains("snapshot v1") && second.stderr.contains("rollback"), "\(second.stderr)")
        #expect(try trustedVersion(dir, "snapshot") == 2)
        #expect(try trustedVersion(dir, "timestamp") == 2)
    }

    @Test("A snapshot listing an older targets version than the trusted snapshot is refused")
    func targetsRollback() throws {
        let dir = try TemporaryDirectory()
        var repo = try repository(dir)
        repo.bump("targets", "snapshot", "timestamp")
        try repo.publishAll()
        #expect(try update(repo, dir, root: true).status == 0)
        repo.versions["targets"] = 1
        repo.bump("snapshot", "timestamp")
        try repo.publishSnapshot()
        try repo.publishTimestamp()
        let second = try update(repo, dir)
        #expect(second.status == 1 && second.stderr.contains("targets.json v1") && second.stderr.contains("rollback"), "\(second.stderr)")
        #expect(try trustedVersion(dir, "targets") == 2)
        #expect(try trustedVersion(dir, "snapshot") == 2)
    }

    @Test("Root rotations nothing points to are walked; without the intermediate root the new keys are refused")
    func hiddenRootRotation() throws {
        let dir = try TemporaryDirectory()
        var repo = try repository(dir)
        #expect(try update(repo, dir, root: true).status == 0)
        // Root v2 and v3 (each signed by the old and the new root key); v3 also gives timestamp a new key.
        try repo.rotateRoot()
        try repo.rotateKey("timestamp")
        try repo.rotateRoot()
        repo.bump("timestamp")
        try repo.publishTimestamp()

        // A client that cannot see 2.root.json stops at v1, and v1 does not trust the new timestamp key.
        let hidden = try TemporaryDirectory()
        try FileManager.default.copyItem(atPath: dir.url("trust"), toPath: hidden.url("trust"))
        let saved = try Data(contentsOf: URL(fileURLWithPath: repo.directory + "/metadata/2.root.json"))
        try repo.remove("metadata/2.root.json")
        let blind = try update(repo, hidden)
        #expect(blind.status == 1 && blind.stderr.contains("timestamp") && blind.stderr.contains("tuf.threshold"), "\(blind.stderr)")
        try saved.write(to: URL(fileURLWithPath: repo.directory + "/metadata/2.root.json"))

        let rotated = try update(repo, dir)
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(rotated.stdout.contains("\"rootVersion\": 3"), "\(rotated.stdout)")
        #expect(dir.exists("trust/tuf/root_history/2.root.json") && dir.exists("trust/tuf/root_history/3.root.json"))
        #expect(try trustedVersion(dir, "root") == 3)
    }

    @Test("A frozen repository (its timestamp expired) is refused, and the trusted state stays as it was")
    func freeze() throws {
        let dir = try TemporaryDirectory()
        var repo = try repository(dir)
        repo.expires["timestamp"] = "2026-07-01T00:00:00Z"
        try repo.publishTimestamp()
        #expect(try update(repo, dir, root: true).status == 0)
        let later = try update(repo, dir, now: "2026-07-02T00:00:00Z")
        #expect(later.status == 1 && later.stderr.contains("expired") && later.stderr.contains("tuf.expired"), "\(later.stderr)")
        #expect(try trustedVersion(dir, "timestamp") == 1)
        // Expiry is judged at the reference time given: before the expiry, the same state verifies again.
        #expect(try update(repo, dir).status == 0)
    }

    @Test("A timestamp that names no snapshot version is refused")
    func snapshotVersionMissing() throws {
        let dir = try TemporaryDirectory()
        var repo = try repository(dir)
        repo.timestampOmitsSnapshotVersion = true
        try repo.publishTimestamp()
        let result = try update(repo, dir, root: true)
        #expect(result.status == 1 && result.stderr.contains("no snapshot version"), "\(result.stderr)")
        #expect(!dir.exists("trust/artifact.txt"))
        #expect(!dir.exists("trust/tuf/timestamp.json"))
    }

    @Test("One key listed under two key ids counts once toward a threshold of two; two distinct keys meet it")
    func thresholdWithDuplicateKeys() throws {
        let dir = try TemporaryDirectory()
        var repo = try repository(dir)
        repo.listFirstKeyTwice("timestamp")
        repo.thresholds["timestamp"] = 2
        try repo.publishRoot()
        try repo.publishTimestampUnderEveryKeyID()
        let result = try update(repo, dir, root: true)
        #expect(result.status == 1 && result.stderr.contains("signed by 1 distinct keys"), "\(result.stderr)")
        #expect(!dir.exists("trust/artifact.txt"))

        let good = try TemporaryDirectory()
        var other = try repository(good)
        try other.addKey("timestamp")
        other.thresholds["timestamp"] = 2
        try other.publishRoot()
        try other.publishTimestamp()
        let accepted = try update(other, good, root: true)
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(try good.read("trust/artifact.txt") == Data("release 1\n".utf8))
    }

    @Test("Without --out the target is installed as the trusted root, so it must be one, whatever its name")
    func defaultDestinationMustBeATrustedRoot() throws {
        let dir = try TemporaryDirectory()
        let repo = try repository(dir)
        let installed = try dir.write("trust/trusted_root.json", "previous trusted root\n")
        let result = try ProcessRunner.hallmark(
            ["trust", "update", "--tuf", repo.directory, "--root", repo.initialRoot, "--target", "artifact.txt", "--now", Self.now],
            environment: ["HALLMARK_TRUST_DIR": dir.url("trust")])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("artifact.txt"), "\(result.stderr)")
        #expect(try String(contentsOfFile: installed, encoding: .utf8) == "previous trusted root\n")
    }

    /// Serves argv[1]; timestamp.json one byte every half second (argv[2] "body"), or its answer only after
    /// 30 s (argv[2] "head"): a mirror holding the client.
    static let tricklingServer = #"""
        import http.server, os, sys, time
        root, mode = sys.argv[1], sys.argv[2]
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args): pass
            def do_GET(self):
                path = os.path.join(root, self.path.lstrip("/"))
                if not os.path.isfile(path):
                    self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers(); return
                data = open(path, "rb").read()
                if mode == "head" and self.path.endswith("timestamp.json"):
                    time.sleep(30)
                self.send_response(200); self.send_header("Content-Length", str(len(data))); self.end_headers()
                if not self.path.endswith("timestamp.json"):
                    self.wfile.write(data); return
                try:
                    for byte in data:
                        self.wfile.write(bytes([byte])); self.wfile.flush(); time.sleep(0.5)
                except OSError:
                    pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#

    @Test("A mirror sending a byte at a time, or its answer late, is cut off at --timeout for the whole fetch", arguments: ["body", "head"])
    func slowRetrievalIsCutOff(mode: String) throws {
        let dir = try TemporaryDirectory()
        let repo = try repository(dir)
        let site = dir.url("site")
        try FileManager.default.copyItem(atPath: repo.directory + "/metadata", toPath: site)
        let (process, port) = try HTTPServerFixture.startPython(Self.tricklingServer, [site, mode], name: "the trickling mirror")
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let started = Date()
        let result = try ProcessRunner.hallmark(
            ["trust", "update", "--tuf", "http://127.0.0.1:\(port)", "--root", repo.initialRoot, "--target", "artifact.txt",
             "--out", dir.url("trust/artifact.txt"), "--now", Self.now, "--timeout", "2"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 2, "\(mode): \(result.stderr)")
        #expect(result.stderr.contains("timestamp.json: not received within 2 s"), "\(mode): \(result.stderr)")
        #expect(elapsed < 10, "\(mode): took \(elapsed) s")
        #expect(!dir.exists("trust/artifact.txt"))
    }

    @Test("A delegated role's name is printed with its control characters escaped")
    func roleNameIsEscaped() throws {
        let dir = try TemporaryDirectory()
        var repo = try TUFTestRepository(directory: dir.url("repo"))
        let key = try PrivateKey.generate(.ed25519)
        let role = "evil\u{1b}[2K\rrole\nverified"
        repo.delegations["targets"] = [.init(name: role, keys: [key], paths: ["*"])]
        repo.roleSigners[role] = [key]
        repo.roleTargets[role] = ["artifact.txt": Data("release 1\n".utf8)]
        try repo.publishRoot()
        try repo.publishAll()
        let result = try ProcessRunner.hallmark(
            ["trust", "update", "--tuf", repo.directory, "--root", repo.initialRoot, "--target", "artifact.txt",
             "--out", dir.url("trust/artifact.txt"), "--now", Self.now])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("from role evil\\u{1b}[2K\\rrole\\nverified)"), "\(result.stdout)")
        #expect(!result.stdout.contains("\u{1b}") && result.stdout.split(separator: "\n").count == 2, "\(result.stdout)")
    }
}
