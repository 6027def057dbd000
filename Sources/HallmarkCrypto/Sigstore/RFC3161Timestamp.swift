import Crypto
import Foundation
import HallmarkCore
import SwiftASN1
import X509

/// An RFC 3161 time-stamp (a TimeStampResp, or a bare TimeStampToken), parsed far enough to verify it against
/// trusted timestamp authorities.
public struct RFC3161Timestamp: Sendable {
    public var genTime: Date
    /// The hash algorithm and value the TSA stamped.
    public var imprintAlgorithm: DigestAlgorithmID
    public var imprint: [UInt8]
    var tstInfo: [UInt8]
    var signedAttributes: [UInt8]?
    var messageDigest: [UInt8]?
    var signerDigest: DigestAlgorithmID
    var signature: [UInt8]

    public enum DigestAlgorithmID: Sendable {
        case sha256, sha384, sha512

        init?(_ oid: ASN1ObjectIdentifier) {
            switch oid {
            case [2, 16, 840, 1, 101, 3, 4, 2, 1]: self = .sha256
            case [2, 16, 840, 1, 101, 3, 4, 2, 2]: self = .sha384
            case [2, 16, 840, 1, 101, 3, 4, 2, 3]: self = .sha512
            default: return nil
            }
        }

        func hash(_ bytes: [UInt8]) -> [UInt8] {
            switch self {
            case .sha256: Array(SHA256.hash(data: bytes))
            case .sha384: Array(SHA384.hash(data: bytes))
            case .sha512: Array(SHA512.hash(data: bytes))
            }
        }
    }

    static func children(_ node: ASN1Node) -> [ASN1Node] {
        if case .constructed(let c) = node.content { return Array(c) }
        return []
    }

    static func octets(_ node: ASN1Node) -> [UInt8]? {
        if case .primitive(let bytes) = node.content { return Array(bytes) }
        return nil
    }

    public init(der: [UInt8]) throws(HallmarkError) {
        func bad(_ why: String) -> HallmarkError { .verificationFailed("timestamp: malformed RFC 3161 timestamp: \(why)") }
        let root: ASN1Node
        do { root = try DER.parse(der) } catch { throw bad("not DER") }
        var contentInfo = root
        let top = Self.children(root)
        if let first = top.first, first.identifier == .sequence {
            // TimeStampResp: the status must be granted (0) or grantedWithMods (1).
            guard let status = Self.children(first).first, let value = try? Int(derEncoded: status), value == 0 || value == 1 else {
                throw bad("the response status is not granted")
            }
            guard top.count >= 2 else { throw bad("the response has no token") }
            contentInfo = top[1]
        }
        let ci = Self.children(contentInfo)
        guard ci.count == 2, let oid = try? ASN1ObjectIdentifier(derEncoded: ci[0]), oid == [1, 2, 840, 113549, 1, 7, 2],
            let signedData = Self.children(ci[1]).first
        else { throw bad("the token is not CMS SignedData") }
        let sd = Self.children(signedData)
        guard sd.count >= 4 else { throw bad("SignedData is incomplete") }
        let encap = Self.children(sd[2])
        guard encap.count == 2, let eoid = try? ASN1ObjectIdentifier(derEncoded: encap[0]), eoid == [1, 2, 840, 113549, 1, 9, 16, 1, 4],
            let wrapped = Self.children(encap[1]).first, let tst = Self.octets(wrapped)
        else { throw bad("the content is not a TSTInfo") }
        tstInfo = tst
        guard let signerInfos = sd.last, let signer = Self.children(signerInfos).first else { throw bad("no SignerInfo") }
        let si = Self.children(signer)
        guard si.count >= 5 else { throw bad("SignerInfo is incomplete") }
        guard let digestOID = Self.children(si[2]).first.flatMap({ try? ASN1ObjectIdentifier(derEncoded: $0) }),
            let digest = DigestAlgorithmID(digestOID)
        else { throw bad("unsupported SignerInfo digest algorithm") }
        signerDigest = digest
        var index = 3
        if si[3].identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            var attributes = Array(si[3].encodedBytes)
            attributes[0] = 0x31  // signed as a SET OF (RFC 5652 §5.4)
            signedAttributes = attributes
            for attribute in Self.children(si[3]) {
                let parts = Self.children(attribute)
                if parts.count == 2, let aoid = try? ASN1ObjectIdentifier(derEncoded: parts[0]), aoid == [1, 2, 840, 113549, 1, 9, 4],
                    let value = Self.children(parts[1]).first
                {
                    messageDigest = Self.octets(value)
                }
            }
            index = 4
        }
        guard index + 1 < si.count, let sig = Self.octets(si[index + 1]) else { throw bad("no signature") }
        signature = sig

        let info: ASN1Node
        do { info = try DER.parse(tst) } catch { throw bad("TSTInfo is not DER") }
        let fields = Self.children(info)
        guard fields.count >= 5 else { throw bad("TSTInfo is incomplete") }
        let imprintParts = Self.children(fields[2])
        guard imprintParts.count == 2, let algOID = Self.children(imprintParts[0]).first.flatMap({ try? ASN1ObjectIdentifier(derEncoded: $0) }),
            let alg = DigestAlgorithmID(algOID), let hashed = Self.octets(imprintParts[1])
        else { throw bad("unsupported message imprint") }
        imprintAlgorithm = alg
        imprint = hashed
        guard let time = try? GeneralizedTime(derEncoded: fields[4]) else { throw bad("genTime is not a GeneralizedTime") }
        var components = DateComponents()
        components.year = time.year
        components.month = time.month
        components.day = time.day
        components.hour = time.hours
        components.minute = time.minutes
        components.second = time.seconds
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: components) else { throw bad("genTime is not a date") }
        genTime = date.addingTimeInterval(time.fractionalSeconds)
    }

    /// Verifies the stamp covers `signature` and is signed by a trusted TSA whose chain is valid at `genTime`;
    /// returns nil when it is, or the reason.
    public func problem(covering signed: [UInt8], authorities: [TrustedRoot.Authority]) -> String? {
        guard imprint == imprintAlgorithm.hash(signed) else { return "timestamp: the message imprint does not cover the bundle's signature" }
        let signedBytes = signedAttributes ?? tstInfo
        if signedAttributes != nil {
            guard let messageDigest, messageDigest == signerDigest.hash(tstInfo) else {
                return "timestamp: the signed attributes' message digest does not match the TSTInfo"
            }
        }
        var reason = "timestamp: not signed by a trusted timestamp authority"
        for authority in authorities {
            guard let chain = try? authority.chain.map({ try Certificate(derEncoded: $0) }), let leaf = chain.first,
                let key = SigningCertificate.publicKey(of: leaf),
                key.isValidSignature(signature, for: signedBytes)
            else { continue }
            guard authority.validity.contains(genTime) else {
                reason = "validity window: the timestamp authority \(authority.uri) is not trusted at \(RFC3339.format(unixSeconds: Int64(genTime.timeIntervalSince1970)))"
                continue
            }
            guard SigningCertificate.linksVerify(chain, leafIsCA: false), SigningCertificate.allValid(chain, at: genTime) else {
                reason = "timestamp: the timestamp authority's certificate chain is not valid at the stamped time"
                continue
            }
            return nil
        }
        return reason
    }
}
