import Foundation
import HallmarkCore
import HallmarkEngine
import Hummingbird
import Prometheus

/// `hallmark serve`: the evidence API and the web console over the same engine and store as the command line.
/// The store is opened once and shared by every request; the server takes no paths or key references from requests.
public struct EvidenceServer: Sendable {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var store: EvidenceStoreOptions
        /// Where records' files are served from (`--artifact-root`, else `HALLMARK_EVIDENCE_ARTIFACT_ROOT`).
        public var artifactRoot: String?
        /// The key this server signs requests and executions with, for the callers that ask (`--signing-key`).
        /// Approvals are never signed here.
        public var signingKey: String?
        /// The largest request body accepted.
        public var maxBody: Int
        /// PostgreSQL connections the node keeps (operations beyond that wait their turn, in order).
        public var storeConnections: Int

        public init(
            host: String, port: Int, store: EvidenceStoreOptions, artifactRoot: String? = nil, signingKey: String? = nil, maxBody: Int = 256 * 1024,
            storeConnections: Int = 4
        ) {
            self.storeConnections = storeConnections
            self.host = host
            self.port = port
            self.store = store
            self.artifactRoot = artifactRoot
            self.signingKey = signingKey
            self.maxBody = maxBody
        }
    }

    public var context: EngineContext
    public var options: Options

    public init(context: EngineContext, options: Options) {
        self.context = context
        self.options = options
    }

    /// Runs until the process is stopped; `onListening` gets the bound address (`HOST:PORT`) once the server is up.
    public func run(onListening: @escaping @Sendable (String) async -> Void) async throws(HallmarkError) {
        var storeOptions = options.store
        storeOptions.connections = options.storeConnections
        let log = try await EvidenceLog.open(context: context, options: storeOptions, writing: true)
        storeOptions.shared = log
        var options = self.options
        options.store = storeOptions
        if let root = options.artifactRoot { options.artifactRoot = try context.resolve(root) as String }
        let host = options.host
        let router = Self.makeRouter(context: context, options: options)
        // A connection that sends nothing for 30 s is closed (slow or idle clients do not hold sockets forever).
        let application = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(30))),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "hallmark"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                await onListening("\(host):\(port)")
            },
            logger: context.logger)
        do {
            try await application.runService()
            await log.close()
        } catch {
            await log.close()
            throw .io("serve: cannot listen on \(host):\(self.options.port): \(error)")
        }
    }

    static func makeRouter(context: EngineContext, options: Options) -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        let registry = PrometheusCollectorRegistry()
        router.add(middleware: MetricsMiddleware(registry: registry))
        router.add(middleware: ProblemMiddleware(storeLocation: options.store.shared?.location))
        router.add(middleware: AuthMiddleware(tokens: APITokens(context: context, options: options.store)))
        let api = EvidenceAPI(context: context, store: options.store, settings: options)
        addService(router, api: api, registry: registry)
        addReads(router, api: api)
        addWorkflow(router, api: api, limit: options.maxBody)
        Console(api: api).register(on: router, limit: options.maxBody)
        return router
    }

    /// Health, readiness, metrics and this API's document.
    static func addService(_ router: Router<APIContext>, api: EvidenceAPI, registry: PrometheusCollectorRegistry) {
        let context = api.context
        let options = api.settings

        router.get("/healthz") { _, _ in Self.json(["status": "ok"]) }
        router.get("/readyz") { _, _ in try await api.ready() }
        router.get("/metrics") { _, _ in
            let size = try? await EvidenceLookup(context: context, options: options.store).ready()
            if let size { registry.makeGauge(name: "hallmark_log_size", labels: []).set(Double(size)) }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }

    }

    /// Records, their files, proofs, the checkpoint and the audit export.
    static func addReads(_ router: Router<APIContext>, api: EvidenceAPI) {
        router.get("/evidence") { request, context in
            _ = try context.require(.viewer)
            return try await api.search(Self.query(request))
        }
        router.get("/evidence/:id") { _, context in
            _ = try context.require(.viewer)
            return try await api.record(try context.parameters.require("id"))
        }
        router.get("/evidence/:id/artifacts") { _, context in
            _ = try context.require(.viewer)
            return try await api.artifacts(try context.parameters.require("id"))
        }
        router.get("/evidence/:id/artifacts/**") { _, context in
            _ = try context.require(.viewer)
            let name = context.parameters.getCatchAll().map { String($0).removingPercentEncoding ?? String($0) }.joined(separator: "/")
            return try await api.artifact(try context.parameters.require("id"), name: name)
        }
        router.get("/evidence/:id/artifact-bundle") { _, context in
            _ = try context.require(.viewer)
            return try await api.bundle(try context.parameters.require("id"))
        }
        router.get("/log/checkpoint") { _, _ in try await api.checkpoint() }
        router.get("/log/proof/:id") { _, context in
            _ = try context.require(.viewer)
            return try await api.proof(try context.parameters.require("id"))
        }
        router.get("/audit/export") { request, context in
            _ = try context.require(.viewer)
            return try await api.auditExport(Self.query(request))
        }
    }

    /// Requests, decisions and executions.
    static func addWorkflow(_ router: Router<APIContext>, api: EvidenceAPI, limit: Int) {
        for (path, rollback) in [("/promotion-requests", false), ("/rollback-requests", true)] {
            let kind = rollback ? "rollback-request" : "promotion-request"
            let prefix = rollback ? "rr-" : "pr-"
            router.get(RouterPath(path)) { request, context in
                _ = try context.require(.viewer)
                return try await api.search(Self.query(request), kinds: [kind])
            }
            router.post(RouterPath(path)) { request, context in
                let caller = try context.require(.releaser)
                return try await api.createRequest(try await Self.body(request, limit: limit), caller: caller, rollback: rollback)
            }
            router.get(RouterPath(path + "/:id")) { _, context in
                _ = try context.require(.viewer)
                return try await api.request(try context.parameters.require("id"), prefixes: [prefix])
            }
            router.get(RouterPath(path + "/:id/approvals")) { _, context in
                _ = try context.require(.viewer)
                return try await api.approvals(try context.parameters.require("id"), prefixes: [prefix])
            }
            router.post(RouterPath(path + "/:id/approvals")) { request, context in
                let caller = try context.require(.approver)
                return try await api.submitDecision(try context.parameters.require("id"), try await Self.body(request, limit: limit), caller: caller)
            }
            router.post(RouterPath(path + "/:id/executions")) { request, context in
                let caller = try context.require(.releaser)
                let id = try context.parameters.require("id")
                try EvidenceAPI.checkID(id, prefixes: [prefix])
                return try await api.execute(id, try await Self.body(request, limit: limit, empty: true), caller: caller)
            }
        }
        router.get("/promotion-executions") { request, context in
            _ = try context.require(.viewer)
            return try await api.search(Self.query(request), kinds: ["promotion-execution", "rollback-execution"])
        }
        router.get("/promotion-executions/:id") { _, context in
            _ = try context.require(.viewer)
            return try await api.execution(try context.parameters.require("id"))
        }
    }

    /// The methods the API path `path` takes (nil for a path that is not the API's): a request with another method
    /// is answered 405 with them.
    static func methods(for path: String) -> [HTTPRequest.Method]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (pattern, methods) in apiMethods {
            let template = pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            if template.last == "**" {
                if parts.count >= template.count, zip(template.dropLast(), parts).allSatisfy({ $0.hasPrefix(":") || $0 == $1 }) { return methods }
            } else if template.count == parts.count, zip(template, parts).allSatisfy({ $0.hasPrefix(":") || $0 == $1 }) {
                return methods
            }
        }
        return nil
    }

    /// The API's paths (as the router spells them) and the methods each takes.
    static let apiMethods: [(String, [HTTPRequest.Method])] = [
        ("/healthz", [.get]), ("/readyz", [.get]), ("/metrics", [.get]), ("/openapi.yaml", [.get]), ("/evidence", [.get]),
        ("/evidence/:id", [.get]), ("/evidence/:id/artifacts", [.get]), ("/evidence/:id/artifacts/**", [.get]),
        ("/evidence/:id/artifact-bundle", [.get]), ("/log/checkpoint", [.get]), ("/log/proof/:id", [.get]), ("/audit/export", [.get]),
        ("/promotion-requests", [.get, .post]), ("/promotion-requests/:id", [.get]), ("/promotion-requests/:id/approvals", [.get, .post]),
        ("/promotion-requests/:id/executions", [.post]), ("/rollback-requests", [.get, .post]), ("/rollback-requests/:id", [.get]),
        ("/rollback-requests/:id/approvals", [.get, .post]), ("/rollback-requests/:id/executions", [.post]),
        ("/promotion-executions", [.get]), ("/promotion-executions/:id", [.get]),
    ]

    /// The query's parameters, decoded, in order.
    static func query(_ request: Request) -> [(String, String)] {
        request.uri.queryParameters.map { (String($0.key), String($0.value)) }
    }

    /// The request's JSON body: at most `limit` bytes (413 beyond), JSON (400 otherwise); `empty` allows no body.
    static func body(_ request: Request, limit: Int, empty: Bool = false) async throws -> JSONValue {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw APIProblem(.contentTooLarge, code: "request.too-large", "the body is larger than \(limit / 1024) KiB")
        }
        if buffer.readableBytes == 0 && empty { return .object([:]) }
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            throw APIProblem(.unsupportedMediaType, code: "request.media-type", "send the body as application/json")
        }
        do {
            return try JSONValue(parsing: Data(buffer.readableBytesView))
        } catch {
            throw HallmarkError.invalidInput("the body is not JSON: \(error)")
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? CanonicalJSON.prettyData(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
