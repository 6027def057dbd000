import AsyncHTTPClient
import Foundation
import HallmarkCore
import NIOCore
import NIOHTTP1

/// HTTP(S) downloads with a size cap, a timeout, retries on transient failures, and every chunk handed to the
/// caller as it arrives (so it can be hashed while downloading). The only importer of async-http-client.
public struct Downloader: Sendable {
    public struct Options: Sendable {
        public var timeoutSeconds: Int64 = 30
        public var attempts = 3
        public init() {}
    }

    public var options: Options

    public init(options: Options = Options()) { self.options = options }

    /// Downloads each `(url, path, limit)` job, up to `width` at once, calling `onChunk(jobIndex, bytes)` for
    /// every chunk. Results keep the jobs' order: the byte count, or the error for that URL.
    public func download(
        _ jobs: [(url: String, path: String, limit: Int64)], width: Int = 4,
        onChunk: @escaping @Sendable (Int, UnsafeRawBufferPointer) -> Void
    ) -> [Result<Int64, HallmarkError>] {
        let box = ResultSlots<Int64, HallmarkError>(count: jobs.count)
        let semaphore = DispatchSemaphore(value: 0)
        let options = self.options
        Task {
            let client = HTTPClient.hallmark(timeoutSeconds: options.timeoutSeconds)
            await withTaskGroup(of: Void.self) { group in
                var next = 0
                func start() {
                    guard next < jobs.count else { return }
                    let index = next
                    next += 1
                    group.addTask {
                        let result = await Self.fetch(client: client, job: jobs[index], options: options) { onChunk(index, $0) }
                        box.set(index, result)
                    }
                }
                for _ in 0..<max(1, width) { start() }
                while await group.next() != nil { start() }
            }
            try? await client.shutdown()
            semaphore.signal()
        }
        semaphore.wait()
        return box.values(missing: { .failure(.io("internal error: a download did not run")) })
    }

    static func fetch(
        client: HTTPClient, job: (url: String, path: String, limit: Int64), options: Options,
        onChunk: @escaping @Sendable (UnsafeRawBufferPointer) -> Void
    ) async -> Result<Int64, HallmarkError> {
        var lastError = HallmarkError.io("\(job.url): not attempted")
        for attempt in 1...max(1, options.attempts) {
            do {
                return .success(try await once(client: client, job: job, options: options, onChunk: onChunk))
            } catch let error as Transient {
                lastError = error.error
                if attempt < options.attempts { try? await Task.sleep(nanoseconds: UInt64(200_000_000 * attempt)) }
            } catch let error as HallmarkError {
                return .failure(error)
            } catch {
                lastError = .io("\(job.url): \(error)")
                if attempt < options.attempts { try? await Task.sleep(nanoseconds: UInt64(200_000_000 * attempt)) }
            }
        }
        return .failure(lastError)
    }

    /// A failure worth retrying (a timeout, a reset, a 5xx).
    struct Transient: Error { var error: HallmarkError }

    static func once(
        client: HTTPClient, job: (url: String, path: String, limit: Int64), options: Options,
        onChunk: @escaping @Sendable (UnsafeRawBufferPointer) -> Void
    ) async throws -> Int64 {
        let request = HTTPClientRequest(url: job.url)
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(options.timeoutSeconds))
        } catch {
            throw Transient(error: .io("\(job.url): \(Self.describe(error)) (after retries)"))
        }
        switch response.status.code {
        case 200: break
        case 500...599: throw Transient(error: .io("\(job.url): HTTP \(response.status.code) \(response.status.reasonPhrase) (after retries)"))
        case 404: throw HallmarkError.verificationFailed("\(job.url): HTTP 404 Not Found (the file is missing)")
        default: throw HallmarkError.io("\(job.url): HTTP \(response.status.code) \(response.status.reasonPhrase)")
        }
        if let length = response.headers.first(name: "content-length").flatMap(Int64.init), length > job.limit {
            throw HallmarkError.verificationFailed("\(job.url): \(length) bytes is over the \(job.limit)-byte limit for this file")
        }
        guard FileManager.default.createFile(atPath: job.path, contents: nil), let handle = FileHandle(forWritingAtPath: job.path) else {
            throw HallmarkError.io("\(job.path): cannot create")
        }
        defer { try? handle.close() }
        var received: Int64 = 0
        do {
            for try await buffer in response.body {
                received += Int64(buffer.readableBytes)
                guard received <= job.limit else {
                    throw HallmarkError.verificationFailed("\(job.url): more than the \(job.limit)-byte limit for this file")
                }
                buffer.withUnsafeReadableBytes { raw in
                    onChunk(raw)
                    handle.write(Data(raw))
                }
            }
        } catch let error as HallmarkError {
            throw error
        } catch {
            throw Transient(error: .io("\(job.url): the download broke off: \(Self.describe(error))"))
        }
        if let length = response.headers.first(name: "content-length").flatMap(Int64.init), length != received {
            throw HallmarkError.verificationFailed("\(job.url): truncated: \(received) of \(length) bytes")
        }
        return received
    }

    static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError {
            if client == .deadlineExceeded || client == .readTimeout || client == .connectTimeout { return "timed out" }
            return "\(client)"
        }
        let text = "\(error)"
        if text.contains("WRONG_VERSION_NUMBER") { return "the TLS handshake failed: the server answers plain HTTP (use an http:// URL, or --plain-http for a registry)" }
        if text.contains("handshakeFailed") || text.contains("CERTIFICATE_VERIFY_FAILED") { return "the TLS handshake failed: \(text)" }
        if text.contains("connectTimeout") { return "timed out" }
        if text.contains("Connection refused") || text.contains("connectionRefused") { return "connection refused (is the server running?)" }
        return text
    }
}

extension HTTPClient {
    /// The client every Hallmark request uses: connection failures come back at once (Hallmark retries them
    /// itself, a few times with a short backoff) instead of being retried silently until the deadline.
    static func hallmark(timeoutSeconds: Int64) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(max(1, min(timeoutSeconds, 15))), read: .seconds(max(1, timeoutSeconds)))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
