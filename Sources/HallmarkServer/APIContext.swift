import Foundation
import HallmarkCore
import HallmarkEngine
import Hummingbird
import Prometheus

/// A request's context: Hummingbird's, and the caller its token names (set by ``AuthMiddleware``).
struct APIContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var caller: APITokens.Caller?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        caller = nil
    }

    /// The caller, when its role allows `role`; otherwise 401 (no caller) or 403.
    func require(_ role: APIRole) throws -> APITokens.Caller {
        guard let caller else { throw APIProblem(.unauthorized, code: "auth.token-missing", "send Authorization: Bearer TOKEN") }
        guard caller.role.allows(role) else {
            throw APIProblem(.forbidden, code: "auth.role", "token \(caller.name) has role \(caller.role.rawValue); this needs \(role.rawValue)")
        }
        return caller
    }
}

/// An error with its HTTP status and stable code, rendered as problem details (or a console page).
struct APIProblem: Error {
    var status: HTTPResponse.Status
    var code: String
    var detail: String

    init(_ status: HTTPResponse.Status, code: String, _ detail: String) {
        self.status = status
        self.code = code
        self.detail = detail
    }
}

/// Bearer tokens (`Authorization: Bearer hm_…`) for the API; the console's session cookie (the same token, set by
/// `/ui/login`, `HttpOnly; SameSite=Strict`) for reads and for the console's own forms. Health, readiness,
/// metrics, the OpenAPI document and the log's checkpoint need no token.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = APIContext
    static let cookie = "hallmark_session"
    static let publicPaths: Set<String> = ["/healthz", "/readyz", "/metrics", "/openapi.yaml", "/log/checkpoint", "/ui/login", "/ui/style.css", "/ui/console.js", "/"]

    let tokens: APITokens
    let cache = CallerCache()

    func authenticate(_ token: String) async throws -> APITokens.Caller? {
        if let known = await cache.caller(token) { return known }
        guard let caller = try await tokens.authenticate(token) else { return nil }
        await cache.remember(token, caller)
        return caller
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        var context = context
        let console = path.hasPrefix("/ui/")
        if let header = request.headers[.authorization] {
            // The scheme is case-insensitive (RFC 9110 §11.1).
            guard header.lowercased().hasPrefix("bearer "), let caller = try await authenticate(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)) else {
                throw APIProblem(.unauthorized, code: "auth.token-invalid", "the bearer token is not one this server knows (hallmark serve token create)")
            }
            context.caller = caller
        } else if let session = Self.session(request), request.method == .get || request.method == .head || console {
            context.caller = try await authenticate(session)
        }
        if context.caller == nil && !Self.publicPaths.contains(path) {
            if console { return Response.redirect(to: "/ui/login", type: .found) }
            throw APIProblem(.unauthorized, code: "auth.token-missing", "send Authorization: Bearer TOKEN (hallmark serve token create)")
        }
        // A console form must come from the console: a cross-site POST carries another Origin.
        if console, request.method == .post, let origin = request.headers[.origin], let host = request.head.authority,
            origin != "http://\(host)", origin != "https://\(host)"
        {
            throw APIProblem(.forbidden, code: "auth.origin", "a console form was sent from \(origin.prefix(80)), not from this server")
        }
        return try await next(request, context)
    }

    static func session(_ request: Request) -> String? {
        guard let header = request.headers[.cookie] else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix(cookie + "=") { return String(pair.dropFirst(cookie.count + 1)) }
        }
        return nil
    }
}

/// Callers by token for two seconds, so a request does not read the store to authenticate; a revoked token
/// stops working within two seconds on every node. Unknown tokens are never kept; at most 10,000 entries.
actor CallerCache {
    static let lifetime = Duration.seconds(2)
    private var entries: [String: (caller: APITokens.Caller, until: ContinuousClock.Instant)] = [:]

    func caller(_ token: String) -> APITokens.Caller? {
        guard let entry = entries[token] else { return nil }
        guard entry.until > .now else {
            entries[token] = nil
            return nil
        }
        return entry.caller
    }

    func remember(_ token: String, _ caller: APITokens.Caller) {
        if entries.count >= 10_000 { entries.removeAll() }
        entries[token] = (caller, .now + Self.lifetime)
    }
}

/// Request counts and durations by route and status, for `/metrics`.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let registry: PrometheusCollectorRegistry
    static let buckets: [Duration] = [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5)]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        // Labels from a fixed set only: a client choosing methods or paths must not grow the registry.
        let known: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
        let method = known.contains(request.method.rawValue) ? request.method.rawValue : "other"
        let labels = [("method", method), ("route", route), ("status", String(response.status.code))]
        registry.makeCounter(name: "hallmark_http_requests_total", labels: labels).increment()
        registry.makeDurationHistogram(name: "hallmark_http_request_duration_seconds", labels: [("route", route)], buckets: Self.buckets)
            .record(ContinuousClock.now - start)
        return response
    }
}

/// Errors as RFC 9457 problem details (`{type, title, status, detail, code}`), or as a console page under `/ui/`.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = APIContext
    /// The store's location, never shown to clients (messages say "the store").
    var storeLocation: String?

    struct Problem: Encodable {
        var type = "about:blank"
        var title: String
        var status: Int
        var detail: String
        var code: String
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let console = request.uri.path.hasPrefix("/ui/")
        do {
            return try await next(request, context)
        } catch let error as HallmarkError {
            let status: HTTPResponse.Status = switch error.code {
            case .usage, .invalidInput, .invalidKey: error.message.contains("no such record") || error.message.contains("no such") ? .notFound : .badRequest
            case .verificationFailed: .conflict
            default: .serviceUnavailable
            }
            var detail = error.message
            if let storeLocation, !storeLocation.isEmpty { detail = detail.replacingOccurrences(of: storeLocation, with: "the store") }
            return Self.problem(status, detail: detail, code: error.problem?.rawValue ?? error.code.rawValue, console: console)
        } catch let problem as APIProblem {
            var response = Self.problem(problem.status, detail: problem.detail, code: problem.code, console: console)
            if problem.status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
            if problem.status == .tooManyRequests { response.headers[.retryAfter] = "5" }
            return response
        } catch let error as HTTPError {
            if error.status == .notFound, let methods = EvidenceServer.methods(for: request.uri.path), !methods.contains(request.method) {
                let allow = methods.map(\.rawValue).joined(separator: ", ")
                var response = Self.problem(.methodNotAllowed, detail: "\(request.uri.path) takes \(allow)", code: "http")
                response.headers[.allow] = allow
                return response
            }
            return Self.problem(error.status, detail: error.body ?? error.status.reasonPhrase, code: "http", console: console)
        } catch let error as any HTTPResponseError {
            return Self.problem(error.status, detail: error.status.reasonPhrase, code: "http", console: console)
        } catch {
            return Self.problem(.internalServerError, detail: "internal error: \(error)", code: "internal", console: console)
        }
    }

    static func problem(_ status: HTTPResponse.Status, detail: String, code: String, console: Bool = false) -> Response {
        if console { return ConsolePages.error(status, detail: detail, code: code) }
        let problem = Problem(title: status.reasonPhrase, status: status.code, detail: detail, code: code)
        let data = (try? CanonicalJSON.prettyData(problem)) ?? Data()
        return Response(status: status, headers: [.contentType: "application/problem+json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
