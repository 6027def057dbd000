import Foundation
import HallmarkCore
import SwiftASN1
import X509

/// A Sigstore `trusted_root.json`: the certificate authorities, transparency logs, CT logs and timestamp
/// authorities a verifier trusts, each for a closed validity interval.
public struct TrustedRoot: Sendable {
    public struct Validity: Sendable {
        public var start: Date
        public var end: Date?

        /// Closed at both ends.
        public func contains(_ date: Date) -> Bool { date >= start && (end.map { date <= $0 } ?? true) }
    }

    /// A transparency or CT log key.
    public struct LogKey: Sendable {
        public var baseURL: String
        public var logID: [UInt8]
        public var spki: [UInt8]
        public var key: PublicKey
        public var validity: Validity
    }

    public struct Authority: Sendable {
        public var uri: String
        /// DER certificates, leaf-most first, root last.
        public var chain: [[UInt8]]
        public var validity: Validity
        /// The same certificates, parsed when the trusted root was.
        let certificates: [Certificate]

        init(uri: String, chain: [[UInt8]], validity: Validity, certificates: [Certificate]) {
            self.uri = uri
            self.chain = chain
            self.validity = validity
            self.certificates = certificates
        }

        /// An authority from DER certificates, leaf-most first.
        public init(uri: String, chainDER: [[UInt8]], validity: Validity) throws(HallmarkError) {
            var certificates: [Certificate] = []
            for (index, der) in chainDER.enumerated() {
                do { certificates.append(try Certificate(derEncoded: der)) } catch {
                    throw .invalidInput("\(uri): certificate \(index) does not parse (\(error))", problem: .trustedRootMalformed)
                }
            }
            self.init(uri: uri, chain: chainDER, validity: validity, certificates: certificates)
        }
    }

    public var certificateAuthorities: [Authority]
    public var tlogs: [LogKey]
    public var ctlogs: [LogKey]
    public var timestampAuthorities: [Authority]

    /// A root that trusts nothing: enough for key-signed bundles that carry no log entry or timestamp.
    public static let empty = TrustedRoot(certificateAuthorities: [], tlogs: [], ctlogs: [], timestampAuthorities: [])

    init(certificateAuthorities: [Authority], tlogs: [LogKey], ctlogs: [LogKey], timestampAuthorities: [Authority]) {
        self.certificateAuthorities = certificateAuthorities
        self.tlogs = tlogs
        self.ctlogs = ctlogs
        self.timestampAuthorities = timestampAuthorities
    }

    public init(parsing data: Data, source: String) throws(HallmarkError) {
        func bad(_ why: String) -> HallmarkError { .invalidInput("\(source): malformed trusted root: \(why)", problem: .trustedRootMalformed) }
        let root: JSONValue
        do { root = try JSONValue(parsing: data) } catch { throw bad("not JSON (\(error.description))") }
        guard let mediaType = root["mediaType"]?.stringValue, mediaType.hasPrefix("application/vnd.dev.sigstore.trustedroot") else {
            throw bad("mediaType is not a Sigstore trusted root")
        }
        func validity(_ value: JSONValue?, _ at: String) throws(HallmarkError) -> Validity {
            guard let startText = value?["start"]?.stringValue, let start = RFC3339.parse(startText) else {
                throw bad("\(at).validFor.start is missing or not a timestamp")
            }
            var end: Date?
            if let endText = value?["end"]?.stringValue {
                guard let parsed = RFC3339.parse(endText) else { throw bad("\(at).validFor.end is not a timestamp") }
                end = parsed
            }
            return Validity(start: start, end: end)
        }
        func logs(_ key: String) throws(HallmarkError) -> [LogKey] {
            var out: [LogKey] = []
            for (i, log) in (root[key]?.arrayValue ?? []).enumerated() {
                let at = "\(key)[\(i)]"
                let spki = try SigstoreBundle.base64(log["publicKey"]?["rawBytes"], "\(at).publicKey.rawBytes", bad)
                let logID = try SigstoreBundle.base64(log["logId"]?["keyId"], "\(at).logId.keyId", bad)
                // Keys are SPKI DER, except PKCS1_RSA_* keys, which are bare PKCS#1. A key this verifier cannot
                // use is left out: it can then verify nothing.
                let details = log["publicKey"]?["keyDetails"]?.stringValue ?? ""
                let parsed: PublicKey
                do {
                    parsed = details.hasPrefix("PKCS1_RSA")
                        ? try PublicKey(pem: PEMDocument(label: "RSA PUBLIC KEY", der: spki).pemText, source: "\(source) \(at)")
                        : try PublicKey(spki: spki, source: "\(source) \(at)")
                } catch {
                    continue  // an algorithm this verifier cannot use: the log is left out, so its entries are untrusted
                }
                out.append(LogKey(
                    baseURL: log["baseUrl"]?.stringValue ?? "", logID: logID, spki: spki, key: parsed,
                    validity: try validity(log["publicKey"]?["validFor"], at)))
            }
            return out
        }
        func authorities(_ key: String) throws(HallmarkError) -> [Authority] {
            var out: [Authority] = []
            for (i, ca) in (root[key]?.arrayValue ?? []).enumerated() {
                let at = "\(key)[\(i)]"
                var chain: [[UInt8]] = []
                var certificates: [Certificate] = []
                for (j, cert) in (ca["certChain"]?["certificates"]?.arrayValue ?? []).enumerated() {
                    let field = "\(at).certChain.certificates[\(j)].rawBytes"
                    let der = try SigstoreBundle.base64(cert["rawBytes"], field, bad)
                    do { certificates.append(try Certificate(derEncoded: der)) } catch { throw bad("\(field) is not a certificate (\(error))") }
                    chain.append(der)
                }
                guard !chain.isEmpty else { throw bad("\(at).certChain is empty") }
                out.append(Authority(
                    uri: ca["uri"]?.stringValue ?? "", chain: chain, validity: try validity(ca["validFor"], at), certificates: certificates))
            }
            return out
        }
        tlogs = try logs("tlogs")
        ctlogs = try logs("ctlogs")
        certificateAuthorities = try authorities("certificateAuthorities")
        timestampAuthorities = try authorities("timestampAuthorities")
    }
}
