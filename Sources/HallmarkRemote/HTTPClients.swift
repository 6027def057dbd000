import AsyncHTTPClient
import Foundation
import HallmarkCore
import NIOCore
import NIOSSL

/// The HTTP clients of one process (a command-line run or a server), shared by every operation it runs so that
/// connections are pooled and no operation starts an event loop of its own. A client is made on first use for
/// each combination of settings (timeout, extra CA certificates, whether redirects are followed) and kept until
/// ``shutdown()``.
public final class HTTPClients: @unchecked Sendable {  // `clients` and `closed` are guarded by `lock`
    struct Key: Hashable {
        var timeoutSeconds: Int64
        var caFingerprint: Data?
        var followRedirects: Bool
    }

    private let lock = NSLock()
    private var clients: [Key: HTTPClient] = [:]
    private var closed = false

    public init() {}

    /// The client for these settings; the same object for the same settings.
    func client(timeoutSeconds: Int64, trusting extra: TrustedCertificates?, followRedirects: Bool) throws(HallmarkError) -> HTTPClient {
        let key = Key(timeoutSeconds: timeoutSeconds, caFingerprint: extra?.fingerprint, followRedirects: followRedirects)
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { throw .io("the HTTP clients were shut down; no more requests can be sent") }
        if let existing = clients[key] { return existing }
        let made = HTTPClient.hallmark(timeoutSeconds: timeoutSeconds, trusting: extra, followRedirects: followRedirects)
        clients[key] = made
        return made
    }

    /// Closes every client (their connections end). Call once, when the process or server is done.
    public func shutdown() async {
        let all = lock.withLock {
            closed = true
            defer { clients = [:] }
            return Array(clients.values)
        }
        for client in all {
            do { try await client.shutdown() } catch { /* closing: nothing is waiting on these connections any more */ }
        }
    }
}
