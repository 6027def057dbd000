import AsyncHTTPClient
import Foundation
import HallmarkConcurrency
import HallmarkCore
import NIOCore
import NIOHTTP1

/// A client for one repository of an OCI registry (the distribution spec's pull and push endpoints), with
/// the two authentication schemes registries use: HTTP Basic, and Bearer tokens from the realm named in a
/// `WWW-Authenticate` challenge (Docker's token protocol), fetched with the same credentials.
public struct RegistryClient: Sendable {
    public struct Credentials: Sendable, Equatable {
        public var username: String
        public var password: String
        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }

        /// Docker's spelling of an identity token (an OAuth2 refresh token): user `<token>`, the token as secret.
        public static let identityTokenUser = "<token>"
        public static func identityToken(_ token: String) -> Credentials { .init(username: identityTokenUser, password: token) }
        public var isIdentityToken: Bool { username == Self.identityTokenUser }

        /// The `Authorization` value for HTTP Basic.
        var basic: String { "Basic " + Data("\(username):\(password)".utf8).base64EncodedString() }
    }

    public struct Options: Sendable {
        /// Talk HTTP instead of HTTPS (a registry on localhost or inside a test network).
        public var plainHTTP = false
        public var timeoutSeconds: Int64 = 30
        public var attempts = 3
        /// CA certificates (PEM) trusted for HTTPS besides the system's.
        public var caCertificates: TrustedCertificates?
        /// Upload blobs larger than this in chunks of this many bytes (PATCH requests), for registries or proxies
        /// that limit a request's size; nil sends each blob in one PUT.
        public var chunkSize: Int64?
        public init() {}
    }

    public var registry: String
    public var repository: String
    public var credentials: Credentials?
    public var options: Options

    public init(registry: String, repository: String, credentials: Credentials?, options: Options = Options()) {
        self.registry = registry
        self.repository = repository
        self.credentials = credentials
        self.options = options
    }

    /// Runs `body` with a session (one HTTP client of `clients` and the authentication it earns).
    public func run<T: Sendable>(
        clients: HTTPClients, _ body: @escaping @Sendable (RegistrySession) async throws -> T
    ) async throws(HallmarkError) -> T {
        let http = try clients.client(timeoutSeconds: options.timeoutSeconds, trusting: options.caCertificates, followRedirects: false)
        do {
            return try await body(RegistrySession(client: self, http: http))
        } catch let error as HallmarkError {
            throw error
        } catch let error as TransientFailure {
            throw error.error
        } catch {
            throw .io("\(registry): \(error)")
        }
    }
}

/// One conversation with a registry. Safe to use from concurrent tasks; the authorization it earns is shared.
public final class RegistrySession: @unchecked Sendable {  // `authorization` is guarded by `lock`
    let client: RegistryClient
    let http: HTTPClient
    private let lock = NSLock()
    private var authorization: String?

    init(client: RegistryClient, http: HTTPClient) {
        self.client = client
        self.http = http
    }

    var base: String { (client.options.plainHTTP ? "http://" : "https://") + client.registry + "/v2/" + client.repository }
    /// The only origin the session's authorization (Basic credentials or a token) is sent to.
    var registryOrigin: Origin? { Origin(url: (client.options.plainHTTP ? "http://" : "https://") + client.registry) }
    var display: String { client.registry + "/" + client.repository }

    static let manifestAccept = [
        OCIManifest.mediaType, "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.index.v1+json",
    ].joined(separator: ", ")

    // MARK: - Manifests

    /// The bytes of the manifest stored under `reference` (a tag or digest), or nil when the registry has
    /// none. The caller hashes them: a registry's word for a digest is not taken.
    public func manifest(_ reference: String) async throws -> Data? {
        let response = try await send(.GET, base + "/manifests/" + reference, headers: [("Accept", Self.manifestAccept)], push: false)
        if response.status == .notFound { return nil }
        guard response.status == .ok else { throw try await failure(response, "reading the manifest \(reference)") }
        var data = Data()
        for try await buffer in response.body {
            data.append(contentsOf: buffer.readableBytesView)
            guard data.count <= OCIManifest.sizeLimit else {
                throw HallmarkError.verificationFailed("\(display): the manifest \(reference) is over \(OCIManifest.sizeLimit) bytes")
            }
        }
        return data
    }

    /// Stores a manifest under `tag`; returns the digest the registry reports, if it reports one.
    @discardableResult
    public func putManifest(_ data: Data, tag: String, mediaType: String = OCIManifest.mediaType) async throws -> String? {
        var request = HTTPClientRequest(url: base + "/manifests/" + tag)
        request.method = .PUT
        request.headers.add(name: "Content-Type", value: mediaType)
        request.headers.add(name: "Content-Length", value: String(data.count))
        let body = data
        let response = try await send(request, push: true, body: { .bytes(ByteBuffer(bytes: body)) })
        guard response.status == .created || response.status == .ok else {
            throw try await failure(response, "storing the manifest as \(tag)")
        }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return response.headers.first(name: "Docker-Content-Digest")
    }

    // MARK: - Blobs

    public func blobExists(_ digest: String) async throws -> Bool {
        let response = try await send(.HEAD, base + "/blobs/" + digest, headers: [], push: false)
        switch response.status {
        case .ok: return true
        case .notFound: return false
        default: throw try await failure(response, "checking blob \(digest)")
        }
    }

    /// Where a blob's bytes come from.
    public enum BlobSource: Sendable {
        case data(Data)
        case file(String)
    }

    /// Uploads a blob unless the repository has it already (a monolithic upload: POST, then PUT with the
    /// bytes and the digest). Returns whether bytes were sent.
    @discardableResult
    public func pushBlob(digest: String, size: Int64, from source: BlobSource) async throws -> Bool {
        if try await blobExists(digest) { return false }
        try await retrying(client.options.attempts) { try await self.uploadOnce(digest: digest, size: size, from: source) }
        return true
    }

    private func uploadOnce(digest: String, size: Int64, from source: BlobSource) async throws {
        var start = HTTPClientRequest(url: base + "/blobs/uploads/")
        start.method = .POST
        start.headers.add(name: "Content-Length", value: "0")
        let started = try await send(start, push: true, body: nil)
        guard started.status == .accepted, let location = started.headers.first(name: "Location") else {
            throw try await failure(started, "starting the upload of \(digest)")
        }
        _ = try? await started.body.collect(upTo: 1 << 20)
        var url = try absolute(location)
        var bodySize = size
        var body: @Sendable () -> HTTPClientRequest.Body = {
            switch source {
            case .data(let data): return .bytes(ByteBuffer(bytes: data))
            case .file(let path): return .stream(FileChunks(path: path), length: .known(size))
            }
        }
        if let chunkSize = client.options.chunkSize, size > chunkSize, case .file(let path) = source {
            url = try await patchChunks(of: path, size: size, chunkSize: chunkSize, to: url, digest: digest)
            bodySize = 0
            body = { .bytes(ByteBuffer()) }
        }
        // The closing PUT names the digest; the registry checks it against everything it received.
        url += (url.contains("?") ? "&" : "?") + "digest=" + digest.replacingOccurrences(of: ":", with: "%3A")
        var put = HTTPClientRequest(url: url)
        put.method = .PUT
        put.headers.add(name: "Content-Type", value: "application/octet-stream")
        put.headers.add(name: "Content-Length", value: String(bodySize))
        let response = try await send(put, push: true, bodySize: bodySize, body: body)
        guard response.status == .created else { throw try await failure(response, "uploading blob \(digest)") }
        _ = try? await response.body.collect(upTo: 1 << 20)
    }

    /// A chunked upload's middle: one PATCH per `chunkSize` bytes, each with its `Content-Range`, each answered
    /// 202 with the next `Location`. Returns the location for the closing PUT.
    private func patchChunks(of path: String, size: Int64, chunkSize: Int64, to start: String, digest: String) async throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw HallmarkError.io("\(path): cannot open to upload") }
        defer { try? handle.close() }
        var url = start
        var offset: Int64 = 0
        while offset < size {
            guard let data = try handle.read(upToCount: Int(min(chunkSize, size - offset))), !data.isEmpty else {
                throw HallmarkError.io("\(path): ended at byte \(offset) of \(size) while uploading")
            }
            var patch = HTTPClientRequest(url: url)
            patch.method = .PATCH
            patch.headers.add(name: "Content-Type", value: "application/octet-stream")
            patch.headers.add(name: "Content-Range", value: "\(offset)-\(offset + Int64(data.count) - 1)")
            patch.headers.add(name: "Content-Length", value: String(data.count))
            let response = try await send(patch, push: true, bodySize: Int64(data.count), body: { .bytes(ByteBuffer(bytes: data)) })
            guard response.status == .accepted, let location = response.headers.first(name: "Location") else {
                throw try await failure(response, "uploading bytes \(offset)-\(offset + Int64(data.count) - 1) of blob \(digest)")
            }
            _ = try? await response.body.collect(upTo: 1 << 20)
            url = try absolute(location)
            offset += Int64(data.count)
        }
        return url
    }

    /// Downloads a blob into `path`, handing every chunk to `onChunk` as it arrives; refuses more than
    /// `limit` bytes. Timeouts, broken transfers and 5xx answers are retried, each retry announced by
    /// `onRestart` (the bytes come again from the start). Returns the byte count.
    public func fetchBlob(
        _ digest: String, to path: String, limit: Int64, onRestart: @escaping @Sendable () -> Void = {},
        onChunk: @escaping @Sendable (UnsafeRawBufferPointer) -> Void
    ) async throws -> Int64 {
        try await retrying(client.options.attempts, onRetry: onRestart) { try await self.fetchOnce(digest, to: path, limit: limit, onChunk: onChunk) }
    }

    private func fetchOnce(
        _ digest: String, to path: String, limit: Int64, onChunk: @escaping @Sendable (UnsafeRawBufferPointer) -> Void
    ) async throws -> Int64 {
        let response = try await send(.GET, base + "/blobs/" + digest, headers: [], push: false)
        if response.status == .notFound {
            throw HallmarkError.verificationFailed("\(display): blob \(digest) is missing from the registry (HTTP 404)", problem: .downloadNotFound)
        }
        guard response.status == .ok else { throw try await failure(response, "fetching blob \(digest)") }
        if let length = response.headers.first(name: "content-length").flatMap(Int64.init), length > limit {
            throw HallmarkError.verificationFailed("\(display): blob \(digest) is \(length) bytes, over its \(limit)-byte limit", problem: .downloadTooLarge)
        }
        let received = try await response.save(to: path, limit: limit, naming: "\(display): blob \(digest)", onChunk: onChunk)
        return received
    }

    // MARK: - Requests and authentication

    private func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)], push: Bool) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        // GET and HEAD are safe to repeat: retry timeouts and 5xx answers (the last 5xx is returned as it is).
        let attempts = client.options.attempts
        var attempt = 0
        return try await retrying(attempts) {
            attempt += 1
            let response = try await self.sendFollowingRedirects(request, push: push)
            if (500...599).contains(response.status.code), attempt < attempts {
                _ = try? await response.body.collect(upTo: 1 << 20)
                throw TransientFailure(error: .io("\(self.display): HTTP \(response.status.code) \(response.status.reasonPhrase) (after retries)"))
            }
            return response
        }
    }

    /// Sends a request with the session's authorization; on a 401 challenge, earns authorization once (Basic
    /// or a Bearer token) and sends it again. `body` makes a fresh body for each send.
    /// The time allowed until the answer's head arrives is `--timeout`, plus, for a request with a body of
    /// `bodySize` bytes, one second per 64 KiB (the whole body goes out before the registry answers; a stalled
    /// transfer is caught sooner by the client's idle read and write timeouts).
    private func send(
        _ request: HTTPClientRequest, push: Bool, bodySize: Int64 = 0, body: (@Sendable () -> HTTPClientRequest.Body)?
    ) async throws -> HTTPClientResponse {
        var challenged = false
        while true {
            var attempt = request
            // Credentials go to the registry's origin and nowhere else (an upload Location or a redirect to another
            // host gets none).
            attempt.headers.remove(name: "Authorization")
            if mayAuthorize(attempt.url), let authorization = currentAuthorization() {
                attempt.headers.replaceOrAdd(name: "Authorization", value: authorization)
            }
            if let body { attempt.body = body() }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(attempt, timeout: .seconds(client.options.timeoutSeconds + bodySize / 65_536))
            } catch {
                throw Downloader.connectionFailure(error, naming: display)
            }
            guard response.status == .unauthorized, !challenged, mayAuthorize(attempt.url) else { return response }
            challenged = true
            let challenge = response.headers.first(name: "WWW-Authenticate") ?? ""
            _ = try? await response.body.collect(upTo: 1 << 20)
            try await authenticate(challenge: challenge, push: push)
        }
    }

    /// GET and HEAD with redirects followed here (at most five): a redirect to another origin (a blob store, a
    /// CDN) is sent without the registry's authorization.
    private func sendFollowingRedirects(_ request: HTTPClientRequest, push: Bool) async throws -> HTTPClientResponse {
        var current = request
        for _ in 0..<6 {
            let response = try await send(current, push: push, body: nil)
            guard [301, 302, 303, 307, 308].contains(response.status.code), let location = response.headers.first(name: "Location") else {
                return response
            }
            _ = try? await response.body.collect(upTo: 1 << 20)
            guard let next = Origin.resolve(location, against: current.url) else {
                throw HallmarkError.io("\(display): the registry redirected to \(location), which is not an http(s) URL")
            }
            if client.options.plainHTTP == false, Origin(url: next)?.scheme == "http" {
                throw HallmarkError.io("\(display): the registry redirected to plain HTTP (\(next)); refusing")
            }
            current.url = next
        }
        throw HallmarkError.io("\(display): more than five redirects")
    }

    /// Whether the session's authorization may go with a request to `url`: only to the registry's origin.
    func mayAuthorize(_ url: String) -> Bool {
        guard let registryOrigin, let target = Origin(url: url) else { return false }
        return target == registryOrigin
    }

    private func currentAuthorization() -> String? {
        lock.lock()
        defer { lock.unlock() }
        return authorization
    }

    private func setAuthorization(_ value: String) {
        lock.lock()
        authorization = value
        lock.unlock()
    }

    private func authenticate(challenge: String, push: Bool) async throws {
        let parsed = AuthenticationChallenge(parsing: challenge)
        let credentials = client.credentials
        switch parsed.scheme.lowercased() {
        case "basic":
            guard let credentials else {
                throw HallmarkError.io(
                    "\(display): the registry asks for credentials (HTTP 401); log in with `docker login \(client.registry)` or pass --username and --password-stdin")
            }
            guard !credentials.isIdentityToken else {
                throw HallmarkError.io("\(display): the registry wants a password (Basic), but the credentials are an identity token; pass --username and --password-stdin")
            }
            setAuthorization(credentials.basic)
        case "bearer":
            guard let realm = parsed.parameters["realm"], let realmOrigin = Origin(url: realm) else {
                throw HallmarkError.io("\(display): the registry's Bearer challenge names no usable realm: \(challenge)")
            }
            // Credentials go to a token service over HTTPS only; plain HTTP only for a registry on this machine
            // that is itself reached with --plain-http.
            if realmOrigin.scheme != "https" && !(client.options.plainHTTP && (registryOrigin?.isLoopback ?? false) && realmOrigin.isLoopback) {
                throw HallmarkError.io(
                    "\(display): the registry's token service \(realm) is not HTTPS; refusing to send credentials there (plain HTTP is accepted only for a loopback registry with --plain-http)")
            }
            let service = parsed.parameters["service"]
            let scope = parsed.parameters["scope"] ?? "repository:\(client.repository):\(push ? "pull,push" : "pull")"
            var request: HTTPClientRequest
            if let credentials, credentials.isIdentityToken {
                // OAuth2 (distribution's token spec): POST the refresh token as a form for an access token.
                request = HTTPClientRequest(url: realm)
                request.method = .POST
                var form = ["grant_type=refresh_token", "refresh_token=" + Self.escape(credentials.password), "client_id=hallmark",
                            "scope=" + Self.escape(scope)]
                if let service { form.append("service=" + Self.escape(service)) }
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.body = .bytes(ByteBuffer(string: form.joined(separator: "&")))
            } else {
                var query: [String] = []
                if let service { query.append("service=" + Self.escape(service)) }
                query.append("scope=" + Self.escape(scope))
                request = HTTPClientRequest(url: realm + (realm.contains("?") ? "&" : "?") + query.joined(separator: "&"))
                if let credentials {
                    request.headers.add(name: "Authorization", value: credentials.basic)
                }
            }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: .seconds(client.options.timeoutSeconds))
            } catch {
                throw HallmarkError.io("\(realm): \(Downloader.describe(error)) while fetching a registry token")
            }
            let data = Data(try await response.body.collect(upTo: 1 << 20).readableBytesView)
            guard response.status == .ok else {
                throw HallmarkError.io("\(display): the token service \(realm) refused \(credentials == nil ? "an anonymous request" : credentials!.isIdentityToken ? "the identity token" : "the credentials") (HTTP \(response.status.code))")
            }
            guard case .object(let object)? = try? JSONValue(parsing: data),
                case .string(let token)? = object["token"] ?? object["access_token"], !token.isEmpty
            else {
                throw HallmarkError.io("\(realm): the token service's answer has no token")
            }
            setAuthorization("Bearer " + token)
        default:
            throw HallmarkError.io("\(display): HTTP 401 with no usable challenge (\(challenge.isEmpty ? "none" : challenge))")
        }
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// Resolves a `Location` header, which may be a path, against the registry; an absolute `http://` one from
    /// a registry reached over HTTPS is refused (the upload would leave TLS).
    private func absolute(_ location: String) throws -> String {
        if let origin = Origin(url: location) {
            if client.options.plainHTTP == false, origin.scheme == "http" {
                throw HallmarkError.io("\(display): the registry sent the upload to plain HTTP (\(location)); refusing")
            }
            return location
        }
        return (client.options.plainHTTP ? "http://" : "https://") + client.registry + (location.hasPrefix("/") ? "" : "/") + location
    }

    /// An error for an unexpected answer, with the registry's own error code and message when it sent them.
    private func failure(_ response: HTTPClientResponse, _ doing: String) async throws -> any Error {
        let data = Data(((try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()).readableBytesView)
        var detail = ""
        if case .object(let object)? = try? JSONValue(parsing: data), case .array(let errors)? = object["errors"],
            case .object(let first)? = errors.first
        {
            let code: String = if case .string(let text)? = first["code"] { text } else { "" }
            let message: String = if case .string(let text)? = first["message"] { text } else { "" }
            detail = ": " + [code, message].filter { !$0.isEmpty }.joined(separator: " ")
        }
        let status = "HTTP \(response.status.code) \(response.status.reasonPhrase)"
        var text = "\(display): \(doing): \(status)\(detail)"
        if response.status == .badRequest, client.options.plainHTTP, detail.isEmpty {
            text += " (a registry that speaks HTTPS answers plain HTTP so: drop --plain-http)"
        }
        switch response.status.code {
        case 401, 403: return HallmarkError.io(text + " (the registry refused: check the credentials and the account's rights)")
        case 405: return HallmarkError.io(text + " (the registry does not accept this here: read-only, or pushes disabled)")
        case 500...599: return TransientFailure(error: .io(text + " (after retries)"))
        default: return HallmarkError.io(text)
        }
    }
}


/// A file's bytes as an async sequence of 1 MiB buffers, read as the upload asks for them.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle?
        mutating func next() async throws -> ByteBuffer? {
            guard let handle else { throw HallmarkError.io("cannot open the file to upload") }
            guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else {
                try? handle.close()
                return nil
            }
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: FileHandle(forReadingAtPath: path)) }
}
