import Foundation
import HallmarkCore
import HallmarkCrypto

/// Keys and files that tests share.
public enum Fixtures {
    /// A fixed Ed25519 key (RFC 8032 test 1's secret), so tests that need stable signatures get them.
    public static let ed25519PEM = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
        -----END PRIVATE KEY-----

        """

    public static func ed25519Key() throws -> PrivateKey {
        try PrivateKey(pem: ed25519PEM, source: "fixture", passphrase: { nil })
    }
}
