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
        /// A CA (self-signed when `issuer` is nil) or a leaf, valid from now for `days`.
        func make(_ name: String, issuer: String?, ca: Bool, codeSigning: Bool = true, days: Int = 3650) throws {
            try run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "\(name).key"])
            var ext = ca ? "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n"
                : "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=URI:https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1\n"
            if !ca && codeSigning { ext += "extendedKeyUsage=codeSigning\n" }
            try dir.write("\(name).ext", ext)
            try run(["req", "-new", "-key", "\(name).key", "-subj", "/O=example/CN=\(name)", "-out", "\(name).csr"])
            var args = ["x509", "-req", "-in", "\(name).csr", "-extfile", "\(name).ext", "-out", "\(name).pem", "-days", String(days)]
            args += issuer.map { ["-CA", "\($0).pem", "-CAkey", "\($0).key", "-set_serial", "\(name.count + 10)"] } ?? ["-key", "\(name).key"]
            try run(args)
        }
    }

    @Test("A leaf chains to a trusted CA only at times inside every validity window; CA and non-code-signing leaves are refused")
    func chains() throws {
        let pki = PKI(dir: try TemporaryDirectory())
        let now = Date()
        let day: TimeInterval = 86_400
        try pki.make("root", issuer: nil, ca: true)
        try pki.make("intermediate", issuer: "root", ca: true)
        try pki.make("leaf", issuer: "intermediate", ca: false, days: 1)
        try pki.make("caleaf", issuer: "intermediate", ca: true)
        try pki.make("plainleaf", issuer: "intermediate", ca: false, codeSigning: false)
        let authority = TrustedRoot.Authority(
            uri: "https://fulcio.example", chain: [try pki.der("intermediate"), try pki.der("root")],
            validity: .init(start: now - 10 * day, end: now + 10 * day))
        let leaf = try SigningCertificate(der: try pki.der("leaf"), source: "leaf")
        #expect(leaf.leafProblems().isEmpty)
        #expect(leaf.identities == ["https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1"])
        let inside = now + 3600
        #expect((try? leaf.chain(to: [authority], at: [inside]).get())?.count == 2)
        // After the leaf expired, and before it was issued: refused — validity is checked at the signing time.
        for outside in [now + 2 * day, now - day] {
            guard case .failure(let error) = leaf.chain(to: [authority], at: [outside]) else {
                Issue.record("\(outside) must be refused")
                continue
            }
            #expect(error.message.contains("validity window"))
        }
        // Every verified time must be inside: one good and one bad time is refused.
        #expect((try? leaf.chain(to: [authority], at: [inside, now + 2 * day]).get()) == nil)
        // The CA is no longer trusted after its window closes (closed interval: its last second still counts).
        var closed = authority
        closed.validity = .init(start: now - 10 * day, end: inside)
        #expect((try? leaf.chain(to: [closed], at: [inside]).get()) != nil)
        closed.validity = .init(start: now - 10 * day, end: inside - 1)
        #expect((try? leaf.chain(to: [closed], at: [inside]).get()) == nil)
        // A CA of the same name but another key does not anchor the chain.
        let rogue = PKI(dir: try TemporaryDirectory())
        try rogue.make("root", issuer: nil, ca: true)
        try rogue.make("intermediate", issuer: "root", ca: true)
        let forged = TrustedRoot.Authority(uri: "https://rogue", chain: [try rogue.der("intermediate"), try rogue.der("root")], validity: authority.validity)
        #expect((try? leaf.chain(to: [forged], at: [inside]).get()) == nil)
        #expect(try SigningCertificate(der: try pki.der("caleaf"), source: "x").leafProblems().contains { $0.contains("CA certificate") })
        #expect(try SigningCertificate(der: try pki.der("plainleaf"), source: "x").leafProblems().contains { $0.contains("code-signing") })
        let intermediate = try SigningCertificate(der: try pki.der("intermediate"), source: "x").certificate
        #expect(leaf.verifySCT(issuer: intermediate, ctlogs: []) == "SCT: the signing certificate has no embedded SCT")
    }
}
