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

    static func oid(_ node: ASN1Node?) -> ASN1ObjectIdentifier? {
        guard let node else { return nil }
        switch Result(catching: { try ASN1ObjectIdentifier(derEncoded: node) }) {
        case .success(let oid): return oid
        case .failure: return nil
        }
    }

    static func octets(_ node: ASN1Node) -> [UInt8]? {
        if case .primitive(let bytes) = node.content { return Array(bytes) }
        return nil
    }

    public init(der: [UInt8]) throws(HallmarkError) {
        func bad(_ why: String) -> HallmarkError {
            .invalidInput("timestamp: malformed RFC 3161 timestamp: \(why)", problem: .timestampInvalid)
        }
        let root: ASN1Node
        do { root = try DER.parse(der) } catch { throw bad("not DER") }
        guard root.identifier == .sequence else { throw bad("not a TimeStampResp or TimeStampToken (SEQUENCE)") }
        var contentInfo = root
        let top = Self.children(root)
        if let first = top.first, first.identifier == .sequence {
            // TimeStampResp: the status must be granted (0) or grantedWithMods (1).
            guard let status = Self.children(first).first, case .success(let value) = Result(catching: { try Int(derEncoded: status) }),
                value == 0 || value == 1
            else {
                throw bad("the response status is not granted")
            }
            guard top.count >= 2 else { throw bad("the response has no token") }
            contentInfo = top[1]
        }
        let ci = Self.children(contentInfo)
        guard ci.count == 2, let oid = Self.oid(ci[0]), oid == [1, 2, 840, 113549, 1, 7, 2],
            let signedData = Self.children(ci[1]).first
        else { throw bad("the token is not CMS SignedData") }
        let sd = Self.children(signedData)
        guard sd.count >= 4 else { throw bad("SignedData is incomplete") }
        let encap = Self.children(sd[2])
        guard encap.count == 2, let eoid = Self.oid(encap[0]), eoid == [1, 2, 840, 113549, 1, 9, 16, 1, 4],
            let wrapped = Self.children(encap[1]).first, let tst = Self.octets(wrapped)
        else { throw bad("the content is not a TSTInfo") }
        tstInfo = tst
        guard let signerInfos = sd.last, let signer = Self.children(signerInfos).first else { throw bad("no SignerInfo") }
        let si = Self.children(signer)
        guard si.count >= 5 else { throw bad("SignerInfo is incomplete") }
        guard let digestOID = Self.oid(Self.children(si[2]).first),
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
                if parts.count == 2, let aoid = Self.oid(parts[0]), aoid == [1, 2, 840, 113549, 1, 9, 4],
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
        guard imprintParts.count == 2, let algOID = Self.oid(Self.children(imprintParts[0]).first),
            let alg = DigestAlgorithmID(algOID), let hashed = Self.octets(imprintParts[1])
        else { throw bad("unsupported message imprint") }
        imprintAlgorithm = alg
        imprint = hashed
        let time: GeneralizedTime
        do { time = try GeneralizedTime(derEncoded: fields[4]) } catch { throw bad("genTime is not a GeneralizedTime") }
        guard let seconds = RFC3339.unixSeconds(
            year: Int64(time.year), month: Int64(time.month), day: Int64(time.day), hour: Int64(time.hours), minute: Int64(time.minutes),
            second: Int64(time.seconds))
        else { throw bad("genTime is not a date") }
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        genTime = date.addingTimeInterval(time.fractionalSeconds)
    }

    /// Verifies that the stamp covers `signed` (the bundle's signature bytes) and is signed by a timestamp
    /// authority of the trusted root whose certificate path is valid at the stamped time, inside the authority's
    /// trusted window.
    public func verify(covering signed: [UInt8], authorities: [TrustedRoot.Authority]) async -> Result<VerifiedTime, VerificationProblem> {
        guard imprint == imprintAlgorithm.hash(signed) else {
            return .failure(.init(.timestampInvalid, "timestamp: the message imprint does not cover the bundle's signature"))
        }
        let signedBytes = signedAttributes ?? tstInfo
        if signedAttributes != nil {
            guard let messageDigest, messageDigest == signerDigest.hash(tstInfo) else {
                return .failure(.init(.timestampInvalid, "timestamp: the signed attributes' message digest does not match the TSTInfo"))
            }
        }
        var best = VerificationProblem(.timestampUntrusted, "timestamp: not signed by a timestamp authority of the trusted root")
        for authority in authorities {
            guard let leaf = authority.certificates.first, let key = SigningCertificate.publicKey(of: leaf),
                key.isValidSignature(signature, for: signedBytes)
            else { continue }
            switch await CertificatePathValidator.validate(leaf, purpose: .timeStamping, authorities: [authority], at: [genTime]) {
            case .success: return .success(VerifiedTime(time: genTime, source: .rfc3161, authority: authority.uri))
            case .failure(let problem): best = problem
            }
        }
        return .failure(best)
    }
}
