import Foundation
import HallmarkCore
import HallmarkRemote

/// How a command reaches a registry (plain HTTP or HTTPS, whose credentials) and which extra CA it trusts for
/// any HTTPS download.
public struct RegistryAccess: Sendable {
    /// Talk HTTP, not HTTPS (`--plain-http`).
    public var plainHTTP = false
    /// `--username`; with `password` (read from standard input by the command).
    public var username: String?
    public var password: String?
    /// `--registry-config`: a Docker config file other than the default.
    public var configFile: String?
    public var timeoutSeconds: Int64 = 30
    /// `--ca-file`: PEM CA certificates trusted besides the system's (a registry with a private CA).
    public var caFile: String?
    /// `--chunk-size`: upload larger blobs in chunks of this many bytes.
    public var chunkSize: Int64?

    public init() {}

    /// Docker's config file: `--registry-config`, else `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
    func configPath(_ context: EngineContext) throws(HallmarkError) -> String? {
        if let configFile { return try context.resolve(configFile) }
        // The host's own Docker config serves the host (the command line); an engine under a data directory
        // never lends the host's registry credentials to its requests.
        guard context.allowsCommands else { return nil }
        return context.settings.dockerConfigPath
    }

    /// The credentials for `registry`: the flags, else the Docker config file's entry, else its credential
    /// helper; nil means anonymous.
    func credentials(for registry: String, context: EngineContext) throws(HallmarkError) -> RegistryClient.Credentials? {
        if let username {
            guard let password, !password.isEmpty else { throw .usage("--username needs a password on standard input (--password-stdin)") }
            return .init(username: username, password: password)
        }
        guard let path = try configPath(context) else { return nil }
        guard FileIO.isFile(path) else {
            if configFile != nil { throw .invalidInput("\(path): no such registry config file") }
            return nil
        }
        let config = try DockerConfig(parsing: FileIO.read(path, display: path, limit: 4 << 20), source: path)
        if let entry = config.entry(for: registry) {
            if let token = entry.identityToken { return .identityToken(token) }
            if let user = entry.username, let password = entry.password { return .init(username: user, password: password) }
        }
        if let helper = config.helper(for: registry) {
            try context.requireCommands("a Docker credential helper (\(helper))")
            return try fromHelper(helper, registry: registry, context: context, config: path)
        }
        return nil
    }

    /// Asks `docker-credential-NAME get` (the credential-helper protocol: the server on stdin, JSON with
    /// Username and Secret on stdout). "Not found" from the helper means anonymous.
    func fromHelper(_ helper: String, registry: String, context: EngineContext, config: String) throws(HallmarkError) -> RegistryClient.Credentials? {
        guard helper.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw .invalidInput("\(config): credential helper name \"\(helper)\" is not a plain name")
        }
        let program = "docker-credential-" + helper
        let output = try Subprocess.run([program, "get"], in: context.workingDirectory, environment: context.processEnvironment, input: Data(registry.utf8))
        if output.status != 0 {
            if output.stdout.lowercased().contains("not found") || output.stderr.lowercased().contains("not found") { return nil }
            if output.status == 127 { throw .invalidInput("\(config): names the credential helper \(program), which is not on PATH") }
            throw .io("\(program) get \(registry) failed (exit \(output.status)): \(output.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard case .object(let object)? = try? JSONValue(parsing: Data(output.stdout.utf8)),
            case .string(let user)? = object["Username"], case .string(let secret)? = object["Secret"]
        else {
            throw .invalidInput("\(program) get \(registry): the answer is not JSON with Username and Secret")
        }
        // A user of "<token>" means the secret is an identity token, spent in the OAuth2 refresh flow.
        return .init(username: user, password: secret)
    }

    /// A downloader for http(s) URLs with the same timeout and extra CA.
    func downloader(context: EngineContext) throws(HallmarkError) -> Downloader {
        var options = Downloader.Options()
        options.timeoutSeconds = timeoutSeconds
        options.caCertificates = try caCertificates(context)
        return Downloader(options: options, clients: context.http)
    }

    func caCertificates(_ context: EngineContext) throws(HallmarkError) -> TrustedCertificates? {
        try caFile.map { (path) throws(HallmarkError) in try TrustedCertificates(pemFile: try context.resolve(path)) }
    }

    func client(for reference: OCIReference, context: EngineContext) throws(HallmarkError) -> RegistryClient {
        var options = RegistryClient.Options()
        options.plainHTTP = plainHTTP
        options.timeoutSeconds = timeoutSeconds
        options.chunkSize = chunkSize
        options.caCertificates = try caCertificates(context)
        return RegistryClient(
            registry: reference.registry, repository: reference.repository,
            credentials: try credentials(for: reference.registry, context: context), options: options)
    }
}
