import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real OCI registry (Debian's `docker-registry`, the CNCF distribution server) on 127.0.0.1, with its
/// config and storage in a temporary directory, started for one test and stopped when released. It can
/// require a user name and password (htpasswd, bcrypt from Apache's `htpasswd`) or Bearer tokens from a
/// token service (Docker's token protocol, as Docker Hub, GHCR and Harbor use), can serve HTTPS with a
/// certificate from a private CA made with openssl (`caCertificate`), and can be restarted read-only on the
/// same storage to stand for a registry that refuses pushes.
public final class RegistryFixture: @unchecked Sendable {  // the process handle is touched only by init, restart and deinit
    public let directory: TemporaryDirectory
    public private(set) var port: Int
    public let credentials: (user: String, password: String)?
    private let tokenService: TokenServiceFixture?
    /// With `tls`, the PEM certificate of the CA that signed the registry's certificate (for 127.0.0.1).
    public private(set) var caCertificate: String?
    private var process: Process?

    /// With `tokens`, the registry accepts only Bearer tokens issued by that token service; with `tls`, it
    /// speaks only HTTPS.
    public init(credentials: (user: String, password: String)? = nil, tokens: TokenServiceFixture? = nil, tls: Bool = false) throws {
        directory = try TemporaryDirectory("hallmark-registry")
        self.credentials = credentials ?? tokens?.credentials
        tokenService = tokens
        port = 0
        if tls { caCertificate = try TestCertificates.make(in: directory).ca }
        if let credentials, tokens == nil {
            let hash = try ProcessRunner.run("htpasswd", ["-Bbn", credentials.user, credentials.password])
            guard hash.status == 0 else { throw FixtureError("htpasswd: \(hash.stderr)") }
            try directory.write("htpasswd", hash.stdout)
        }
        try start(readOnly: false)
    }

    /// `host:port`, as it appears in oci:// references and Docker's config file.
    public var host: String { "127.0.0.1:\(port)" }

    /// Stops the registry and starts it again on the same port and storage, read-only or not.
    public func restart(readOnly: Bool) throws {
        stop()
        try start(readOnly: readOnly)
    }

    private func start(readOnly: Bool) throws {
        if port == 0 { port = try Self.freePort() }
        var config = """
            version: 0.1
            log:
              level: error
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: \(directory.url("storage"))
              maintenance:
                readonly:
                  enabled: \(readOnly)
            http:
              addr: 127.0.0.1:\(port)

            """
        if caCertificate != nil {
            config += """
                  tls:
                    certificate: \(directory.url(TestCertificates.serverCertificate))
                    key: \(directory.url(TestCertificates.serverKey))

                """
        }
        if let tokenService {
            config += """
                auth:
                  token:
                    realm: \(tokenService.realm)
                    service: \(TokenServiceFixture.service)
                    issuer: \(TokenServiceFixture.issuer)
                    rootcertbundle: \(tokenService.certificate)

                """
        } else if credentials != nil {
            config += """
                auth:
                  htpasswd:
                    realm: hallmark-test
                    path: \(directory.url("htpasswd"))

                """
        }
        let configPath = try directory.write("config.yml", config)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["docker-registry", "serve", configPath]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: try directory.write("registry.log", "")))
        try process.run()
        self.process = process
        // Ready when it accepts connections (a few hundred milliseconds).
        for _ in 0..<100 {
            if Self.accepts(port: port) { return }
            if !process.isRunning { break }
            usleep(50_000)
        }
        let log = (try? String(contentsOfFile: directory.url("registry.log"), encoding: .utf8)) ?? ""
        stop()
        throw FixtureError("docker-registry did not start on port \(port): \(log)")
    }

    private func stop() {
        guard let process else { return }
        // SIGKILL: a child can inherit a blocked SIGTERM from the test runner's threads.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    deinit { stop() }

    /// A port nobody listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw FixtureError("bind: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
