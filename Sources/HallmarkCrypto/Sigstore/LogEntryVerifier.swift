import Crypto
import Foundation
import HallmarkCore

/// Verifies one transparency-log entry of a bundle offline: the log is trusted, the logged body records this
/// bundle (artifact digest, signature, and certificate or key), and the entry's proofs verify — the Merkle
/// inclusion proof up to a checkpoint signed by the log, and the signed entry timestamp, whichever are present
/// (at least one must be).
extension SigstoreBundle.TlogEntry {
    /// Whether the entry is of a Rekor v2 kind (hashedrekord or dsse 0.0.2): no integrated time, no promise.
    var isRekorV2: Bool { (kind == "hashedrekord" || kind == "dsse") && kindVersion == "0.0.2" }
}

struct LogEntryVerifier {
    let trustedRoot: TrustedRoot

    /// What the body must record.
    struct Expected {
        var content: SigstoreBundle.Content
        var artifact: BundleVerifier.Artifact
        /// DER of the signing certificate, or nil for a key-signed bundle.
        var certificateDER: [UInt8]?
        /// SPKI DER of the signing key.
        var keySPKI: [UInt8]?
    }

    func verify(_ entry: SigstoreBundle.TlogEntry, expected: Expected) -> Result<VerifiedLogEntry, VerificationProblem> {
        guard let log = trustedRoot.tlogs.first(where: { $0.logID == entry.logID }) else {
            return .failure(.init(.tlogUntrustedLog, "log entry \(entry.logIndex): its log \(Base64.encode(entry.logID)) is not in the trusted root"))
        }
        if let problem = bodyProblem(entry, expected: expected) { return .failure(problem) }
        guard entry.inclusionProof != nil || entry.signedEntryTimestamp != nil else {
            return .failure(.init(.tlogUnproven, "log entry \(entry.logIndex) has neither an inclusion proof nor a signed entry timestamp"))
        }
        var proofVerified = false
        if let proof = entry.inclusionProof {
            // Rekor v2 logs are not sharded: the entry's index is its index in the proven tree.
            if entry.isRekorV2, proof.logIndex != entry.logIndex {
                return .failure(.init(.tlogInclusionProofInvalid, "log entry \(entry.logIndex): the inclusion proof is for index \(proof.logIndex)"))
            }
            let computed = TransparencyLog.rootFromInclusionProof(
                leaf: TransparencyLog.leafHash(entry.canonicalizedBody), index: proof.logIndex, size: proof.treeSize, proof: proof.hashes)
            guard let computed, computed == proof.rootHash else {
                return .failure(.init(.tlogInclusionProofInvalid, "log entry \(entry.logIndex): the inclusion proof does not lead to its root hash"))
            }
            guard let text = proof.checkpoint else {
                return .failure(.init(.tlogCheckpointInvalid, "log entry \(entry.logIndex): the inclusion proof has no checkpoint"))
            }
            let checkpoint: TransparencyLog.Checkpoint
            do {
                checkpoint = try TransparencyLog.Checkpoint(parsing: text)
            } catch {
                return .failure(.init(.tlogCheckpointInvalid, "log entry \(entry.logIndex): \(error.message)"))
            }
            guard checkpoint.rootHash == proof.rootHash, checkpoint.size == proof.treeSize else {
                return .failure(.init(.tlogCheckpointInvalid, "log entry \(entry.logIndex): the checkpoint's root hash or size differs from the inclusion proof's"))
            }
            guard checkpoint.isSigned(by: log) else {
                return .failure(.init(.tlogCheckpointInvalid, "log entry \(entry.logIndex): the checkpoint is not signed by the log's key"))
            }
            proofVerified = true
        }
        var integrated: VerifiedTime?
        if let set = entry.signedEntryTimestamp {
            let payload = TransparencyLog.signedEntryTimestampPayload(
                body: entry.canonicalizedBody, integratedTime: entry.integratedTime, logID: entry.logID, logIndex: entry.logIndex)
            guard log.key.isValidSignature(set, for: payload) else {
                return .failure(.init(.tlogSETInvalid, "log entry \(entry.logIndex): the signed entry timestamp does not verify with the log's key"))
            }
            let time = Date(timeIntervalSince1970: TimeInterval(entry.integratedTime))
            guard log.validity.contains(time) else {
                return .failure(.init(.tlogOutsideValidity, "log entry \(entry.logIndex): the log's key is not trusted at the entry's integrated time \(RFC3339.format(unixSeconds: entry.integratedTime))"))
            }
            integrated = VerifiedTime(time: time, source: .signedEntryTimestamp, authority: log.baseURL)
        }
        return .success(VerifiedLogEntry(
            logIndex: entry.logIndex, logBaseURL: log.baseURL, kind: entry.kind, kindVersion: entry.kindVersion,
            inclusionProofVerified: proofVerified, integratedTime: integrated))
    }

    /// Whether the logged body records this bundle's digest, signature and certificate or key; nil when it does.
    func bodyProblem(_ entry: SigstoreBundle.TlogEntry, expected: Expected) -> VerificationProblem? {
        let at = "log entry \(entry.logIndex)"
        let known: Set<String> = ["hashedrekord 0.0.1", "hashedrekord 0.0.2", "dsse 0.0.1", "dsse 0.0.2", "intoto 0.0.2"]
        guard known.contains("\(entry.kind) \(entry.kindVersion)") else {
            return .init(.tlogUnknownKind, "\(at): a \(entry.kind) \(entry.kindVersion) entry is of a kind this verifier does not know")
        }
        let body: JSONValue
        do { body = try JSONValue(parsing: Data(entry.canonicalizedBody)) } catch { return .init(.tlogBodyMismatch, "\(at): the logged body is not JSON") }
        let logged = LoggedBody(at: at, spec: body["spec"], expected: expected)
        guard body["kind"]?.stringValue == entry.kind, body["apiVersion"]?.stringValue == entry.kindVersion else {
            return logged.mismatch("the logged body's kind or version differs from the entry's kindVersion")
        }
        switch (entry.kind, entry.kindVersion, expected.content) {
        case ("hashedrekord", "0.0.1", .messageSignature(_, _, let signature)):
            return logged.hashedRekordV001Problem(signature: signature)
        case ("hashedrekord", "0.0.2", .messageSignature(_, _, let signature)):
            return logged.hashedRekordV002Problem(signature: signature)
        case ("hashedrekord", "0.0.2", .dsse(let envelope, let signature, let payload)):
            return logged.hashedRekordV002Problem(envelope: envelope, signature: signature, payload: payload)
        case ("dsse", "0.0.1", .dsse(_, let signature, let payload)):
            return logged.dsseV001Problem(signature: signature, payload: payload)
        case ("dsse", "0.0.2", .dsse(_, let signature, let payload)):
            return logged.dsseV002Problem(signature: signature, payload: payload)
        case ("intoto", "0.0.2", .dsse(let envelope, let signature, let payload)):
            return logged.intotoV002Problem(envelope: envelope, signature: signature, payload: payload)
        default:
            return logged.mismatch("a \(entry.kind) \(entry.kindVersion) entry does not fit this bundle's content")
        }
    }
}

/// The `spec` of one logged body, compared with what the bundle says: each check returns the first thing the log
/// records differently, or nil when it records everything the bundle says.
private struct LoggedBody {
    /// Names the entry in problems (`log entry N`).
    let at: String
    let spec: JSONValue?
    let expected: LogEntryVerifier.Expected

    /// A `tlog.body-mismatch` problem naming the entry.
    func mismatch(_ what: String) -> VerificationProblem { .init(.tlogBodyMismatch, "\(at): \(what)") }

    /// The bytes of a base64 string value.
    func bytes(_ value: JSONValue?) -> [UInt8]? { value?.stringValue.flatMap(Base64.decode).map(Array.init) }

    /// The v0.0.1 forms log the certificate or key as base64 of its PEM.
    func verifierMatches(pemBase64 value: JSONValue?) -> Bool {
        guard let pemData = bytes(value) else { return false }
        let der: [UInt8]
        do { der = try PEMDocument(parsing: String(decoding: pemData, as: UTF8.self), source: "log body").der } catch { return false }
        if let certificate = expected.certificateDER { return der == certificate }
        return expected.keySPKI.map { der == $0 } ?? false
    }

    /// The v0.0.2 forms log DER: `x509Certificate.rawBytes` or `publicKey.rawBytes`.
    func verifierMatches(v2 verifier: JSONValue?) -> Bool {
        if let certificate = expected.certificateDER { return bytes(verifier?["x509Certificate"]?["rawBytes"]) == certificate }
        guard let key = expected.keySPKI else { return false }
        return bytes(verifier?["publicKey"]?["rawBytes"]) == key
    }

    /// hashedrekord 0.0.1 for a message signature: the artifact's digest (hex), the signature, and the PEM.
    func hashedRekordV001Problem(signature: [UInt8]) -> VerificationProblem? {
        let algorithm = spec?["data"]?["hash"]?["algorithm"]?.stringValue.flatMap(DigestAlgorithm.init(rawValue:))
        guard let algorithm, let digest = expected.artifact.digest(algorithm),
            spec?["data"]?["hash"]?["value"]?.stringValue?.lowercased() == Hex.encode(digest)
        else { return mismatch("the logged digest is not the artifact's") }
        guard bytes(spec?["signature"]?["content"]) == signature else { return mismatch("the logged signature is not the bundle's") }
        guard verifierMatches(pemBase64: spec?["signature"]?["publicKey"]?["content"]) else {
            return mismatch("the logged certificate or key is not the bundle's")
        }
        return nil
    }

    /// hashedrekord 0.0.2 for a message signature: the artifact's digest (bytes, by the logged algorithm), the
    /// signature, and the DER.
    func hashedRekordV002Problem(signature: [UInt8]) -> VerificationProblem? {
        let v2 = spec?["hashedRekordV002"]
        let algorithm: DigestAlgorithm? = switch v2?["data"]?["algorithm"]?.stringValue ?? "SHA2_256" {
        case "SHA2_256": .sha256
        case "SHA2_384": .sha384
        case "SHA2_512": .sha512
        default: nil
        }
        guard let algorithm, let digest = expected.artifact.digest(algorithm), bytes(v2?["data"]?["digest"]) == digest
        else { return mismatch("the logged digest is not the artifact's") }
        guard bytes(v2?["signature"]?["content"]) == signature else { return mismatch("the logged signature is not the bundle's") }
        guard verifierMatches(v2: v2?["signature"]?["verifier"]) else { return mismatch("the logged certificate or key is not the bundle's") }
        return nil
    }

    /// "hashedrekord over DSSE" (Rekor v2): the log stores the digest of the envelope's PAE.
    func hashedRekordV002Problem(envelope: DSSEEnvelope, signature: [UInt8], payload: [UInt8]) -> VerificationProblem? {
        let v2 = spec?["hashedRekordV002"]
        let pae = DSSEEnvelope.pae(payloadType: envelope.payloadType, payload: Data(payload))
        guard bytes(v2?["data"]?["digest"]) == Array(SHA256.hash(data: pae)) else { return mismatch("the logged digest is not the envelope's PAE digest") }
        guard bytes(v2?["signature"]?["content"]) == signature else { return mismatch("the logged signature is not the envelope's") }
        guard verifierMatches(v2: v2?["signature"]?["verifier"]) else { return mismatch("the logged certificate or key is not the bundle's") }
        return nil
    }

    /// dsse 0.0.1: the payload's sha256 (hex), the one signature, and its verifier's PEM.
    func dsseV001Problem(signature: [UInt8], payload: [UInt8]) -> VerificationProblem? {
        guard spec?["payloadHash"]?["algorithm"]?.stringValue == "sha256",
            spec?["payloadHash"]?["value"]?.stringValue?.lowercased() == Hex.encode(SHA256.hash(data: payload))
        else { return mismatch("the logged payload hash is not the envelope's") }
        let signatures = spec?["signatures"]?.arrayValue ?? []
        guard signatures.count == 1, bytes(signatures[0]["signature"]) == signature else { return mismatch("the logged signatures are not the envelope's") }
        guard verifierMatches(pemBase64: signatures[0]["verifier"]) else { return mismatch("the logged certificate or key is not the bundle's") }
        return nil
    }

    /// dsse 0.0.2: the payload's sha256 (bytes), the one signature, and its verifier's DER.
    func dsseV002Problem(signature: [UInt8], payload: [UInt8]) -> VerificationProblem? {
        let v2 = spec?["dsseV002"]
        guard bytes(v2?["payloadHash"]?["digest"]) == Array(SHA256.hash(data: payload)) else {
            return mismatch("the logged payload hash is not the envelope's")
        }
        let signatures = v2?["signatures"]?.arrayValue ?? []
        guard signatures.count == 1, bytes(signatures[0]["content"]) == signature else { return mismatch("the logged signatures are not the envelope's") }
        guard verifierMatches(v2: signatures[0]["verifier"]) else { return mismatch("the logged certificate or key is not the bundle's") }
        return nil
    }

    /// intoto 0.0.2: the payload's sha256, the payload type, the one signature, and its key's PEM.
    func intotoV002Problem(envelope: DSSEEnvelope, signature: [UInt8], payload: [UInt8]) -> VerificationProblem? {
        let content = spec?["content"]
        guard content?["payloadHash"]?["value"]?.stringValue?.lowercased() == Hex.encode(SHA256.hash(data: payload)) else {
            return mismatch("the logged payload hash is not the envelope's")
        }
        guard content?["envelope"]?["payloadType"]?.stringValue == envelope.payloadType else { return mismatch("the logged payload type is not the envelope's") }
        let signatures = content?["envelope"]?["signatures"]?.arrayValue ?? []
        // intoto 0.0.2 stores each signature base64-encoded twice.
        let logged = bytes(signatures.first?["sig"]).flatMap { Base64.decode(String(decoding: $0, as: UTF8.self)) }.map(Array.init)
        guard signatures.count == 1, logged == signature else { return mismatch("the logged signatures are not the envelope's") }
        guard verifierMatches(pemBase64: signatures[0]["publicKey"]) else { return mismatch("the logged certificate or key is not the bundle's") }
        return nil
    }
}
