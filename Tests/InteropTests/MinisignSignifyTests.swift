import Foundation
import HallmarkTestSupport
import Testing

/// minisign and signify: the conformance cases through `hallmark verify-blob`, and the real `minisign` and
/// `signify-openbsd` reading ours and we theirs.
@Suite("minisign and signify, with the real tools", .serialized)
struct MinisignSignifyTests {
    static let jedisct1 = TestPaths.conformance("minisign-jedisct1")
    static let aead = TestPaths.conformance("minisign-aead")
    static let signify = TestPaths.conformance("signify-openbsd-regress")

    func verify(_ file: String, _ signature: String, key: String, extra: [String] = [], in dir: String? = nil) throws -> ProcessOutput {
        try ProcessRunner.hallmark(["verify-blob", file, "--signature", signature, "--key", key] + extra, in: dir)
    }

    @Test("minisign cases: legacy, prehashed, CRLF, -H policy, and every derived tampering")
    func minisignCases() throws {
        let j = Self.jedisct1
        let key = j + "/minisign.pub"
        let cases: [(String, String, [String], Int32, String?)] = [
            ("test.bin", "test.bin.legacy.minisig", [], 0, "timestamp:1555779966\tfile:test"),
            ("Test-wrong-message.bin", "test.bin.legacy.minisig", [], 1, "signature verification failed"),
            ("test.bin", "test.bin.prehashed.minisig", [], 0, "timestamp:1556193335\tfile:test"),
            ("Test-wrong-message.bin", "test.bin.prehashed.minisig", [], 1, "signature verification failed"),
            ("test.bin", "test.bin.legacy.minisig", ["--prehashed-only"], 1, "legacy"),
            ("test.bin", "derived/crlf-line-endings.minisig", [], 0, nil),
            ("test.bin", "derived/tampered-trusted-comment.minisig", [], 1, "comment signature"),
            ("test.bin", "derived/keyid-mismatch.minisig", [], 1, "key id"),
            ("test.bin", "derived/signature-bitflip.minisig", [], 1, "signature verification failed"),
            ("test.bin", "derived/unsupported-algorithm.minisig", [], 1, "unsupported signature algorithm"),
            ("test.bin", "derived/missing-comment-signature.minisig", [], 2, "not a minisign signature"),
        ]
        for (file, signature, extra, status, mention) in cases {
            let result = try verify(j + "/" + file, j + "/" + signature, key: key, extra: extra)
            #expect(result.status == status, "\(signature) on \(file): \(result.stdout)\(result.stderr)")
            if let mention { #expect((result.stdout + result.stderr).contains(mention), "\(signature): \(result.stdout)\(result.stderr)") }
        }
        let aead = try verify(Self.aead + "/message.txt", Self.aead + "/message.txt.minisig", key: Self.aead + "/minisign.pub")
        #expect(aead.status == 0 && aead.stdout.contains("Trusted comment: timestamp:1614549543\tfile:message.txt"))
        // The key of another signer is refused by its key id.
        let other = try verify(Self.aead + "/message.txt", Self.aead + "/message.txt.minisig", key: key)
        #expect(other.status == 1 && other.stderr.contains("key id"))
    }

    @Test("signify cases: detached, forgery, embedded (-e), signed checksum lists (-C)")
    func signifyCases() throws {
        let s = Self.signify
        #expect(try verify("orders.txt", "orders.txt.sig", key: "regresskey.pub", in: s).status == 0)
        #expect(try verify("forgery.txt", "forgery.txt.sig", key: "regresskey.pub", in: s).status == 1)
        let dir = try TemporaryDirectory()
        let embedded = try ProcessRunner.hallmark(["verify-blob", "derived/orders.txt.embedded.sig", "--embedded", "--key", "regresskey.pub", "--extract", dir.url("out.txt")], in: s)
        #expect(embedded.status == 0, "\(embedded.stderr)")
        #expect(try dir.read("out.txt") == (try Data(contentsOf: URL(fileURLWithPath: s + "/orders.txt"))))
        let tampered = try ProcessRunner.hallmark(["verify-blob", "derived/orders.txt.embedded-tampered.sig", "--embedded", "--key", "regresskey.pub", "--extract", dir.url("bad.txt")], in: s)
        #expect(tampered.status == 1 && !dir.exists("bad.txt"))
        let list = try ProcessRunner.hallmark(["verify-blob", "derived/CHECKSUMS.txt.sig", "--checksums", "--key", "regresskey.pub"], in: s)
        #expect(list.status == 0 && list.stdout.contains("orders.txt: OK") && list.stdout.contains("regresskey.pub: OK"), "\(list.stdout)\(list.stderr)")
        let wrong = try ProcessRunner.hallmark(["verify-blob", "derived/CHECKSUMS-wrong-digest.txt.sig", "--checksums", "--key", "regresskey.pub", "--format", "json"], in: s)
        #expect(wrong.status == 1 && wrong.stdout.contains("\"signatureVerified\": true") && wrong.stdout.contains("\"status\": \"FAIL\""))
    }

    @Test("minisign -V accepts our signatures and keys; we verify what minisign and signify-openbsd sign")
    func realTools() throws {
        let dir = try TemporaryDirectory()
        try dir.write("app.tar.gz", Data((0..<100_000).map { UInt8($0 % 251) }))
        #expect(try ProcessRunner.hallmark(["keys", "generate", "--out", "k"], in: dir.path).status == 0)
        let signed = try ProcessRunner.hallmark(["sign-blob", "app.tar.gz", "--key", "k.key", "--format", "minisign", "--release-version", "v1.4.0"], in: dir.path)
        #expect(signed.status == 0, "\(signed.stderr)")
        let first = try dir.read("app.tar.gz.minisig")
        #expect(try ProcessRunner.hallmark(["sign-blob", "app.tar.gz", "--key", "k.key", "--format", "minisign", "--release-version", "v1.4.0"], in: dir.path).status == 0)
        #expect(try dir.read("app.tar.gz.minisig") == first, "no clock time: the same signature twice")
        let pub = try ProcessRunner.hallmark(["keys", "public", "k.key", "--format", "minisign"], in: dir.path)
        try dir.write("k.minisign.pub", pub.stdout)
        let minisign = try ProcessRunner.run("minisign", ["-V", "-H", "-p", "k.minisign.pub", "-m", "app.tar.gz"], in: dir.path)
        #expect(minisign.status == 0, "\(minisign.stdout)\(minisign.stderr)")
        #expect(minisign.stdout.contains("Trusted comment: file:app.tar.gz\tversion:v1.4.0\thashed"))
        try dir.write("app.tar.gz", "changed")
        #expect(try ProcessRunner.run("minisign", ["-V", "-p", "k.minisign.pub", "-m", "app.tar.gz"], in: dir.path).status != 0)
        #expect(try ProcessRunner.hallmark(["verify-blob", "app.tar.gz", "--key", "k.minisign.pub"], in: dir.path).status == 1)

        // minisign's own key and signature (prehashed by default), verified by us.
        let generate = try ProcessRunner.run("minisign", ["-G", "-W", "-p", "m.pub", "-s", "m.key"], in: dir.path)
        #expect(generate.status == 0, "\(generate.stderr)")
        try dir.write("data.bin", "some data\n")
        #expect(try ProcessRunner.run("minisign", ["-S", "-s", "m.key", "-m", "data.bin", "-t", "release 1"], in: dir.path).status == 0)
        let ours = try ProcessRunner.hallmark(["verify-blob", "data.bin", "--key", "m.pub", "--prehashed-only"], in: dir.path)
        #expect(ours.status == 0 && ours.stdout.contains("Trusted comment: release 1"), "\(ours.stdout)\(ours.stderr)")

        // signify-openbsd's key and signature, and our key exported for signify.
        let sg = try ProcessRunner.run("signify-openbsd", ["-G", "-n", "-p", "s.pub", "-s", "s.sec"], in: dir.path)
        #expect(sg.status == 0, "\(sg.stderr)")
        #expect(try ProcessRunner.run("signify-openbsd", ["-S", "-s", "s.sec", "-m", "data.bin"], in: dir.path).status == 0)
        #expect(try ProcessRunner.hallmark(["verify-blob", "data.bin", "--signature", "data.bin.sig", "--key", "s.pub"], in: dir.path).status == 0)
        let exported = try ProcessRunner.hallmark(["keys", "public", "k.pub", "--format", "signify"], in: dir.path)
        #expect(exported.status == 0 && exported.stdout.hasPrefix("untrusted comment: signify public key\nRW"))
    }
}
