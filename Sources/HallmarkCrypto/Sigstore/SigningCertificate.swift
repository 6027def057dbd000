import Crypto
import Foundation
import HallmarkCore
import SwiftASN1
import X509

/// A Fulcio-issued signing certificate, parsed: its key, the identities it carries, its Fulcio extensions and
/// its embedded SCTs. Path validation is ``CertificatePathValidator``'s.
public struct SigningCertificate: Sendable {
    public let certificate: Certificate
    public let der: [UInt8]

    public static let sctListOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 11129, 2, 4, 2]
    static let usernameOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 57264, 1, 7]
    static let issuerV1OID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 57264, 1, 1]
    static let issuerV2OID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 57264, 1, 8]

    /// The certificate's key, when it is of a type Hallmark verifies with (ECDSA P-256/P-384, Ed25519, RSA).
    public let publicKey: PublicKey?
    /// The subject alternative names that name a signer: URIs, e-mail addresses and Fulcio usernames
    /// (OtherName 1.3.6.1.4.1.57264.1.7), in certificate order.
    public let identities: [String]

    /// Parses a DER certificate. A certificate that does not parse, or whose identity extensions are malformed,
    /// is malformed input (`certificate.unparsable`).
    public init(der: [UInt8], source: String) throws(HallmarkError) {
        func bad(_ why: String) -> HallmarkError {
            .invalidInput("\(source): the certificate does not parse (\(why)); the bundle is malformed", problem: .certificateUnparsable)
        }
        let certificate: Certificate
        do { certificate = try Certificate(derEncoded: der) } catch { throw bad("\(error)") }
        let names: SubjectAlternativeNames?
        do { names = try certificate.extensions.subjectAlternativeNames } catch { throw bad("subjectAltName: \(error)") }
        self.certificate = certificate
        self.der = der
        var identities: [String] = []
        for name in names ?? SubjectAlternativeNames() {
            switch name {
            case .uniformResourceIdentifier(let uri): identities.append(uri)
            case .rfc822Name(let email): identities.append(email)
            case .otherName(let other) where other.typeID == Self.usernameOID:
                // Fulcio's username SAN: OtherName 1.3.6.1.4.1.57264.1.7 holding [0] EXPLICIT UTF8String.
                guard let value = other.value else { throw bad("the username subject alternative name is empty") }
                do {
                    var serializer = DER.Serializer()
                    try serializer.serialize(value)
                    let explicit = try DER.parse(serializer.serializedBytes)
                    guard case .constructed(let inner) = explicit.content, let node = inner.first(where: { _ in true }) else {
                        throw bad("the username subject alternative name is empty")
                    }
                    identities.append(String(try ASN1UTF8String(derEncoded: node)))
                } catch let error as HallmarkError {
                    throw error
                } catch {
                    throw bad("the username subject alternative name is not a UTF8String")
                }
            default: continue
            }
        }
        self.identities = identities
        self.publicKey = Self.publicKey(of: certificate)
    }

    /// A certificate's key as a Hallmark key (from its SubjectPublicKeyInfo DER), or nil for a key type Hallmark
    /// cannot verify with.
    static func publicKey(of certificate: Certificate) -> PublicKey? {
        guard let spki = spkiDER(of: certificate) else { return nil }
        do { return try PublicKey(spki: spki, source: "certificate") } catch { return nil }
    }

    static func spkiDER(of certificate: Certificate) -> [UInt8]? {
        var serializer = DER.Serializer()
        do { try serializer.serialize(certificate.publicKey) } catch { return nil }
        return serializer.serializedBytes
    }

    /// A Fulcio extension (1.3.6.1.4.1.57264.1.ARC)'s value: arcs 8 and up hold a DER UTF8String, the
    /// deprecated arcs 1–7 raw bytes. nil when absent; a v2 value that is not a DER string is reported as absent,
    /// which fails any check that expects a value.
    public func fulcioExtension(_ arc: UInt) -> String? {
        for ext in certificate.extensions where ext.oid == ASN1ObjectIdentifier(arrayLiteral: 1, 3, 6, 1, 4, 1, 57264, 1, arc) {
            guard arc >= 8 else { return String(decoding: ext.value, as: UTF8.self) }
            do {
                return String(try ASN1UTF8String(derEncoded: Array(ext.value)))
            } catch {
                return nil
            }
        }
        return nil
    }

    /// The OIDC issuer Fulcio recorded (v2 extension first, then the deprecated v1 one).
    public var oidcIssuer: String? { fulcioExtension(8) ?? fulcioExtension(1) }

    /// Whether the certificate is a CA (basic constraints say so).
    static func isCA(_ cert: Certificate) -> Bool {
        switch Result(catching: { try cert.extensions.basicConstraints }) {
        case .success(.some(.isCertificateAuthority)): true
        default: false
        }
    }

    /// Verifies the embedded SCTs: at least one must be signed by a trusted CT log over the precertificate
    /// (RFC 6962 §3.2), with `issuer`'s key hash.
    public func verifySCT(issuer: Certificate, ctlogs: [TrustedRoot.LogKey]) -> Result<VerifiedSCT, VerificationProblem> {
        func invalid(_ why: String) -> Result<VerifiedSCT, VerificationProblem> { .failure(.init(.sctInvalid, "SCT: \(why)")) }
        guard let ext = certificate.extensions.first(where: { $0.oid == Self.sctListOID }) else {
            return .failure(.init(.sctMissing, "SCT: the signing certificate has no embedded signed certificate timestamp"))
        }
        let listBytes: ArraySlice<UInt8>
        do {
            let outer = try DER.parse(Array(ext.value))
            guard case .primitive(let bytes) = outer.content else { return invalid("the SCT list is not an OCTET STRING") }
            listBytes = bytes
        } catch {
            return invalid("the SCT list is not DER")
        }
        var list = Array(listBytes)
        guard list.count >= 2 else { return invalid("the SCT list is empty") }
        let total = Int(list[0]) << 8 | Int(list[1])
        list = Array(list.dropFirst(2))
        guard total == list.count else { return invalid("the SCT list length is wrong") }
        guard let precert = Self.precertificateTBS(Array(certificate.tbsCertificateBytes)) else {
            return invalid("cannot rebuild the precertificate")
        }
        guard let issuerSPKI = Self.spkiDER(of: issuer) else { return invalid("cannot read the issuer's key") }
        let issuerKeyHash = Array(SHA256.hash(data: issuerSPKI))
        var offset = 0
        while offset + 2 <= list.count {
            let length = Int(list[offset]) << 8 | Int(list[offset + 1])
            offset += 2
            guard offset + length <= list.count else { return invalid("truncated SCT") }
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
            if log.key.isValidSignature(signature, for: signed) { return .success(VerifiedSCT(logID: logID)) }
        }
        return invalid("no embedded SCT is signed by a CT log of the trusted root")
    }

    /// The TBSCertificate without the SCT list extension, re-encoded (RFC 6962 §3.2).
    static func precertificateTBS(_ tbs: [UInt8]) -> [UInt8]? {
        let node: ASN1Node
        do { node = try DER.parse(tbs) } catch { return nil }
        guard case .constructed(let children) = node.content else { return nil }
        var body: [UInt8] = []
        for child in children {
            if child.identifier == ASN1Identifier(tagWithNumber: 3, tagClass: .contextSpecific),
                case .constructed(let inner) = child.content, let sequence = inner.first(where: { _ in true }),
                case .constructed(let extensions) = sequence.content
            {
                var kept: [UInt8] = []
                for ext in extensions {
                    if case .constructed(let parts) = ext.content, let oidNode = parts.first(where: { _ in true }),
                        case .success(let oid) = Result(catching: { try ASN1ObjectIdentifier(derEncoded: oidNode) }), oid == sctListOID
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
