import Crypto
import Foundation
import HallmarkCore
import SwiftASN1

extension PublicKey {
    /// The key in the SSH wire format (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4).
    public var sshWireFormat: [UInt8]? {
        func string(_ bytes: [UInt8]) -> [UInt8] {
            let n = UInt32(bytes.count)
            return [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + bytes
        }
        func mpint(_ magnitude: ArraySlice<UInt8>) -> [UInt8] {
            var bytes = Array(magnitude.drop { $0 == 0 })
            if let first = bytes.first, first & 0x80 != 0 { bytes.insert(0, at: 0) }
            return string(bytes)
        }
        switch backing {
        case .ed25519(let k):
            return string(Array("ssh-ed25519".utf8)) + string(Array(k.rawRepresentation))
        case .p256(let k):
            return string(Array("ecdsa-sha2-nistp256".utf8)) + string(Array("nistp256".utf8)) + string(Array(k.x963Representation))
        case .p384(let k):
            return string(Array("ecdsa-sha2-nistp384".utf8)) + string(Array("nistp384".utf8)) + string(Array(k.x963Representation))
        case .rsa:
            // SubjectPublicKeyInfo → BIT STRING → RSAPublicKey { modulus, publicExponent }.
            do {
                let spki = try DER.parse(spkiDER)
                guard case .constructed(let parts) = spki.content else { return nil }
                let children = Array(parts)
                guard children.count == 2 else { return nil }
                let bits = children[1]
                let bitString = try ASN1BitString(derEncoded: bits)
                let rsa = try DER.parse(Array(bitString.bytes))
                guard case .constructed(let numbers) = rsa.content else { return nil }
                let values = Array(numbers)
                guard values.count == 2, case .primitive(let modulus) = values[0].content, case .primitive(let exponent) = values[1].content else {
                    return nil
                }
                return string(Array("ssh-rsa".utf8)) + mpint(exponent) + mpint(modulus)
            } catch {
                return nil
            }
        }
    }

    /// OpenSSH's fingerprint, `SHA256:` and the unpadded base64 of the wire format's SHA-256 (what `ssh-keygen -l`
    /// prints, and what go-securesystemslib uses as a DSSE key id by default).
    public var sshFingerprint: String? {
        guard let wire = sshWireFormat else { return nil }
        var text = Base64.encode(Array(SHA256.hash(data: wire)))
        while text.hasSuffix("=") { text.removeLast() }
        return "SHA256:" + text
    }
}
