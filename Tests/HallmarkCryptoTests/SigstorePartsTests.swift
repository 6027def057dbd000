import Foundation
import HallmarkCore
@testable import HallmarkCrypto
import HallmarkTestSupport
import Testing

/// Transparency-log proofs, checkpoints and certificate chains built here, for the cases the conformance corpus
/// does not have.
@Suite("Sigstore parts built in code: Merkle proofs, signed notes, certificate chains")
struct SigstorePartsTests {
    // MARK: Merkle trees (RFC 6962 §2.1)

    static func hash(_ bytes: [UInt8]) -> [UInt8] { SHA256Hasher.hash(Data(bytes)) }

    static func root(_ leaves: [[UInt8]]) -> [UInt8] {
        if leaves.count == 1 { return TransparencyLog.leafHash(leaves[0]) }
        var k = 1
        while k * 2 < leaves.count { k *= 2 }
        return hash([0x01] + root(Array(leaves[..<k])) + root(Array(leaves[k...])))
    }

    static func path(_ index: Int, _ leaves: [[UInt8]]) -> [[UInt8]] {
        if leaves.count == 1 { return [] }
        var k = 1
        while k * 2 < leaves.count { k *= 2 }
        return index < k
            ? path(index, Array(leaves[..<k])) + [root(Array(leaves[k...]))]
            : path(index - k, Array(leaves[k...])) + [root(Array(leaves[..<k]))]
    }

    @Test("Every leaf of trees of 1 to 20 entries proves inclusion; a changed hash, index or size does not")
    func inclusionProofs() {
        for size in 1...20 {
            let leaves = (0..<size).map { Array("entry \($0)".utf8) }
            let expected = Self.root(leaves)
            for index in 0..<size {
                let proof = Self.path(index, leaves)
                let leaf = TransparencyLog.leafHash(leaves[index])
                #expect(TransparencyLog.rootFromInclusionProof(leaf: leaf, index: Int64(index), size: Int64(size), proof: proof) == expected, "\(index)/\(size)")
                if !proof.isEmpty {
                    var bad = proof
                    bad[0][0] ^= 1
                    #expect(TransparencyLog.rootFromInclusionProof(leaf: leaf, index: Int64(index), size: Int64(size), proof: bad) != expected)
                    #expect(TransparencyLog.rootFromInclusionProof(leaf: leaf, index: Int64(index), size: Int64(size), proof: proof + [proof[0]]) == nil)
                }
                if size > 1 {
                    let other = (index + 1) % size
                    #expect(TransparencyLog.rootFromInclusionProof(leaf: leaf, index: Int64(other), size: Int64(size), proof: proof) != expected)
                }
            }
            #expect(TransparencyLog.rootFromInclusionProof(leaf: TransparencyLog.leafHash(leaves[0]), index: Int64(size), size: Int64(size), proof: []) == nil)
        }
    }

    // MARK: Signed notes

    func note(origin: String, size: Int, root: [UInt8], signers: [(name: String, key: PrivateKey)]) throws -> String {
        let body = "\(origin)\n\(size)\n\(Base64.encode(root))\n"
        var text = body + "\n"
        for signer in signers {
            let raw = try #require(signer.key.publicKey.rawEd25519)
            let hint = Array(SHA256Hasher.hash(Data(Array(signer.name.utf8) + [0x0A, 0x01] + raw)).prefix(4))
            let signature = try signer.key.signature(for: Data(body.utf8))
            text += "\u{2014} \(signer.name) \(Base64.encode(hint + signature))\n"
        }
        return text
    }

    func log(_ key: PrivateKey, url: String) throws -> TrustedRoot.LogKey {
        TrustedRoot.LogKey(
            baseURL: url, logID: SHA256Hasher.hash(Data(key.publicKey.spkiDER)), spki: key.publicKey.spkiDER, key: key.publicKey,
            validity: .init(start: Date(timeIntervalSince1970: 0), end: nil))
    }

    @Test("Checkpoints: the log's own signature counts, witnesses are ignored, other names and keys are not accepted")
    func checkpoints() throws {
        let logKey = try PrivateKey.generate(.ed25519)
        let witness = try PrivateKey.generate(.ed25519)
        let trusted = try log(logKey, url: "https://log.example.com")
        let root = Array(repeating: UInt8(7), count: 32)
        let signed = try TransparencyLog.Checkpoint(parsing: note(origin: "log.example.com", size: 12, root: root,
                                                                  signers: [("witness.example", witness), ("log.example.com", logKey)]))
        #expect(signed.size == 12 && signed.rootHash == root)
        #expect(signed.isSigned(by: trusted))
        let wrongName = try TransparencyLog.Checkpoint(parsing: note(origin: "log.example.com", size: 12, root: root, signers: [("other.example", logKey)]))
        #expect(!wrongName.isSigned(by: trusted))
        let wrongKey = try TransparencyLog.Checkpoint(parsing: note(origin: "log.example.com", size: 12, root: root, signers: [("log.example.com", witness)]))
        #expect(!wrongKey.isSigned(by: trusted))
        // A changed body breaks the signature.
        let text = try note(origin: "log.example.com", size: 12, root: root, signers: [("log.example.com", logKey)])
        let changed = try TransparencyLog.Checkpoint(parsing: text.replacingOccurrences(of: "\n12\n", with: "\n13\n"))
        #expect(!changed.isSigned(by: trusted))
        for broken in ["log.example.com\n12\n", "log.example.com\n12\n\n\u{2014} x AAAA\n", "log.example.com\nx\nAAAA\n\n"] {
            #expect(throws: HallmarkError.verificationFailed("")) { try TransparencyLog.Checkpoint(parsing: broken) }
        }
    }

    // MARK: Certificate chains, made with openssl

    struct PKI {
        let dir: TemporaryDirectory
        func run(_ args: [String]) throws {
            let result = try ProcessRunner.run("openssl", args, in: dir.path)
            guard result.status == 0 else { throw FixtureError("openssl \(args.joined(separator: " ")): \(result.stderr)") }
        }
        func der(_ name: String) throws -> [UInt8] {
            try run(["x509", "-in", "\(name).pem", "-outform", "DER", "-out", "\(name).der"])
            return Array(try dir.read("\(name).der"))
        }
        /// A CA (self-signed when `issuer` is nil) or a leaf, valid from now for `days`. `extensions` replaces the
        /// default extensions when given.
        func make(_ name: String, issuer: String?, ca: Bool, codeSigning: Bool = true, days: Int = 3650, extensions: String? = nil) throws {
            try run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "\(name).key"])
            var ext = ca ? "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n"
                : "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=URI:https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1\n"
            if !ca && codeSigning { ext += "extendedKeyUsage=codeSigning\n" }
            if let extensions { ext = extensions }
            try dir.write("\(name).ext", ext)
            try run(["req", "-new", "-key", "\(name).key", "-subj", "/O=example/CN=\(name)", "-out", "\(name).csr"])
            var args = ["x509", "-req", "-in", "\(name).csr", "-extfile", "\(name).ext", "-out", "\(name).pem", "-days", String(days)]
            args += issuer.map { ["-CA", "\($0).pem", "-CAkey", "\($0).key", "-set_serial", "\(name.count + 10)"] } ?? ["-key", "\(name).key"]
            try run(args)
        }
    }

    static func authority(_ pki: PKI, _ names: [String], from start: Date, to end: Date?) throws -> TrustedRoot.Authority {
        try TrustedRoot.Authority(uri: "https://fulcio.example", chainDER: names.map { try pki.der($0) }, validity: .init(start: start, end: end))
    }

    static func validate(_ leaf: [UInt8], _ authorities: [TrustedRoot.Authority], at times: [Date], purpose: CertificatePathValidator.Purpose = .codeSigning) async throws -> Result<ValidatedPath, VerificationProblem> {
        await CertificatePathValidator.validate(try SigningCertificate(der: leaf, source: "leaf").certificate, purpose: purpose, authorities: authorities, at: times)
    }

    static func code(_ result: Result<ValidatedPath, VerificationProblem>) -> ProblemCode? {
        if case .failure(let problem) = result { return problem.code }
        return nil
    }

    @Test("A leaf validates to a trusted CA only at times inside every validity window (swift-certificates' Verifier)")
    func chains() async throws {
        let pki = PKI(dir: try TemporaryDirectory())
        let now = Date()
        let day: TimeInterval = 86_400
        try pki.make("root", issuer: nil, ca: true)
        try pki.make("intermediate", issuer: "root", ca: true)
        try pki.make("leaf", issuer: "intermediate", ca: false, days: 1)
        let authority = try Self.authority(pki, ["intermediate", "root"], from: now - 10 * day, to: now + 10 * day)
        let leaf = try pki.der("leaf")
        #expect(try SigningCertificate(der: leaf, source: "leaf").identities == ["https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1"])
        let inside = now + 3600
        let valid = try await Self.validate(leaf, [authority], at: [inside])
        #expect(Self.code(valid) == nil)
        #expect((try? valid.get())?.length == 3)
        // After the leaf expired, and before it was issued: refused — validity is checked at the signing time.
        for outside in [now + 2 * day, now - day] {
            #expect(Self.code(try await Self.validate(leaf, [authority], at: [outside])) == .chainExpired)
        }
        // Every verified time must be inside: one good and one bad time is refused.
        #expect(Self.code(try await Self.validate(leaf, [authority], at: [inside, now + 2 * day])) == .chainExpired)
        // No verified time: nothing to validate at.
        #expect(Self.code(try await Self.validate(leaf, [authority], at: [])) == .timestampMissing)
        // The CA is no longer trusted after its window closes (closed interval: its last second still counts).
        var closed = authority
        closed.validity = .init(start: now - 10 * day, end: inside)
        #expect(Self.code(try await Self.validate(leaf, [closed], at: [inside])) == nil)
        closed.validity = .init(start: now - 10 * day, end: inside - 1)
        #expect(Self.code(try await Self.validate(leaf, [closed], at: [inside])) == .chainOutsideValidity)
        // A CA of the same name but another key does not anchor the chain.
        let rogue = PKI(dir: try TemporaryDirectory())
        try rogue.make("root", issuer: nil, ca: true)
        try rogue.make("intermediate", issuer: "root", ca: true)
        let forged = try Self.authority(rogue, ["intermediate", "root"], from: now - 10 * day, to: nil)
        #expect(Self.code(try await Self.validate(leaf, [forged], at: [inside])) == .chainUntrusted)
        // No embedded SCT.
        let intermediate = try SigningCertificate(der: try pki.der("intermediate"), source: "x").certificate
        guard case .failure(let sct) = try SigningCertificate(der: leaf, source: "x").verifySCT(issuer: intermediate, ctlogs: []) else {
            Issue.record("a leaf without SCT must fail")
            return
        }
        #expect(sct.code == .sctMissing)
    }

    @Test("Certificate policies: code-signing leaves, issuer key usage, path length, unknown critical extensions, TSA leaves")
    func policies() async throws {
        let pki = PKI(dir: try TemporaryDirectory())
        let now = Date()
        let day: TimeInterval = 86_400
        let san = "subjectAltName=URI:https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1\n"
        let leafBase = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        try pki.make("root", issuer: nil, ca: true)
        try pki.make("intermediate", issuer: "root", ca: true)
        try pki.make("caleaf", issuer: "intermediate", ca: true)
        try pki.make("plainleaf", issuer: "intermediate", ca: false, codeSigning: false)
        try pki.make("nosan", issuer: "intermediate", ca: false, extensions: leafBase + "extendedKeyUsage=codeSigning\n")
        try pki.make("critical", issuer: "intermediate", ca: false, extensions: leafBase + san + "extendedKeyUsage=codeSigning\n1.2.3.4=critical,ASN1:UTF8String:unknown\n")
        // An issuer that may not sign certificates, and a path longer than the root allows.
        try pki.make("nokeycertsign", issuer: "root", ca: true, extensions: "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature\n")
        try pki.make("under-nokeycertsign", issuer: "nokeycertsign", ca: false)
        try pki.make("pathroot", issuer: nil, ca: true, extensions: "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign\n")
        try pki.make("subca", issuer: "pathroot", ca: true)
        try pki.make("under-subca", issuer: "subca", ca: false)
        let authority = try Self.authority(pki, ["intermediate", "root"], from: now - day, to: nil)
        let inside = now + 3600
        for name in ["caleaf", "plainleaf", "nosan"] {
            let certificate = try SigningCertificate(der: try pki.der(name), source: name).certificate
            #expect(CodeSigningLeafPolicy.problem(with: certificate) != nil, "\(name)")
            #expect(Self.code(try await Self.validate(try pki.der(name), [authority], at: [inside])) == .chainUntrusted, "\(name)")
        }
        #expect(Self.code(try await Self.validate(try pki.der("critical"), [authority], at: [inside])) == .chainUntrusted)
        let weak = try Self.authority(pki, ["nokeycertsign", "root"], from: now - day, to: nil)
        #expect(Self.code(try await Self.validate(try pki.der("under-nokeycertsign"), [weak], at: [inside])) == .chainUntrusted)
        let long = try Self.authority(pki, ["subca", "pathroot"], from: now - day, to: nil)
        #expect(Self.code(try await Self.validate(try pki.der("under-subca"), [long], at: [inside])) == .chainUntrusted)

        // Timestamp authorities: time stamping only, and critical (RFC 3161 §2.3).
        try pki.make("tsa", issuer: "intermediate", ca: false, extensions: "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n")
        try pki.make("tsa-noncritical", issuer: "intermediate", ca: false, extensions: "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=timeStamping\n")
        try pki.make("tsa-codesigning", issuer: "intermediate", ca: false, extensions: "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping,codeSigning\n")
        for (name, expected) in [("tsa", nil), ("tsa-noncritical", ProblemCode.timestampUntrusted), ("tsa-codesigning", .timestampUntrusted)] {
            let tsa = try Self.authority(pki, [name, "intermediate", "root"], from: now - day, to: nil)
            #expect(Self.code(try await Self.validate(try pki.der(name), [tsa], at: [inside], purpose: .timeStamping)) == expected, "\(name)")
        }
    }
}
