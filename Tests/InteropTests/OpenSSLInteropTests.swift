import Foundation
import HallmarkTestSupport
import Testing

/// Hallmark and openssl must accept each other's keys and signatures.
@Suite struct OpenSSLInteropTests {
    func openssl(_ arguments: [String], in dir: TemporaryDirectory, sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessOutput {
        let result = try ProcessRunner.run("openssl", arguments, in: dir.path)
        #expect(result.status == 0, "openssl \(arguments.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }

    func hallmark(_ arguments: [String], in dir: TemporaryDirectory, environment: [String: String] = [:]) throws -> ProcessOutput {
        try ProcessRunner.hallmark(arguments, in: dir.path, environment: environment)
    }

    /// Decodes a Hallmark base64 signature file to the raw bytes openssl reads.
    func rawSignature(_ dir: TemporaryDirectory, _ name: String, to output: String) throws {
        let text = String(decoding: try dir.read(name), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        try dir.write(output, try #require(Data(base64Encoded: text)))
    }

    @Test("Key fingerprints as ssh-keygen -l prints them (the default DSSE key id verify-vsa expects)")
    func sshFingerprints() throws {
        let dir = try TemporaryDirectory()
        // ssh-keygen cannot import an Ed25519 PKCS#8 key: make it there, and wrap its raw key in an SPKI here.
        #expect(try ProcessRunner.run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", "ed25519"], in: dir.path).status == 0)
        let line = String(decoding: try dir.read("ed25519.pub"), as: UTF8.self).split(separator: " ")
        let blob = try #require(Data(base64Encoded: String(line[1])))
        let spki = Data([0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]) + blob.suffix(32)
        try dir.write("ed25519-spki.pub", "-----BEGIN PUBLIC KEY-----\n\(spki.base64EncodedString())\n-----END PUBLIC KEY-----\n")
        let edExpected = try ProcessRunner.run("ssh-keygen", ["-l", "-E", "sha256", "-f", "ed25519.pub"], in: dir.path).stdout.split(separator: " ")[1]
        let edInfo = try hallmark(["keys", "id", "ed25519-spki.pub", "--format", "json"], in: dir)
        #expect((try JSONSerialization.jsonObject(with: edInfo.stdoutData) as? [String: Any])?["sshFingerprint"] as? String == String(edExpected))
        let keys: [(String, [String])] = [
            ("p256", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
            ("p384", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]), ("rsa", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]),
        ]
        for (name, generate) in keys {
            _ = try openssl(generate + ["-out", "\(name).key"], in: dir)
            _ = try openssl(["pkey", "-in", "\(name).key", "-pubout", "-out", "\(name).pub"], in: dir)
            let converted = try ProcessRunner.run("ssh-keygen", ["-i", "-m", "PKCS8", "-f", "\(name).pub"], in: dir.path)
            #expect(converted.status == 0, "\(name): \(converted.stderr)")
            try dir.write("\(name).ssh.pub", converted.stdout)
            let expected = try ProcessRunner.run("ssh-keygen", ["-l", "-E", "sha256", "-f", "\(name).ssh.pub"], in: dir.path).stdout.split(separator: " ")[1]
            let info = try hallmark(["keys", "id", "\(name).pub", "--format", "json"], in: dir)
            let object = try #require(try JSONSerialization.jsonObject(with: info.stdoutData) as? [String: Any])
            #expect(object["sshFingerprint"] as? String == String(expected), "\(name)")
        }
    }

    @Test func opensslVerifiesOurEd25519AndECDSASignatures() throws {
        let dir = try TemporaryDirectory()
        try dir.write("artifact.bin", Data((0..<10_000).map { UInt8($0 % 251) }))
        for algorithm in ["ed25519", "ecdsa-p256", "ecdsa-p384"] {
            #expect(try hallmark(["keys", "generate", "--algorithm", algorithm, "--out", algorithm], in: dir).status == 0)
            #expect(try hallmark(["sign-blob", "artifact.bin", "--key", "\(algorithm).key", "--output-signature", "\(algorithm).sig"], in: dir).status == 0)
            try rawSignature(dir, "\(algorithm).sig", to: "\(algorithm).sig.bin")
            let verify: [String] = algorithm == "ed25519"
                ? ["pkeyutl", "-verify", "-pubin", "-inkey", "\(algorithm).pub", "-rawin", "-in", "artifact.bin", "-sigfile", "\(algorithm).sig.bin"]
                : ["dgst", algorithm == "ecdsa-p384" ? "-sha384" : "-sha256", "-verify", "\(algorithm).pub", "-signature", "\(algorithm).sig.bin", "artifact.bin"]
            let result = try openssl(verify, in: dir)
            #expect(result.stdout.contains("Verified") || result.stdout.contains("Signature Verified Successfully"), "\(algorithm): \(result.stdout)")
            // openssl reads our private keys too, and derives the same public key.
            let derived = try openssl(["pkey", "-in", "\(algorithm).key", "-pubout"], in: dir)
            #expect(derived.stdout == String(decoding: try dir.read("\(algorithm).pub"), as: UTF8.self))
        }
    }

    @Test func ourEd25519SignaturesAreByteIdenticalToOpenSSLs() throws {
        let dir = try TemporaryDirectory()
        try dir.write("artifact.bin", "same bytes\n")
        _ = try openssl(["genpkey", "-algorithm", "ed25519", "-out", "ed.key"], in: dir)
        _ = try openssl(["pkeyutl", "-sign", "-inkey", "ed.key", "-rawin", "-in", "artifact.bin", "-out", "openssl.sig"], in: dir)
        #expect(try hallmark(["sign-blob", "artifact.bin", "--key", "ed.key"], in: dir).status == 0)
        try rawSignature(dir, "artifact.bin.sig", to: "ours.sig.bin")
        #expect(try dir.read("ours.sig.bin") == dir.read("openssl.sig"))
    }

    @Test func weVerifyOpenSSLSignaturesForEveryKeyType() throws {
        let dir = try TemporaryDirectory()
        try dir.write("artifact.bin", Data((0..<5000).map { UInt8($0 % 253) }))
        // Ed25519 via pkeyutl -rawin.
        _ = try openssl(["genpkey", "-algorithm", "ed25519", "-out", "ed.key"], in: dir)
        _ = try openssl(["pkey", "-in", "ed.key", "-pubout", "-out", "ed.pub"], in: dir)
        _ = try openssl(["pkeyutl", "-sign", "-inkey", "ed.key", "-rawin", "-in", "artifact.bin", "-out", "ed.sig"], in: dir)
        // ECDSA P-256 (PKCS#8 from genpkey) and P-384 (SEC1 from ecparam), DER signatures from dgst.
        _ = try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "p256.key"], in: dir)
        _ = try openssl(["ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "p384.key"], in: dir)
        // RSA, PKCS#1 v1.5 and PSS (salt = digest length), with SPKI and PKCS#1 public keys.
        _ = try openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.key"], in: dir)
        _ = try openssl(["rsa", "-in", "rsa.key", "-RSAPublicKey_out", "-out", "rsa-pkcs1.pub"], in: dir)
        for name in ["p256", "p384", "rsa"] {
            _ = try openssl(["pkey", "-in", "\(name).key", "-pubout", "-out", "\(name).pub"], in: dir)
            _ = try openssl(["dgst", "-sha256", "-sign", "\(name).key", "-out", "\(name).sig", "artifact.bin"], in: dir)
        }
        _ = try openssl(["dgst", "-sha256", "-sign", "rsa.key", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest", "-out", "rsa-pss.sig", "artifact.bin"], in: dir)

        for (key, signature) in [("ed.pub", "ed.sig"), ("p256.pub", "p256.sig"), ("p384.pub", "p384.sig"), ("rsa.pub", "rsa.sig"),
                                 ("rsa-pkcs1.pub", "rsa.sig"), ("rsa.pub", "rsa-pss.sig")] {
            let result = try hallmark(["verify-blob", "artifact.bin", "--key", key, "--signature", signature], in: dir)
            #expect(result.status == 0, "\(key) \(signature): \(result.stderr)")
        }
        // And a signature by one key never verifies under another.
        let crossed = try hallmark(["verify-blob", "artifact.bin", "--key", "p256.pub", "--signature", "p384.sig"], in: dir)
        #expect(crossed.status == 1)
        // Hallmark signs with openssl's private keys (PKCS#8 and SEC1), and openssl verifies.
        for name in ["p256", "p384"] {
            #expect(try hallmark(["sign-blob", "artifact.bin", "--key", "\(name).key", "--output-signature", "\(name).ours"], in: dir).status == 0)
            try rawSignature(dir, "\(name).ours", to: "\(name).ours.bin")
            _ = try openssl(["dgst", name == "p384" ? "-sha384" : "-sha256", "-verify", "\(name).pub", "-signature", "\(name).ours.bin", "artifact.bin"], in: dir)
        }
        let rsaSign = try hallmark(["sign-blob", "artifact.bin", "--key", "rsa.key"], in: dir)
        #expect(rsaSign.status == 2)
        #expect(rsaSign.stderr.contains("RSA keys can verify but not sign"))
    }

    @Test func encryptedKeysWorkBothWays() throws {
        let dir = try TemporaryDirectory()
        try dir.write("artifact.bin", "encrypted key test\n")
        let env = ["HALLMARK_KEY_PASSWORD": "pass phrase"]
        // openssl-encrypted PKCS#8 (PBES2, AES-256-CBC) → Hallmark signs with it.
        for (name, algorithm) in [("ed", ["-algorithm", "ed25519"]), ("ec", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])] {
            _ = try openssl(["genpkey"] + algorithm + ["-aes-256-cbc", "-pass", "pass:pass phrase", "-out", "\(name).key"], in: dir)
            _ = try openssl(["pkey", "-in", "\(name).key", "-passin", "pass:pass phrase", "-pubout", "-out", "\(name).pub"], in: dir)
            let signed = try hallmark(["sign-blob", "artifact.bin", "--key", "\(name).key", "--output-signature", "\(name).sig"], in: dir, environment: env)
            #expect(signed.status == 0, "\(signed.stderr)")
            #expect(try hallmark(["verify-blob", "artifact.bin", "--key", "\(name).pub", "--signature", "\(name).sig"], in: dir).status == 0)
            let wrong = try hallmark(["sign-blob", "artifact.bin", "--key", "\(name).key", "--output-signature", "x.sig"], in: dir, environment: ["HALLMARK_KEY_PASSWORD": "wrong"])
            #expect(wrong.status == 2)
            #expect(wrong.stderr.contains("wrong passphrase"))
        }
        // Hallmark-encrypted key → openssl decrypts it to the same public key.
        #expect(try hallmark(["keys", "generate", "--out", "ours", "--encrypt"], in: dir, environment: env).status == 0)
        let derived = try openssl(["pkey", "-in", "ours.key", "-passin", "pass:pass phrase", "-pubout"], in: dir)
        #expect(derived.stdout == String(decoding: try dir.read("ours.pub"), as: UTF8.self))
        let refused = try ProcessRunner.run("openssl", ["pkey", "-in", "ours.key", "-passin", "pass:wrong", "-pubout"], in: dir.path)
        #expect(refused.status != 0)
    }
}
