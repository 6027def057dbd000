import SwiftASN1

/// Small helpers for walking DER structures whose full schema we do not model.
enum DERReader {
    struct Malformed: Error {}

    static func children(_ node: ASN1Node) throws -> [ASN1Node] {
        guard case .constructed(let nodes) = node.content else { throw Malformed() }
        return Array(nodes)
    }

    static func oid(_ node: ASN1Node) throws -> String {
        try ASN1ObjectIdentifier(derEncoded: node).description
    }

    /// The algorithm OID and the first parameter node of an AlgorithmIdentifier.
    static func algorithmIdentifier(_ node: ASN1Node) throws -> (oid: String, parameters: ASN1Node?) {
        let parts = try children(node)
        guard let first = parts.first else { throw Malformed() }
        return (try oid(first), parts.count > 1 ? parts[1] : nil)
    }

    static func octets(_ node: ASN1Node) throws -> [UInt8] {
        Array(try ASN1OctetString(derEncoded: node).bytes)
    }
}
