import Foundation
import HallmarkCore
import HallmarkEngine
import Hummingbird

/// `hallmark serve`: the evidence API over the same engine and store as the command line. Read-only so far:
/// search, a record with its verification, the log's checkpoint and proofs, the audit export, health.
public struct EvidenceServer: Sendable {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var store: EvidenceStoreOptions

        public init(host: String, port: Int, store: EvidenceStoreOptions) {
            self.host = host
            self.port = port
            self.store = store
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
        let application = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "hallmark"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                await onListening("\(self.options.host):\(port)")
            },
            logger: context.logger)
        do {
            try await application.runService()
        } catch {
            throw .io("serve: cannot listen on \(options.host):\(options.port): \(error)")
        }
    }

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ProblemMiddleware())
        let api = EvidenceAPI(context: context, store: options.store)
        router.get("/healthz") { _, _ in Self.json(["status": "ok"]) }
        router.get("/readyz") { _, _ in try await api.ready() }
        router.get("/evidence") { request, _ in try await api.search(Self.query(request)) }
        router.get("/evidence/:id") { _, context in try await api.record(try context.parameters.require("id")) }
        router.get("/log/checkpoint") { _, _ in try await api.checkpoint() }
        router.get("/log/proof/:id") { _, context in try await api.proof(try context.parameters.require("id")) }
        router.get("/audit/export") { request, _ in try await api.auditExport(Self.query(request)) }
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
        return router
    }

    /// The query's parameters, decoded, in order.
    static func query(_ request: Request) -> [(String, String)] {
        request.uri.queryParameters.map { (String($0.key), String($0.value)) }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? CanonicalJSON.prettyData(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Errors as RFC 9457 problem details: `{type, title, status, detail, code}`; library error codes map to statuses.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    struct Problem: Encodable {
        var type = "about:blank"
        var title: String
        var status: Int
        var detail: String
        var code: String
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HallmarkError {
            let status: HTTPResponse.Status = switch error.code {
            case .usage, .invalidInput, .invalidKey: error.message.contains("no such record") ? .notFound : .badRequest
            case .verificationFailed: .conflict
            default: .serviceUnavailable
            }
            return Self.problem(status, detail: error.message, code: error.problem?.rawValue ?? error.code.rawValue)
        } catch let error as HTTPError {
            return Self.problem(error.status, detail: error.body ?? error.status.reasonPhrase, code: "http")
        }
    }

    static func problem(_ status: HTTPResponse.Status, detail: String, code: String) -> Response {
        let problem = Problem(title: status.reasonPhrase, status: status.code, detail: detail, code: code)
        let data = (try? CanonicalJSON.prettyData(problem)) ?? Data()
        return Response(status: status, headers: [.contentType: "application/problem+json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
