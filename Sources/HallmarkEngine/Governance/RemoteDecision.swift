import Foundation
import HallmarkCore
import HallmarkRemote

/// `promote approve|reject --server URL`: the approver's side of the API. The request is fetched from the server
/// and checked here (its envelope's signature, and that its id is its digest's), the decision is signed here with
/// the approver's key, and either printed (`--sign-only`, to hand to the console or to another person) or
/// submitted; when another decision lands first (`promotion.stale`) it is signed again over the new chain head.
public struct RemoteDecision: Sendable {
    public var context: EngineContext
    public var server: String
    public var token: String?

    public init(context: EngineContext, server: String, token: String?) {
        self.context = context
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.token = token ?? context.settings.apiToken
    }

    struct RequestPage: Decodable {
        var id: String
        var envelope: String
        var after: RecordLink
    }

    struct Problem: Decodable {
        var code: String?
        var detail: String?
    }

    var fetcher: HTTPFetcher { HTTPFetcher(clients: context.http) }
    var headers: [(String, String)] { (token.map { [("Authorization", "Bearer \($0)")] } ?? []) + [("Accept", "application/json")] }

    static func collection(_ requestID: String) -> String { requestID.hasPrefix("rr-") ? "rollback-requests" : "promotion-requests" }

    /// The decision signed over the request as the server shows it now: its id and its envelope's bytes.
    public func sign(
        requestID: String, decision: PromotionApproval.Decision, key: String?, comment: String?
    ) async throws(HallmarkError) -> (id: String, body: Data) {
        guard server.hasPrefix("http://") || server.hasPrefix("https://") else { throw .usage("--server \(server): give an http:// or https:// URL") }
        let url = "\(server)/\(Self.collection(requestID))/\(requestID)"
        let (status, body) = try await fetcher.send("GET", url, headers: headers)
        guard status == 200 else { throw Self.failure(url, status, body) }
        let page = try CanonicalJSON.decode(RequestPage.self, from: body, source: url)
        guard page.id == requestID else { throw .invalidInput("\(url): the server answered with \(page.id.prefix(40)), not \(requestID)") }
        return try Promotions(context: context, options: EvidenceStoreOptions()).signDecision(
            requestBody: Data(page.envelope.utf8), requestID: requestID, after: page.after, decision: decision, key: key, comment: comment)
    }

    /// Submits a signed decision; returns the server's answer (the record as created).
    public func submit(requestID: String, body: Data) async throws(HallmarkError) -> Promotions.Created {
        let url = "\(server)/\(Self.collection(requestID))/\(requestID)/approvals"
        let (status, answer) = try await fetcher.send("POST", url, headers: headers + [("Content-Type", "application/json")], body: body)
        guard status == 200 || status == 201 else { throw Self.failure(url, status, answer) }
        return try CanonicalJSON.decode(Promotions.Created.self, from: answer, source: url)
    }

    /// Signs and submits, signing again (up to 8 times) when another decision landed first.
    public func decide(
        requestID: String, decision: PromotionApproval.Decision, key: String?, comment: String?
    ) async throws(HallmarkError) -> Promotions.Created {
        var last: HallmarkError?
        for _ in 0..<8 {
            let (_, body) = try await sign(requestID: requestID, decision: decision, key: key, comment: comment)
            do throws(HallmarkError) {
                return try await submit(requestID: requestID, body: body)
            } catch where error.problem == .promotionStale {
                last = error
            }
        }
        throw last ?? .io("\(server): the decision could not be recorded")
    }

    /// A non-2xx answer as an error: the problem's code and detail when it is problem details.
    static func failure(_ url: String, _ status: Int, _ body: Data) -> HallmarkError {
        let problem = try? JSONDecoder().decode(Problem.self, from: body)
        let detail = problem?.detail ?? String(decoding: body.prefix(200), as: UTF8.self)
        let message = "\(url): HTTP \(status): \(detail)"
        switch status {
        case 401, 403: return .usage(message + " (pass --token or set HALLMARK_TOKEN)")
        case 409: return .verificationFailed(message, problem: problem?.code.map(ProblemCode.init(rawValue:)) ?? .promotionLinkInvalid)
        case 400...499: return .invalidInput(message)
        default: return .io(message)
        }
    }
}
