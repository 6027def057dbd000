import Crypto
import CryptoExtras
import Foundation
import HallmarkCore
import SwiftASN1
import X509

/// Verifies a Sigstore bundle offline: the signature, who signed it (certificate identity or a given key), and
/// that the signing was logged (inclusion proof, checkpoint, signed entry timestamp) and/or time-stamped.
public struct BundleVerifier: Sendable {
    public enum Artifact: Sendable {
        case bytes(Data)
        case sha256([UInt8])
    }

    public struct IdentityPolicy: Sendable {
        public var identity: String?
        public var identityRegex: String?
        public var issuer: String
        /// Fulcio extension arc → expected value (GitHub workflow claims).
        public var claims: [(arc: UInt, name: String, value: String)]

        public init(identity: String?, identityRegex: String?, issuer: String, claims: [(arc: UInt, name: String, value: String)] = []) {
            self.identity = identity
            self.identityRegex = identityRegex
            self.issuer = issuer
            self.claims = claims
        }
    }

    public enum Policy: Sendable {
        case identity(IdentityPolicy)
        case key(PublicKey)
    }

    public struct Result: Codable, Sendable {
        public var verified: Bool
        public var problems: [String]
        public var mediaType: String
        public var identity: String?
        public var issuer: String?
        public var keyId: String?
        public var signingTime: String?
        public var signingTimeSource: String?
        public var logIndex: Int64?
        public var statement: JSONValue?
    }

    public var trustedRoot: TrustedRoot

    public init(trustedRoot: TrustedRoot) { self.trustedRoot = trustedRoot }

    public func verify(_ bundle: SigstoreBundle, artifact: Artifact, policy: Policy) -> Result {
        var problems: [String] = []
        var result = Result(verified: false, problems: [], mediaType: bundle.mediaType)

        // The artifact's digest.
        let digest: [UInt8]
        switch artifact {
        case .bytes(let data): digest = Array(SHA256.hash(data: data))
        case .sha256(let d): digest = d
        }

        // Who signed: a certificate, or the given key.
        var leaf: SigningCertificate?
        var key: PublicKey?
        switch (bundle.material, policy) {
        case (.publicKey, .key(let given)):
            key = given
        case (.publicKey, .identity):
            problems.append("identity: the bundle was signed with a key, not a certificate; verify it with --key")
        case (.certificate(let der), .identity):
            leaf = try? SigningCertificate(der: der, source: "bundle")
        case (.certificateChain(let ders), .identity):
            let certs = ders.compactMap { try? Certificate(derEncoded: $0) }
            if certs.contains(where: { SigningCertificate.linksVerify([$0], leafIsCA: true) }) {
                problems.append("chain: the bundle includes a root certificate; only trusted roots may anchor a chain")
            }
            leaf = try? SigningCertificate(der: ders[0], source: "bundle")
        case (.certificate, .key), (.certificateChain, .key):
            problems.append("signature: the bundle carries a certificate; verify it with --certificate-identity and --certificate-oidc-issuer")
        }
        if let leaf {
            key = leaf.publicKey
            if key == nil { problems.append("signature: the certificate's public key is not supported") }
        }
        result.keyId = key?.keyID

        // The signature over the artifact (or the DSSE envelope).
        if let key {
            switch bundle.content {
            case .messageSignature(let algorithm, let stated, let signature):
                if let stated, (algorithm ?? "SHA2_256") == "SHA2_256", stated != digest {
                    problems.append("signature: the bundle's message digest does not match the artifact")
                }
                let valid: Bool
                switch artifact {
                case .bytes(let data): valid = key.isValidSignature(signature, for: data)
                case .sha256(let d): valid = key.isValidSignature(signature, forSHA256: d)
                }
                if !valid { problems.append("signature: the signature does not verify for the artifact with the signer's key") }
            case .dsse(let envelope, let signature, let payload):
                let pae = DSSEEnvelope.pae(payloadType: envelope.payloadType, payload: Data(payload))
                if !key.isValidSignature(signature, for: pae) { problems.append("signature: the DSSE envelope's signature does not verify") }
                if let statement = try? JSONValue(parsing: Data(payload)) {
                    result.statement = statement
                    let subjects = statement["subject"]?.arrayValue ?? []
                    let hex = Hex.encode(digest)
                    if !subjects.contains(where: { $0["digest"]?["sha256"]?.stringValue?.lowercased() == hex }) {
                        problems.append("signature: the artifact's sha256 is not a subject of the in-toto Statement")
                    }
                } else {
                    problems.append("signature: the DSSE payload is not an in-toto Statement")
                }
            }
        }

        // Transparency log entries.
        var times: [(Date, String)] = []
        // A certificate is short-lived: without a logged or stamped signing time it proves nothing. A bundle
        // signed with a long-lived key the verifier names may carry neither (Hallmark writes such bundles).
        if bundle.tlogEntries.isEmpty && bundle.timestamps.isEmpty, case .identity = policy {
            problems.append("log body: the bundle has no transparency log entry and no timestamp")
        }
        for entry in bundle.tlogEntries {
            checkEntry(entry, bundle: bundle, digest: digest, leaf: leaf, key: key, problems: &problems, times: &times)
            result.logIndex = result.logIndex ?? entry.logIndex
        }
        // RFC 3161 timestamps.
        for der in bundle.timestamps {
            do {
                let stamp = try RFC3161Timestamp(der: der)
                if let problem = stamp.problem(covering: bundle.signature, authorities: trustedRoot.timestampAuthorities) {
                    problems.append(problem)
                } else {
                    times.append((stamp.genTime, "rfc3161"))
                }
            } catch {
                problems.append(error.message)
            }
        }
        // Rekor v2 entries (hashedrekord and dsse 0.0.2) carry no signed time: a timestamp authority must give it.
        let rekorV2 = bundle.tlogEntries.contains { ($0.kind == "hashedrekord" || $0.kind == "dsse") && $0.kindVersion == "0.0.2" }
        if rekorV2 && !times.contains(where: { $0.1 == "rfc3161" }) {
            problems.append("timestamp: a Rekor v2 entry needs an RFC 3161 timestamp for its signing time")
        }

        // The certificate: chain, validity at every verified time, SCT, identity.
        if let leaf, case .identity(let identity) = policy {
            if times.isEmpty {
                problems.append("timestamp: no verified signing time (no signed entry timestamp or RFC 3161 timestamp verified)")
            }
            problems += leaf.leafProblems()
            switch leaf.chain(to: trustedRoot.certificateAuthorities, at: times.map(\.0)) {
            case .success(let chain):
                if let first = chain.first, let sct = leaf.verifySCT(issuer: first, ctlogs: trustedRoot.ctlogs) { problems.append(sct) }
            case .failure(let error):
                problems.append(error.message)
            }
            let sans = leaf.identities
            result.identity = sans.first
            result.issuer = leaf.oidcIssuer
            if let exact = identity.identity, !sans.contains(exact) {
                problems.append("identity: the certificate's identity is \(sans.joined(separator: ", ")), not \(exact)")
            }
            if let pattern = identity.identityRegex {
                let anchored = "^(?:\(pattern))$"
                let regex = try? NSRegularExpression(pattern: anchored)
                if regex == nil { problems.append("identity: --certificate-identity-regexp is not a valid regular expression") }
                if let regex, !sans.contains(where: { regex.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil }) {
                    problems.append("identity: no certificate identity (\(sans.joined(separator: ", "))) matches \(pattern)")
                }
            }
            if leaf.oidcIssuer != identity.issuer {
                problems.append("issuer: the certificate's OIDC issuer is \(leaf.oidcIssuer ?? "missing"), not \(identity.issuer)")
            }
            for claim in identity.claims where leaf.fulcioExtension(claim.arc) != claim.value {
                problems.append("identity: the certificate's \(claim.name) is \(leaf.fulcioExtension(claim.arc) ?? "missing"), not \(claim.value)")
            }
        }

        if let first = times.min(by: { $0.0 < $1.0 }) {
            result.signingTime = RFC3339.format(unixSeconds: Int64(first.0.timeIntervalSince1970))
            result.signingTimeSource = first.1
        }
        var seen = Set<String>()
        result.problems = problems.filter { seen.insert($0).inserted }
        result.verified = problems.isEmpty
        return result
    }

    private func checkEntry(
        _ entry: SigstoreBundle.TlogEntry, bundle: SigstoreBundle, digest: [UInt8], leaf: SigningCertificate?, key: PublicKey?,
        problems: inout [String], times: inout [(Date, String)]
    ) {
        guard let log = trustedRoot.tlogs.first(where: { $0.logID == entry.logID }) else {
            problems.append("log body: the entry's log \(Base64.encode(entry.logID)) is not in the trusted root")
            return
        }
        problems += bodyProblems(entry, bundle: bundle, digest: digest, leaf: leaf, key: key)
        // Inclusion proof and checkpoint.
        if let proof = entry.inclusionProof {
            let computed = TransparencyLog.rootFromInclusionProof(
                leaf: TransparencyLog.leafHash(entry.canonicalizedBody), index: proof.logIndex, size: proof.treeSize, proof: proof.hashes)
            if computed == nil || computed! != proof.rootHash {
                problems.append("inclusion proof: the proof does not lead to its root hash")
            }
            if let text = proof.checkpoint {
                do {
                    let checkpoint = try TransparencyLog.Checkpoint(parsing: text)
                    if checkpoint.rootHash != proof.rootHash || checkpoint.size != proof.treeSize {
                        problems.append("checkpoint: its root hash or size differs from the inclusion proof's")
                    }
                    if !checkpoint.isSigned(by: log) { problems.append("checkpoint: not signed by the log's key") }
                } catch {
                    problems.append(error.message)
                }
            } else {
                problems.append("checkpoint: the inclusion proof has no checkpoint")
            }
        }
        // Signed entry timestamp.
        if let set = entry.signedEntryTimestamp {
            let payload = TransparencyLog.signedEntryTimestampPayload(
                body: entry.canonicalizedBody, integratedTime: entry.integratedTime, logID: entry.logID, logIndex: entry.logIndex)
            if log.key.isValidSignature(set, for: payload) {
                let time = Date(timeIntervalSince1970: TimeInterval(entry.integratedTime))
                if log.validity.contains(time) {
                    times.append((time, "signed entry timestamp"))
                } else {
                    problems.append("validity window: the log key is not trusted at the entry's integrated time")
                }
            } else {
                problems.append("signed entry timestamp: the signature does not verify with the log's key")
            }
        }
    }

    /// The entry body must record this bundle's digest, signature and key or certificate.
    private func bodyProblems(_ entry: SigstoreBundle.TlogEntry, bundle: SigstoreBundle, digest: [UInt8], leaf: SigningCertificate?, key: PublicKey?) -> [String] {
        guard let body = try? JSONValue(parsing: Data(entry.canonicalizedBody)) else { return ["log body: the entry body is not JSON"] }
        guard body["kind"]?.stringValue == entry.kind, body["apiVersion"]?.stringValue == entry.kindVersion else {
            return ["log body: the entry body's kind or version differs from kindVersion"]
        }
        let spec = body["spec"]
        func verifierMatches(pemBase64: String?) -> Bool {
            guard let pemBase64, let pemData = Base64.decode(pemBase64),
                let pem = try? PEMDocument(parsing: String(decoding: pemData, as: UTF8.self), source: "log body")
            else { return false }
            if let leaf { return pem.der == leaf.der }
            return key.map { pem.der == $0.spkiDER } ?? false
        }
        func verifierMatches(v2: JSONValue?) -> Bool {
            if let leaf, let raw = v2?["x509Certificate"]?["rawBytes"]?.stringValue { return Base64.decode(raw).map(Array.init) == leaf.der }
            if leaf == nil, let key, let raw = v2?["publicKey"]?["rawBytes"]?.stringValue { return Base64.decode(raw).map(Array.init) == key.spkiDER }
            return false
        }
        var problems: [String] = []
        switch (entry.kind, entry.kindVersion, bundle.content) {
        case ("hashedrekord", "0.0.1", .messageSignature(_, _, let signature)):
            if spec?["data"]?["hash"]?["value"]?.stringValue?.lowercased() != Hex.encode(digest) { problems.append("log body: the logged digest is not the artifact's") }
            if spec?["signature"]?["content"]?.stringValue.flatMap(Base64.decode).map(Array.init) != signature { problems.append("log body: the logged signature is not the bundle's") }
            if !verifierMatches(pemBase64: spec?["signature"]?["publicKey"]?["content"]?.stringValue) { problems.append("log body: the logged certificate or key is not the bundle's") }
        case ("hashedrekord", "0.0.2", .messageSignature(_, _, let signature)):
            let v2 = spec?["hashedRekordV002"]
            if v2?["data"]?["digest"]?.stringValue.flatMap(Base64.decode).map(Array.init) != digest { problems.append("log body: the logged digest is not the artifact's") }
            if v2?["signature"]?["content"]?.stringValue.flatMap(Base64.decode).map(Array.init) != signature { problems.append("log body: the logged signature is not the bundle's") }
            if !verifierMatches(v2: v2?["signature"]?["verifier"]) { problems.append("log body: the logged certificate or key is not the bundle's") }
        case ("hashedrekord", "0.0.2", .dsse(let envelope, let signature, let payload)):
            // "hashedrekord over DSSE" (Rekor v2): the log stores the digest of the envelope's PAE.
            let v2 = spec?["hashedRekordV002"]
            let pae = DSSEEnvelope.pae(payloadType: envelope.payloadType, payload: Data(payload))
            if v2?["data"]?["digest"]?.stringValue.flatMap(Base64.decode).map(Array.init) != Array(SHA256.hash(data: pae)) { problems.append("log body: the logged digest is not the envelope's PAE digest") }
            if v2?["signature"]?["content"]?.stringValue.flatMap(Base64.decode).map(Array.init) != signature { problems.append("log body: the logged signature is not the envelope's") }
            if !verifierMatches(v2: v2?["signature"]?["verifier"]) { problems.append("log body: the logged certificate or key is not the bundle's") }
        case ("dsse", "0.0.1", .dsse(_, let signature, let payload)):
            if spec?["payloadHash"]?["value"]?.stringValue?.lowercased() != Hex.encode(SHA256.hash(data: payload)) { problems.append("log body: the logged payload hash is not the envelope's") }
            let sigs = spec?["signatures"]?.arrayValue ?? []
            if sigs.count != 1 || sigs[0]["signature"]?.stringValue.flatMap(Base64.decode).map(Array.init) != signature { problems.append("log body: the logged signatures are not the envelope's") }
            if sigs.count == 1 && !verifierMatches(pemBase64: sigs[0]["verifier"]?.stringValue) { problems.append("log body: the logged certificate or key is not the bundle's") }
        case ("dsse", "0.0.2", .dsse(_, let signature, let payload)):
            let v2 = spec?["dsseV002"]
            if v2?["payloadHash"]?["digest"]?.stringValue.flatMap(Base64.decode).map(Array.init) != Array(SHA256.hash(data: payload)) { problems.append("log body: the logged payload hash is not the envelope's") }
            let sigs = v2?["signatures"]?.arrayValue ?? []
            if sigs.count != 1 || sigs[0]["content"]?.stringValue.flatMap(Base64.decode).map(Array.init) != signature { problems.append("log body: the logged signatures are not the envelope's") }
            if sigs.count == 1 && !verifierMatches(v2: sigs[0]["verifier"]) { problems.append("log body: the logged certificate or key is not the bundle's") }
        case ("intoto", "0.0.2", .dsse(let envelope, let signature, let payload)):
            let content = spec?["content"]
            if content?["payloadHash"]?["value"]?.stringValue?.lowercased() != Hex.encode(SHA256.hash(data: payload)) { problems.append("log body: the logged payload hash is not the envelope's") }
            if content?["envelope"]?["payloadType"]?.stringValue != envelope.payloadType { problems.append("log body: the logged payload type is not the envelope's") }
            let sigs = content?["envelope"]?["signatures"]?.arrayValue ?? []
            // intoto 0.0.2 stores each signature base64-encoded twice.
            let logged = sigs.first?["sig"]?.stringValue.flatMap(Base64.decode).flatMap { Base64.decode(String(decoding: $0, as: UTF8.self)) }.map(Array.init)
            if sigs.count != 1 || logged != signature { problems.append("log body: the logged signatures are not the envelope's") }
            if sigs.count == 1 && !verifierMatches(pemBase64: sigs[0]["publicKey"]?.stringValue) { problems.append("log body: the logged certificate or key is not the bundle's") }
        default:
            problems.append("log body: a \(entry.kind) \(entry.kindVersion) entry does not fit this bundle's content")
        }
        return problems
    }
}

extension PublicKey {
    /// ECDSA verification against a SHA-256 digest given as bytes (no message at hand).
    public func isValidSignature(_ signature: [UInt8], forSHA256 digest: [UInt8]) -> Bool {
        guard let d = PrecomputedSHA256(digest) else { return false }
        switch backing {
        case .p256(let k):
            if let s = try? P256.Signing.ECDSASignature(derRepresentation: signature) { return k.isValidSignature(s, for: d) }
            if let s = try? P256.Signing.ECDSASignature(rawRepresentation: signature) { return k.isValidSignature(s, for: d) }
            return false
        case .p384(let k):
            if let s = try? P384.Signing.ECDSASignature(derRepresentation: signature) { return k.isValidSignature(s, for: d) }
            return false
        case .rsa(let k):
            let s = _RSA.Signing.RSASignature(rawRepresentation: signature)
            return k.isValidSignature(s, for: d, padding: .insecurePKCS1v1_5) || k.isValidSignature(s, for: d, padding: .PSS)
        case .ed25519:
            return false
        }
    }
}
