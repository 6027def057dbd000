import Crypto
import Foundation
import HallmarkCore
import SwiftASN1
import X509

/// A Fulcio-issued signing certificate and the checks made on it: chain to a trusted CA at the signing time,
/// code-signing leaf, embedded SCT, and the identity it carries.
public struct SigningCertificate: Sendable {
    public let certificate: Certificate
    public let der: [UInt8]

    public static let sctListOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 11129, 2, 4, 2]
    static let issuerV1OID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 57264, 1, 1]
    static let issuerV2OID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 57264, 1, 8]

    public init(der: [UInt8], source: String) throws(HallmarkError) {
        do {
            certificate = try Certificate(derEncoded: der)
        } catch {
            throw .invalidInput("\(source): malformed bundle: the certificate does not parse (\(error))")
        }
        self.der = der
    }

    public var publicKey: PublicKey? { Self.publicKey(of: certificate) }

    /// A certificate's key as a Hallmark key (from its SubjectPublicKeyInfo DER).
    static func publicKey(of certificate: Certificate) -> PublicKey? {
        guard let spki = spkiDER(of: certificate) else { return nil }
        return try? PublicKey(spki: spki, source: "certificate")
    }

    static func spkiDER(of certificate: Certificate) -> [UInt8]? {
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(certificate.publicKey)) != nil else { return nil }
        return serializer.serializedBytes
    }

    /// The subject alternative names: URIs and e-mail addresses.
    public var identities: [String] {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return [] }
        return names.compactMap { name in
            switch name {
            case .uniformResourceIdentifier(let uri): uri
            case .rfc822Name(let email): email
            default: nil
            }
        }
    }

    /// A Fulcio extension's value: the v2 form is a DER UTF8String, the v1 form raw bytes.
    public func fulcioExtension(_ arc: UInt) -> String? {
        for ext in certificate.extensions where ext.oid == ASN1ObjectIdentifier(arrayLiteral: 1, 3, 6, 1, 4, 1, 57264, 1, arc) {
            if arc >= 8, let node = try? DER.parse(Array(ext.value)), case .primitive(let bytes) = node.content {
                return String(decoding: bytes, as: UTF8.self)
            }
            return String(decoding: ext.value, as: UTF8.self)
        }
        return nil
    }

    /// The OIDC issuer Fulcio recorded (v2 extension first, then the deprecated v1 one).
    public var oidcIssuer: String? { fulcioExtension(8) ?? fulcioExtension(1) }

    /// Whether every certificate of `chain` (first to last) is signed by the next, names it as issuer, and every
    /// issuer is a CA; the last must sign itself. `leafIsCA`: whether the first must be a CA too.
    static func linksVerify(_ chain: [Certificate], leafIsCA: Bool) -> Bool {
        for (index, cert) in chain.enumerated() {
            let issuer = index + 1 < chain.count ? chain[index + 1] : cert
            guard cert.issuer == issuer.subject, issuer.publicKey.isValidSignature(cert.signature, for: cert),
                isCA(issuer), index > 0 || !leafIsCA || isCA(cert)
            else { return false }
        }
        return !chain.isEmpty
    }

    /// Whether every certificate of `chain` is valid at `time` (validity is inclusive at both ends).
    static func allValid(_ chain: [Certificate], at time: Date) -> Bool {
        chain.allSatisfy { $0.notValidBefore <= time && time <= $0.notValidAfter }
    }

    static func isCA(_ cert: Certificate) -> Bool {
        if case .isCertificateAuthority = (try? cert.extensions.basicConstraints) ?? .notCertificateAuthority { return true }
        return false
    }

    /// Problems with the leaf itself: it must not be a CA, and must allow code signing.
    public func leafProblems() -> [String] {
        var problems: [String] = []
        if Self.isCA(certificate) { problems.append("chain: the signing certificate is a CA certificate") }
        let usages = (try? certificate.extensions.extendedKeyUsage).map { Array($0) } ?? []
        if !usages.contains(.codeSigning) { problems.append("chain: the signing certificate lacks the code-signing extended key usage") }
        return problems
    }

    /// The trusted CA whose chain signs this leaf and is valid at every one of `times`, or the reason there is none.
    public func chain(to authorities: [TrustedRoot.Authority], at times: [Date]) -> Result<[Certificate], HallmarkError> {
        var reasons: [String] = []
        for authority in authorities {
            guard let chain = try? authority.chain.map({ try Certificate(derEncoded: $0) }), let first = chain.first else { continue }
            guard first.subject == certificate.issuer, first.publicKey.isValidSignature(certificate.signature, for: certificate) else {
                continue
            }
            guard Self.linksVerify(chain, leafIsCA: true) else {
                reasons.append("chain: \(authority.uri)'s chain does not verify")
                continue
            }
            var ok = true
            for time in times {
                if !authority.validity.contains(time) {
                    reasons.append("validity window: the CA \(authority.uri) is not trusted at \(RFC3339.format(unixSeconds: Int64(time.timeIntervalSince1970)))")
                    ok = false
                }
                if !Self.allValid([certificate] + chain, at: time) {
                    reasons.append("validity window: a certificate in the chain is not valid at the signing time \(RFC3339.format(unixSeconds: Int64(time.timeIntervalSince1970)))")
                    ok = false
                }
            }
            if ok { return .success(chain) }
        }
        return .failure(.verificationFailed(reasons.first ?? "chain: the signing certificate does not chain to a trusted certificate authority"))
    }

    /// Verifies the embedded SCTs: at least one must be signed by a trusted CT log over the precertificate.
    public func verifySCT(issuer: Certificate, ctlogs: [TrustedRoot.LogKey]) -> String? {
        guard let ext = certificate.extensions.first(where: { $0.oid == Self.sctListOID }) else {
            return "SCT: the signing certificate has no embedded SCT"
        }
        guard let outer = try? DER.parse(Array(ext.value)), case .primitive(let listBytes) = outer.content else {
            return "SCT: the SCT list is not an OCTET STRING"
        }
        var list = Array(listBytes)
        guard list.count >= 2 else { return "SCT: the SCT list is empty" }
        let total = Int(list[0]) << 8 | Int(list[1])
        list = Array(list.dropFirst(2))
        guard total == list.count else { return "SCT: the SCT list length is wrong" }
        guard let precert = Self.precertificateTBS(Array(certificate.tbsCertificateBytes)) else {
            return "SCT: cannot rebuild the precertificate"
        }
        guard let issuerSPKI = Self.spkiDER(of: issuer) else { return "SCT: cannot read the issuer's key" }
        let issuerKeyHash = Array(SHA256.hash(data: issuerSPKI))
        var offset = 0
        while offset + 2 <= list.count {
            let length = Int(list[offset]) << 8 | Int(list[offset + 1])
            offset += 2
            guard offset + length <= list.count else { return "SCT: truncated SCT" }
            let sct = Array(list[offset..<(offset + length)])
            offset += length
            guard sct.count > 43, sct[0] == 0 else { continue }
            let logID = Array(sct[1..<33])
            let timestamp = sct[33..<41]
            let extLength = Int(sct[41]) << 8 | Int(sct[42])
            guard 43 + extLength + 4 <= sct.count else { continue }
            let extensions = sct[43..<(43 + extLength)]
            var p = 43 + extLength + 2  // hash and signature algorithm bytes
            let sigLength = Int(sct[p]) << 8 | Int(sct[p + 1])
            p += 2
            guard p + sigLength <= sct.count else { continue }
            let signature = Array(sct[p..<(p + sigLength)])
            guard let log = ctlogs.first(where: { $0.logID == logID }) else { continue }
            var signed: [UInt8] = [0, 0] + timestamp + [0, 1] + issuerKeyHash
            signed += [UInt8((precert.count >> 16) & 0xFF), UInt8((precert.count >> 8) & 0xFF), UInt8(precert.count & 0xFF)] + precert
            signed += [UInt8((extLength >> 8) & 0xFF), UInt8(extLength & 0xFF)] + extensions
            if log.key.isValidSignature(signature, for: signed) { return nil }
        }
        return "SCT: no embedded SCT is signed by a trusted CT log"
    }

    /// The TBSCertificate without the SCT list extension, re-encoded (RFC 6962 §3.2).
    static func precertificateTBS(_ tbs: [UInt8]) -> [UInt8]? {
        guard let node = try? DER.parse(tbs), case .constructed(let children) = node.content else { return nil }
        var body: [UInt8] = []
        for child in children {
            if child.identifier == ASN1Identifier(tagWithNumber: 3, tagClass: .contextSpecific),
                case .constructed(let inner) = child.content, let sequence = inner.first(where: { _ in true }),
                case .constructed(let extensions) = sequence.content
            {
                var kept: [UInt8] = []
                for ext in extensions {
                    if case .constructed(let parts) = ext.content, let oidNode = parts.first(where: { _ in true }),
                        let oid = try? ASN1ObjectIdentifier(derEncoded: oidNode), oid == sctListOID
                    {
                        continue
                    }
                    kept += Array(ext.encodedBytes)
                }
                body += derTLV(0xA3, derTLV(0x30, kept))
            } else {
                body += Array(child.encodedBytes)
            }
        }
        return derTLV(0x30, body)
    }

    static func derTLV(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var out = [tag]
        let n = content.count
        if n < 0x80 {
            out.append(UInt8(n))
        } else {
            var bytes: [UInt8] = []
            var v = n
            while v > 0 {
                bytes.insert(UInt8(v & 0xFF), at: 0)
                v >>= 8
            }
            out.append(0x80 | UInt8(bytes.count))
            out += bytes
        }
        return out + content
    }
}
