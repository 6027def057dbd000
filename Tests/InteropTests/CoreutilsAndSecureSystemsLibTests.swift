import Foundation
import HallmarkTestSupport
import Testing

/// GNU `sha256sum -c` reads our lists; securesystemslib verifies our DSSE envelopes.
@Suite struct CoreutilsAndSecureSystemsLibTests {
    @Test func sha256sumChecksOurLists() throws {
        let dir = try TemporaryDirectory()
        try dir.write("rel/app linux.tar.gz", Data(repeating: 1, count: 4096))
        try dir.write("rel/app.zip", "zip")
        try dir.write("rel/sub/notes.md", "notes")
        #expect(try ProcessRunner.hallmark(["keys", "generate", "--out", "k"], in: dir.path).status == 0)
        #expect(try ProcessRunner.hallmark(["sign", "rel", "--key", "k.key"], in: dir.path).status == 0)
        let check = try ProcessRunner.run("sha256sum", ["-c", "--strict", "checksums.txt"], in: dir.url("rel"))
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.split(separator: "\n").count == 3)

        let list = try ProcessRunner.hallmark(["checksum", "app linux.tar.gz", "app.zip", "sub/notes.md", "--algorithm", "sha512", "--output", "SHA512SUMS"], in: dir.url("rel"))
        #expect(list.status == 0)
        #expect(try ProcessRunner.run("sha512sum", ["-c", "--strict", "SHA512SUMS"], in: dir.url("rel")).status == 0)
        // And a list sha256sum wrote, we check.
        let gnu = try ProcessRunner.run("sha256sum", ["--tag", "app.zip", "app linux.tar.gz"], in: dir.url("rel"))
        try dir.write("rel/BSD", gnu.stdout)
        #expect(try ProcessRunner.hallmark(["checksum", "--check", "BSD"], in: dir.url("rel")).status == 0)
    }

    static let verifier = """
        import json, sys
        from securesystemslib.dsse import Envelope
        from securesystemslib.signer import SSlibKey
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
        envelope_path, pem_path, keyid = sys.argv[1:4]
        with open(envelope_path) as f:
            envelope = Envelope.from_dict(json.loads(f.readline()))
        with open(pem_path, "rb") as f:
            key = SSlibKey.from_crypto(load_pem_public_key(f.read()), keyid=keyid)
        accepted = envelope.verify([key], 1)
        statement = json.loads(envelope.pae().split(b" ", 4)[4])
        print(json.dumps({"keys": sorted(accepted), "subjects": [s["name"] for s in statement["subject"]]}))
        """

    @Test(arguments: ["ed25519", "ecdsa-p256"])
    func secureSystemsLibVerifiesOurEnvelopes(_ algorithm: String) throws {
        let dir = try TemporaryDirectory()
        try dir.write("verify.py", Self.verifier)
        try dir.write("app.tar.gz", "app")
        try dir.write("predicate.json", #"{"buildDefinition":{"buildType":"https://example.com/t"}}"#)
        let generated = try ProcessRunner.hallmark(["keys", "generate", "--algorithm", algorithm, "--out", "k"], in: dir.path)
        let keyID = generated.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try ProcessRunner.hallmark(["attest", "--predicate-type", "https://slsa.dev/provenance/v1", "--predicate", "predicate.json", "--subject", "app.tar.gz", "--key", "k.key", "--output", "app.intoto.jsonl"], in: dir.path).status == 0)
        let result = try ProcessRunner.run("python3", ["verify.py", "app.intoto.jsonl", "k.pub", keyID], in: dir.path)
        #expect(result.status == 0, "securesystemslib: \(result.stderr)")
        #expect(result.stdout.contains(keyID))
        #expect(result.stdout.contains("app.tar.gz"))
        // A tampered envelope is refused by securesystemslib as well.
        var text = String(decoding: try dir.read("app.intoto.jsonl"), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"payloadType\":\"application/vnd.in-toto+json\"", with: "\"payloadType\":\"application/vnd.in-toto+jsoN\"")
        try dir.write("tampered.jsonl", text)
        #expect(try ProcessRunner.run("python3", ["verify.py", "tampered.jsonl", "k.pub", keyID], in: dir.path).status != 0)
    }

    @Test func weVerifyEnvelopesSecureSystemsLibSigns() throws {
        let dir = try TemporaryDirectory()
        let signer = """
            import json, sys
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
            from cryptography.hazmat.primitives import serialization
            from securesystemslib.dsse import Envelope
            from securesystemslib.signer import CryptoSigner
            private = Ed25519PrivateKey.generate()
            signer = CryptoSigner(private)
            statement = {"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://example.com/p",
                         "predicate": {}, "subject": [{"name": "app", "digest": {"sha256": sys.argv[1]}}]}
            envelope = Envelope(json.dumps(statement).encode(), "application/vnd.in-toto+json", {})
            envelope.sign(signer)
            open("their.intoto.jsonl", "w").write(json.dumps(envelope.to_dict()) + "\\n")
            open("their.pub", "wb").write(private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
            """
        try dir.write("sign.py", signer)
        try dir.write("app", "app")
        let digest = try ProcessRunner.run("sha256sum", ["app"], in: dir.path).stdout.prefix(64)
        let signed = try ProcessRunner.run("python3", ["sign.py", String(digest)], in: dir.path)
        #expect(signed.status == 0, "\(signed.stderr)")
        let verified = try ProcessRunner.hallmark(["verify-attestation", "their.intoto.jsonl", "--key", "their.pub", "--subject", "app"], in: dir.path)
        #expect(verified.status == 0, "\(verified.stderr)")
    }
}
