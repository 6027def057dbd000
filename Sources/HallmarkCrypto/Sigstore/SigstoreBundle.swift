import Foundation
import HallmarkCore

/// A Sigstore bundle (v0.1, v0.2, v0.3; `application/vnd.dev.sigstore.bundle+json;version=0.X` or
/// `application/vnd.dev.sigstore.bundle.v0.3+json`), parsed and checked for shape only — nothing here is verified.
/// Every certificate it carries is parsed here: a bundle whose certificate does not parse is malformed input
/// (`certificate.unparsable`), refused before any check runs.
public struct SigstoreBundle: Sendable {
    public enum Version: String, Sendable, Comparable {
        case v01 = "0.1", v02 = "0.2", v03 = "0.3"
        public static func < (a: Version, b: Version) -> Bool { a.rawValue < b.rawValue }
    }

    public enum Material: Sendable {
        /// The signing certificate, and (v0.1/v0.2 chains) the further certificates the bundle carries after it.
        /// Only the leaf is used: the chain is built from the trusted root, never from the bundle.
        case certificate(SigningCertificate, bundled: [SigningCertificate])
        case publicKey(hint: String)
    }

    public enum Content: Sendable {
        case messageSignature(digestAlgorithm: String?, digest: [UInt8]?, signature: [UInt8])
        case dsse(DSSEEnvelope, signature: [UInt8], payload: [UInt8])
    }

    public struct TlogEntry: Sendable {
        public var logIndex: Int64
        public var logID: [UInt8]
        public var kind: String
        public var kindVersion: String
        public var integratedTime: Int64
        public var signedEntryTimestamp: [UInt8]?
        public var inclusionProof: InclusionProof?
        public var canonicalizedBody: [UInt8]
    }

    public struct InclusionProof: Sendable {
        public var logIndex: Int64
        public var rootHash: [UInt8]
        public var treeSize: Int64
        public var hashes: [[UInt8]]
        public var checkpoint: String?
    }

    public var mediaType: String
    public var version: Version
    public var material: Material
    public var tlogEntries: [TlogEntry]
    /// DER RFC 3161 responses (or bare timestamp tokens).
    public var timestamps: [[UInt8]]
    public var content: Content

    /// At most this many log entries, and this many timestamps (as sigstore-go and sigstore-python allow).
    public static let maxEntries = 32

    public static let mediaTypes: [String: Version] = [
        "application/vnd.dev.sigstore.bundle+json;version=0.1": .v01,
        "application/vnd.dev.sigstore.bundle+json;version=0.2": .v02,
        "application/vnd.dev.sigstore.bundle+json;version=0.3": .v03,
        "application/vnd.dev.sigstore.bundle.v0.3+json": .v03,
    ]

    /// Parses a bundle; every error starts with "malformed bundle" and names the field.
    public init(parsing data: Data, source: String) throws(HallmarkError) {
        func bad(_ why: String) -> HallmarkError { .invalidInput("\(source): malformed bundle: \(why)", problem: .bundleMalformed) }
        let root: JSONValue
        do { root = try JSONValue(parsing: data) } catch { throw bad("not JSON (\(error.description))") }
        guard let mediaType = root["mediaType"]?.stringValue else { throw bad("no mediaType") }
        guard let version = Self.mediaTypes[mediaType] else { throw bad("unsupported mediaType \"\(mediaType)\"") }
        self.mediaType = mediaType
        self.version = version
        guard let vm = root["verificationMaterial"] else { throw bad("no verificationMaterial") }
        material = try Self.parseMaterial(vm, version: version, source: source, bad)
        tlogEntries = try Self.parseTlogEntries(vm, version: version, bad)
        timestamps = try Self.parseTimestamps(vm, bad)
        content = try Self.parseContent(root, bad)
    }

    /// `verificationMaterial`'s certificate (every one of a chain parsed), certificate chain (not in v0.3), or
    /// public key hint.
    private static func parseMaterial(
        _ vm: JSONValue, version: Version, source: String, _ bad: (String) -> HallmarkError
    ) throws(HallmarkError) -> Material {
        let material: Material
        if let chain = vm["x509CertificateChain"] {
            guard let certs = chain["certificates"]?.arrayValue, !certs.isEmpty else {
                throw bad("verificationMaterial.x509CertificateChain.certificates is empty")
            }
            var parsed: [SigningCertificate] = []
            for (i, cert) in certs.enumerated() {
                let field = "x509CertificateChain.certificates[\(i)]"
                parsed.append(try SigningCertificate(der: try Self.base64(cert["rawBytes"], "\(field).rawBytes", bad), source: "\(source) \(field)"))
            }
            material = .certificate(parsed[0], bundled: Array(parsed.dropFirst()))
        } else if let cert = vm["certificate"] {
            let der = try Self.base64(cert["rawBytes"], "certificate.rawBytes", bad)
            material = .certificate(try SigningCertificate(der: der, source: "\(source) verificationMaterial.certificate"), bundled: [])
        } else if let key = vm["publicKey"] {
            material = .publicKey(hint: key["hint"]?.stringValue ?? "")
        } else {
            throw bad("verificationMaterial has no certificate, certificate chain or public key")
        }
        if version == .v03, vm["x509CertificateChain"] != nil {
            throw bad("a v0.3 bundle must carry a single certificate, not a chain")
        }
        return material
    }

    /// `verificationMaterial.tlogEntries`: at most ``maxEntries``, no two for the same log and index.
    private static func parseTlogEntries(_ vm: JSONValue, version: Version, _ bad: (String) -> HallmarkError) throws(HallmarkError) -> [TlogEntry] {
        var entries: [TlogEntry] = []
        for (i, entry) in (vm["tlogEntries"]?.arrayValue ?? []).enumerated() {
            entries.append(try parseTlogEntry(entry, at: "tlogEntries[\(i)]", version: version, bad))
        }
        guard entries.count <= Self.maxEntries else { throw bad("more than \(Self.maxEntries) transparency-log entries") }
        for (i, entry) in entries.enumerated() where entries[..<i].contains(where: { $0.logID == entry.logID && $0.logIndex == entry.logIndex }) {
            throw bad("tlogEntries[\(i)] duplicates an earlier entry (same log and index)")
        }
        return entries
    }

    /// One transparency-log entry (`at` names it), with the inclusion proof a v0.2+ bundle requires or the
    /// inclusion promise a v0.1 bundle requires.
    private static func parseTlogEntry(
        _ entry: JSONValue, at: String, version: Version, _ bad: (String) -> HallmarkError
    ) throws(HallmarkError) -> TlogEntry {
        let logIndex = try Self.int64(entry["logIndex"], "\(at).logIndex", bad)
        guard logIndex >= 0 else { throw bad("\(at).logIndex is negative") }
        let logID = try Self.base64(entry["logId"]?["keyId"], "\(at).logId.keyId", bad)
        guard let kind = entry["kindVersion"]?["kind"]?.stringValue, let kv = entry["kindVersion"]?["version"]?.stringValue else {
            throw bad("\(at).kindVersion is missing")
        }
        let integrated = entry["integratedTime"] == nil ? 0 : try Self.int64(entry["integratedTime"], "\(at).integratedTime", bad)
        var set: [UInt8]?
        if let promise = entry["inclusionPromise"] {
            set = try Self.base64(promise["signedEntryTimestamp"], "\(at).inclusionPromise.signedEntryTimestamp", bad)
        }
        var proof: InclusionProof?
        if let p = entry["inclusionProof"] {
            proof = try parseInclusionProof(p, at: "\(at).inclusionProof", bad)
        }
        let body = try Self.base64(entry["canonicalizedBody"], "\(at).canonicalizedBody", bad)
        if version >= .v02 && proof == nil { throw bad("\(at).inclusionProof is required in a v\(version.rawValue) bundle") }
        if version == .v01 && set == nil { throw bad("\(at).inclusionPromise is required in a v0.1 bundle") }
        return TlogEntry(
            logIndex: logIndex, logID: logID, kind: kind, kindVersion: kv, integratedTime: integrated,
            signedEntryTimestamp: set, inclusionProof: proof, canonicalizedBody: body)
    }

    /// An entry's inclusion proof (`at` names it).
    private static func parseInclusionProof(_ p: JSONValue, at: String, _ bad: (String) -> HallmarkError) throws(HallmarkError) -> InclusionProof {
        var hashes: [[UInt8]] = []
        for (j, h) in (p["hashes"]?.arrayValue ?? []).enumerated() {
            hashes.append(try Self.base64(h, "\(at).hashes[\(j)]", bad))
        }
        return InclusionProof(
            logIndex: try Self.int64(p["logIndex"], "\(at).logIndex", bad),
            rootHash: try Self.base64(p["rootHash"], "\(at).rootHash", bad),
            treeSize: try Self.int64(p["treeSize"], "\(at).treeSize", bad),
            hashes: hashes, checkpoint: p["checkpoint"]?["envelope"]?.stringValue)
    }

    /// `verificationMaterial.timestampVerificationData.rfc3161Timestamps`: at most ``maxEntries``, no two alike.
    private static func parseTimestamps(_ vm: JSONValue, _ bad: (String) -> HallmarkError) throws(HallmarkError) -> [[UInt8]] {
        var stamps: [[UInt8]] = []
        for (i, t) in (vm["timestampVerificationData"]?["rfc3161Timestamps"]?.arrayValue ?? []).enumerated() {
            stamps.append(try Self.base64(t["signedTimestamp"], "rfc3161Timestamps[\(i)].signedTimestamp", bad))
        }
        guard stamps.count <= Self.maxEntries else { throw bad("more than \(Self.maxEntries) RFC 3161 timestamps") }
        for (i, stamp) in stamps.enumerated() where stamps[..<i].contains(stamp) {
            throw bad("rfc3161Timestamps[\(i)] duplicates an earlier timestamp")
        }
        return stamps
    }

    /// What was signed: a message signature (with its stated digest, if any) or a DSSE envelope with exactly one
    /// signature.
    private static func parseContent(_ root: JSONValue, _ bad: (String) -> HallmarkError) throws(HallmarkError) -> Content {
        if let ms = root["messageSignature"] {
            let signature = try Self.base64(ms["signature"], "messageSignature.signature", bad)
            var digest: [UInt8]?
            if ms["messageDigest"] != nil { digest = try Self.base64(ms["messageDigest"]?["digest"], "messageSignature.messageDigest.digest", bad) }
            return .messageSignature(digestAlgorithm: ms["messageDigest"]?["algorithm"]?.stringValue, digest: digest, signature: signature)
        } else if let env = root["dsseEnvelope"] {
            guard let payloadText = env["payload"]?.stringValue, let payload = Base64.decode(payloadText),
                let payloadType = env["payloadType"]?.stringValue, let sigs = env["signatures"]?.arrayValue
            else { throw bad("dsseEnvelope needs payload (base64), payloadType and signatures") }
            guard sigs.count == 1 else { throw bad("dsseEnvelope must carry exactly one signature, not \(sigs.count)") }
            let sig = try Self.base64(sigs[0]["sig"], "dsseEnvelope.signatures[0].sig", bad)
            let envelope = DSSEEnvelope(payload: payload, payloadType: payloadType, signatures: [.init(keyid: sigs[0]["keyid"]?.stringValue ?? "", sig: sigs[0]["sig"]?.stringValue ?? "")])
            return .dsse(envelope, signature: sig, payload: Array(payload))
        }
        throw bad("no messageSignature or dsseEnvelope")
    }

    /// The signature bytes the bundle carries (the message signature, or the envelope's one signature).
    public var signature: [UInt8] {
        switch content {
        case .messageSignature(_, _, let s): s
        case .dsse(_, let s, _): s
        }
    }

    static func base64(_ value: JSONValue?, _ field: String, _ bad: (String) -> HallmarkError) throws(HallmarkError) -> [UInt8] {
        guard let text = value?.stringValue else { throw bad("\(field) is missing") }
        guard let bytes = Base64.decode(text) else { throw bad("\(field) is not valid base64") }
        return Array(bytes)
    }

    /// Protobuf JSON writes 64-bit integers as strings; accept numbers too.
    static func int64(_ value: JSONValue?, _ field: String, _ bad: (String) -> HallmarkError) throws(HallmarkError) -> Int64 {
        switch value {
        case .string(let s)?: if let v = Int64(s) { return v }
        case .number(let s)?: if let v = Int64(s) { return v }
        default: break
        }
        throw bad("\(field) is not an integer")
    }
}
