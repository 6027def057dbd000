import AsyncHTTPClient
import Foundation
import HallmarkConcurrency
import HallmarkCore
import NIOCore
import NIOHTTP1
import NIOSSL

/// HTTP(S) downloads with a size cap, a timeout, retries on transient failures, and every chunk handed to the
/// caller as it arrives (so it can be hashed while downloading). The only importer of async-http-client.
public struct Downloader: Sendable {
    public struct Options: Sendable {
        public var timeoutSeconds: Int64 = 30
        public var attempts = 3
        /// CA certificates (PEM) trusted for HTTPS besides the system's.
        public var caCertificates: TrustedCertificates?
        public init() {}
    }

    public var options: Options
    public var clients: HTTPClients

    public init(options: Options = Options(), clients: HTTPClients) {
        self.options = options
        self.clients = clients
    }

    /// Downloads each `(url, path, limit)` job, up to `width` at once, calling `onChunk(jobIndex, bytes)` for
    /// every chunk, and `onRestart(jobIndex)` before a retry sends the file's bytes again from the start (so a
    /// running hash can start over). Results keep the jobs' order: the byte count, or the error for that URL.
    public func download(
        _ jobs: [(url: String, path: String, limit: Int64)], width: Int = 4,
        onRestart: @escaping @Sendable (Int) -> Void = { _ in },
        onChunk: @escaping @Sendable (Int, UnsafeRawBufferPointer) -> Void
    ) async -> [Result<Int64, HallmarkError>] {
        let options = self.options
        let client: HTTPClient
        do { client = try clients.client(timeoutSeconds: options.timeoutSeconds, trusting: options.caCertificates, followRedirects: true) } catch {
            return jobs.map { _ in .failure(error) }
        }
        return await Parallel.map(count: jobs.count, width: width) { index in
            await Self.fetch(client: client, job: jobs[index], options: options, onRestart: { onRestart(index) }) { onChunk(index, $0) }
        }
    }

    static func fetch(
        client: HTTPClient, job: (url: String, path: String, limit: Int64), options: Options,
        onRestart: @escaping @Sendable () -> Void, onChunk: @escaping @Sendable (UnsafeRawBufferPointer) -> Void
    ) async -> Result<Int64, HallmarkError> {
        do {
            return .success(try await retrying(options.attempts, onRetry: onRestart) {
                try await once(client: client, job: job, options: options, onChunk: onChunk)
            })
        } catch let error as HallmarkError {
            return .failure(error)
        } catch {
            return .failure(.io("\(job.url): \(error)"))
        }
    }


    static func once(
        client: HTTPClient, job: (url: String, path: String, limit: Int64), options: Options,
        onChunk: @escaping @Sendable (UnsafeRawBufferPointer) -> Void
    ) async throws -> Int64 {
        let request = HTTPClientRequest(url: job.url)
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(options.timeoutSeconds))
        } catch {
            throw Self.connectionFailure(error, naming: job.url)
        }
        switch response.status.code {
        case 200: break
        case 500...599: throw TransientFailure(error: .io("\(job.url): HTTP \(response.status.code) \(response.status.reasonPhrase) (after retries)"))
        case 404: throw HallmarkError.verificationFailed("\(job.url): HTTP 404 Not Found (the file is missing)", problem: .downloadNotFound)
        default: throw HallmarkError.io("\(job.url): HTTP \(response.status.code) \(response.status.reasonPhrase)")
        }
        if let length = response.headers.first(name: "content-length").flatMap(Int64.init), length > job.limit {
            throw HallmarkError.verificationFailed("\(job.url): \(length) bytes is over the \(job.limit)-byte limit for this file", problem: .downloadTooLarge)
        }
        let received = try await response.save(to: job.path, limit: job.limit, naming: job.url, onChunk: onChunk)
        if let length = response.headers.first(name: "content-length").flatMap(Int64.init), length != received {
            throw HallmarkError.verificationFailed("\(job.url): truncated: \(received) of \(length) bytes", problem: .downloadFailed)
        }
        return received
    }

    /// A failed request as Hallmark reports it: an untrusted certificate or a TLS mismatch will not get better
    /// by trying again; anything else (a timeout, a refused or reset connection) is worth another attempt.
    static func connectionFailure(_ error: any Error, naming: String) -> any Error {
        let text = describe(error)
        if text.contains("TLS") { return HallmarkError.io("\(naming): \(text)") }
        return TransientFailure(error: .io("\(naming): \(text) (after retries)"))
    }

    static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError {
            if client == .deadlineExceeded || client == .readTimeout || client == .connectTimeout { return "timed out" }
            return "\(client)"
        }
        let text = "\(error)"
        if text.contains("WRONG_VERSION_NUMBER") { return "the TLS handshake failed: the server answers plain HTTP (use an http:// URL, or --plain-http for a registry)" }
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") || text.contains("unable to get local issuer") {
            return "the server's TLS certificate is not trusted (for a private CA, pass --ca-file)"
        }
        if text.contains("handshakeFailed") { return "the TLS handshake failed: \(text)" }
        if text.contains("connectTimeout") { return "timed out" }
        if text.contains("Connection refused") || text.contains("connectionRefused") { return "connection refused (is the server running?)" }
        return text
    }
}

/// CA certificates trusted for HTTPS in addition to the system's (a private registry's or mirror's CA),
/// loaded and checked before any connection is made.
public struct TrustedCertificates: Sendable {
    let certificates: [NIOSSLCertificate]
    /// The PEM file's bytes: equal files share a client, different files never do.
    let fingerprint: Data

    /// The largest CA file read (a bundle of a few hundred certificates is well under it).
    static let fileLimit = 1 << 20

    /// Reads every certificate of a PEM file; the error names the file.
    public init(pemFile path: String) throws(HallmarkError) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .io("\(path): cannot read the CA file") }
        defer { handle.closeFile() }
        let data = handle.readData(ofLength: Self.fileLimit + 1)
        guard data.count <= Self.fileLimit else { throw .invalidInput("\(path): a CA file over \(Self.fileLimit) bytes") }
        let certificates: [NIOSSLCertificate]
        do { certificates = try NIOSSLCertificate.fromPEMBytes(Array(data)) } catch {
            throw .invalidInput("\(path): not a PEM file of CA certificates (-----BEGIN CERTIFICATE----- blocks)")
        }
        guard !certificates.isEmpty else { throw .invalidInput("\(path): no CERTIFICATE blocks in the CA file") }
        self.certificates = certificates
        self.fingerprint = data
    }
}

extension HTTPClient {
    /// The client every Hallmark request uses: connection failures come back at once (Hallmark retries them
    /// itself, a few times with a short backoff) instead of being retried silently until the deadline; HTTPS
    /// trusts the system's roots and `trusting`.
    /// `followRedirects: false` for clients that carry credentials: their caller follows redirects itself and
    /// decides per origin what to send.
    static func hallmark(timeoutSeconds: Int64, trusting extra: TrustedCertificates? = nil, followRedirects: Bool = true) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        if !followRedirects { configuration.redirectConfiguration = .disallow }
        if let extra {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.certificates(extra.certificates)]
            configuration.tlsConfiguration = tls
        }
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(
            connect: .seconds(max(1, min(timeoutSeconds, 15))), read: .seconds(max(1, timeoutSeconds)), write: .seconds(max(1, timeoutSeconds)))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}

/// A failure worth trying again: a timeout, a broken connection, a 5xx answer.
struct TransientFailure: Error { var error: HallmarkError }

/// Runs `body` up to `attempts` times while it fails with a ``TransientFailure``, waiting a little longer after
/// each (0.2 s, 0.4 s, …); any other error ends it at once. The last transient failure's error is thrown.
/// `onRetry` runs before every attempt but the first.
func retrying<T>(_ attempts: Int, onRetry: () -> Void = {}, _ body: () async throws -> T) async throws -> T {
    var lastError = HallmarkError.io("not attempted")
    for attempt in 1...max(1, attempts) {
        if attempt > 1 { onRetry() }
        do {
            return try await body()
        } catch let error as TransientFailure {
            lastError = error.error
            if attempt < attempts { try? await Task.sleep(nanoseconds: UInt64(200_000_000 * attempt)) }
        }
    }
    throw lastError
}

extension HTTPClientResponse {
    /// Streams the body into a new file at `path`, handing every chunk to `onChunk` first (to hash it as it
    /// arrives); more than `limit` bytes is refused. A transfer that breaks off is a ``TransientFailure``.
    /// `naming` is what messages call the download.
    func save(
        to path: String, limit: Int64, naming: String, onChunk: @escaping @Sendable (UnsafeRawBufferPointer) -> Void
    ) async throws -> Int64 {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw HallmarkError.io("\(path): cannot create")
        }
        defer { try? handle.close() }
        var received: Int64 = 0
        do {
            for try await buffer in body {
                received += Int64(buffer.readableBytes)
                guard received <= limit else {
                    throw HallmarkError.verificationFailed("\(naming): more than the \(limit)-byte limit for this file", problem: .downloadTooLarge)
                }
                buffer.withUnsafeReadableBytes { raw in
                    onChunk(raw)
                    handle.write(Data(raw))
                }
            }
        } catch let error as HallmarkError {
            throw error
        } catch {
            throw TransientFailure(error: .io("\(naming): the download broke off: \(Downloader.describe(error)) (after retries)"))
        }
        return received
    }
}
