import AsyncHTTPClient
import Foundation
import HallmarkConcurrency
import HallmarkCore
import NIOCore
import NIOHTTP1

/// Small HTTP(S) GETs held in memory, for metadata: a size cap (at most `limit` bytes are accepted; the body
/// is refused as soon as it grows past that), the same timeouts (one deadline bounds the whole fetch: head, body and retries), retries
/// and CA options as ``Downloader``, and
/// the HTTP status of a failure, so that a caller can tell "not there" (403, 404) from "broken".
public struct HTTPFetcher: Sendable {
    /// Why a fetch failed: `status` is the HTTP status when the server answered with one other than 200.
    public struct Failure: Error, Sendable {
        public var status: Int?
        public var error: HallmarkError
    }

    public var options: Downloader.Options
    public var clients: HTTPClients

    public init(options: Downloader.Options = Downloader.Options(), clients: HTTPClients) {
        self.options = options
        self.clients = clients
    }

    /// GETs `url`; more than `limit` bytes (by Content-Length or as received) is refused.
    public func fetch(_ url: String, limit: Int) async -> Result<Data, Failure> {
        let options = self.options
        let client: HTTPClient
        do { client = try clients.client(timeoutSeconds: options.timeoutSeconds, trusting: options.caCertificates, followRedirects: true) } catch {
            return .failure(Failure(status: nil, error: error))
        }
        // One deadline for everything — connecting, the response head, the body, retries — raced against the
        // transfer, so a server that answers slowly at any stage is cut off on time.
        let seconds = max(1, options.timeoutSeconds)
        do {
            return .success(
                try await withThrowingTaskGroup(of: Data?.self) { group in
                    group.addTask {
                        try await retrying(options.attempts) {
                            try await Self.once(client: client, url: url, limit: limit, options: options)
                        }
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(seconds))
                        return nil
                    }
                    defer { group.cancelAll() }
                    guard let first = try await group.next(), let data = first else {
                        throw HallmarkError.io(
                            "\(url): not received within \(seconds) s; try again, use another mirror, or raise --timeout")
                    }
                    return data
                })
        } catch let failure as Failure {
            return .failure(failure)
        } catch let error as HallmarkError {
            return .failure(Failure(status: nil, error: error))
        } catch {
            return .failure(Failure(status: nil, error: .io("\(url): \(error)")))
        }
    }

    /// Sends one request (no retries: the caller decides whether a repeat is safe) and returns the status and the
    /// body, at most `limit` bytes, whatever the status; for talking to an API that answers errors in its body.
    public func send(
        _ method: String, _ url: String, headers: [(String, String)] = [], body: Data? = nil, limit: Int = 4 << 20
    ) async throws(HallmarkError) -> (status: Int, body: Data) {
        let client = try clients.client(timeoutSeconds: options.timeoutSeconds, trusting: options.caCertificates, followRedirects: false)
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(options.timeoutSeconds))
        } catch {
            throw .io("\(url): \(Downloader.describe(error))")
        }
        var data = Data()
        do {
            for try await buffer in response.body {
                guard data.count + buffer.readableBytes <= limit else { throw HallmarkError.invalidInput("\(url): the answer is larger than \(limit) bytes") }
                buffer.withUnsafeReadableBytes { data.append(contentsOf: $0) }
            }
        } catch let error as HallmarkError {
            throw error
        } catch {
            throw .io("\(url): the answer broke off: \(Downloader.describe(error))")
        }
        return (Int(response.status.code), data)
    }

    static func once(client: HTTPClient, url: String, limit: Int, options: Downloader.Options) async throws -> Data {
        let response: HTTPClientResponse
        do {
            response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(options.timeoutSeconds))
        } catch {
            throw Downloader.connectionFailure(error, naming: url)
        }
        let code = Int(response.status.code)
        switch code {
        case 200: break
        case 500...599:
            throw TransientFailure(error: .io("\(url): HTTP \(code) \(response.status.reasonPhrase) (after retries)"))
        case 403, 404:
            throw Failure(
                status: code,
                error: .verificationFailed(
                    "\(url): HTTP \(code) \(response.status.reasonPhrase) (the file is not there)",
                    problem: .downloadNotFound))
        default: throw Failure(status: code, error: .io("\(url): HTTP \(code) \(response.status.reasonPhrase)"))
        }
        if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > limit {
            throw HallmarkError.verificationFailed(
                "\(url): \(length) bytes is over the \(limit)-byte limit for this file", problem: .downloadTooLarge)
        }
        var data = Data()
        do {
            for try await buffer in response.body {
                guard data.count + buffer.readableBytes <= limit else {
                    throw HallmarkError.verificationFailed(
                        "\(url): more than the \(limit)-byte limit for this file", problem: .downloadTooLarge)
                }
                buffer.withUnsafeReadableBytes { data.append(contentsOf: $0) }
            }
        } catch let error as HallmarkError {
            throw error
        } catch {
            throw TransientFailure(
                error: .io("\(url): the download broke off: \(Downloader.describe(error)) (after retries)"))
        }
        return data
    }
}
