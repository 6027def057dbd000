import Foundation

/// A private CA and a server certificate it signs for 127.0.0.1 (subjectAltName IP, serverAuth), made with
/// openssl, for servers the tests start with TLS.
public enum TestCertificates {
    public static let serverCertificate = "server.pem"
    public static let serverKey = "server.key"

    /// Writes ca.pem, ca.key, server.pem and server.key into `directory`; returns the CA certificate's path.
    @discardableResult
    public static func make(in directory: TemporaryDirectory) throws -> (ca: String, certificate: String, key: String) {
        func openssl(_ arguments: [String]) throws {
            let result = try ProcessRunner.run("openssl", arguments, in: directory.path)
            guard result.status == 0 else { throw FixtureError("openssl \(arguments.first ?? ""): \(result.stderr)") }
        }
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        try openssl(["req", "-x509"] + curve + ["-subj", "/CN=Hallmark Test CA", "-days", "2", "-keyout", "ca.key", "-out", "ca.pem",
                                                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try openssl(["req"] + curve + ["-subj", "/CN=127.0.0.1", "-keyout", serverKey, "-out", "server.csr"])
        try directory.write("server.ext", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
        try openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                     "-out", serverCertificate, "-extfile", "server.ext"])
        return (directory.url("ca.pem"), directory.url(serverCertificate), directory.url(serverKey))
    }
}
