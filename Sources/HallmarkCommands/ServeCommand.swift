import ArgumentParser
import HallmarkCore
import HallmarkEngine
import HallmarkServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the evidence API and the web console over the evidence store.",
        discussion: """
            Reads: GET /evidence (every filter of evidence search, snake_case, with a cursor), /evidence/{id}, \
            /evidence/{id}/artifacts[/{name}], /evidence/{id}/artifact-bundle, /promotion-requests[/{id}], \
            /rollback-requests[/{id}], /promotion-executions[/{id}], /log/checkpoint, /log/proof/{id}, \
            /audit/export?format=jsonl|cef|ocsf|servicenow, /healthz, /readyz, /metrics, /openapi.yaml. \
            Writes: POST /promotion-requests, /rollback-requests, …/{id}/approvals (a DSSE envelope the approver \
            signed; this server never signs one), …/{id}/executions. Every call but health, metrics, the document and \
            the checkpoint needs a bearer token (hallmark serve token create). The console is at /ui/. Errors are \
            RFC 9457 problem details. Prints "listening on http://HOST:PORT" once it is up. The server's options: \
            hallmark serve run --help.

            Examples:
              $ hallmark serve token create --role admin --name ops
              $ hallmark serve --listen 127.0.0.1:8080 --signing-key keys/service.key --artifact-root /srv/rollouts
              $ hallmark serve --listen 0.0.0.0:8080 --store postgres://hallmark@db.internal:5432/evidence --log-key /etc/hallmark/log.key
              $ curl -s -H "Authorization: Bearer $TOKEN" 'http://127.0.0.1:8080/evidence?kind=promotion-execution&ring=canary'
            """,
        subcommands: [ServeRunCommand.self, ServeTokenCommand.self],
        defaultSubcommand: ServeRunCommand.self)
}

struct ServeRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the server (the default: hallmark serve --listen … is hallmark serve run --listen …).",
        discussion: """
            Examples:
              $ hallmark serve --listen 127.0.0.1:8080 --signing-key keys/service.key --artifact-root /srv/rollouts
              $ HALLMARK_STORE=postgres://hallmark@db:5432/evidence hallmark serve --listen 0.0.0.0:8080 --log-key /etc/hallmark/log.key
            """)

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).")
    var listen = "127.0.0.1:8080"

    @Option(help: "Where records' files are served from: ROOT/DEPLOYMENT_ID/ holds a rollout directory (default: HALLMARK_EVIDENCE_ARTIFACT_ROOT).")
    var artifactRoot: String?

    @Option(help: "The key this server signs requests and executions with for the callers that ask (a path or env://VAR). Approvals are never signed here.")
    var signingKey: String?

    @Option(help: "The largest request body accepted, in KiB.")
    var maxBodyKib = 256

    @Option(help: "PostgreSQL connections this node keeps (more requests wait their turn; about twice the database's cores).")
    var storeConnections = 4

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]), (0...65_535).contains(port) else {
            throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:8080")
        }
        guard (1...16_384).contains(maxBodyKib) else { throw ValidationError("--max-body-kib must be from 1 to 16384") }
        guard (1...64).contains(storeConnections) else { throw ValidationError("--store-connections must be from 1 to 64") }
        try await Terminal.run { context async throws(HallmarkError) in
            let options = EvidenceServer.Options(
                host: String(parts[0]), port: port, store: store.options, artifactRoot: artifactRoot ?? context.settings.evidenceArtifactRoot,
                signingKey: signingKey, maxBody: maxBodyKib * 1024, storeConnections: storeConnections)
            if let key = signingKey { _ = try KeyResolver(context: context).signingKey(key) }
            let server = EvidenceServer(context: context, options: options)
            try await server.run { address in Terminal.print("listening on http://\(address)") }
        }
    }
}

struct ServeTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage the API's bearer tokens (kept hashed in the evidence store).",
        discussion: """
            Examples:
              $ hallmark serve token create --role approver --name alice
              $ hallmark serve token list
              $ hallmark serve token revoke --name alice
            """,
        subcommands: [ServeTokenCreateCommand.self, ServeTokenListCommand.self, ServeTokenRevokeCommand.self])
}

struct ServeTokenCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Make a token and print it once (the store keeps only its SHA-256).",
        discussion: """
            Roles: viewer (reads), releaser (also requests, executions, rollbacks), approver (also submits signed \
            decisions), admin (all of these).

            Examples:
              $ hallmark serve token create --role approver --name alice
              $ TOKEN=$(hallmark serve token create --role viewer --name dashboards)
            """)

    @Option(help: "viewer, releaser, approver or admin.")
    var role: String

    @Option(help: "Who holds it (recorded with what they do).")
    var name: String

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard let role = APIRole(rawValue: role) else { throw ValidationError("--role must be viewer, releaser, approver or admin") }
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let created = try await APITokens(context: context, options: store.options).create(name: name, role: role)
            switch output.format {
            case .json: try Terminal.printJSON(created)
            case .text: Terminal.print(created.token)
            }
        }
    }
}

struct ServeTokenListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List tokens (names, roles, when made; never the tokens).",
        discussion: """
            Examples:
              $ hallmark serve token list --format json
            """)

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let tokens = try await APITokens(context: context, options: store.options).list()
            switch output.format {
            case .json: try Terminal.printJSON(tokens)
            case .text:
                for token in tokens { Terminal.print(Terminal.oneLine("\(token.name) \(token.role.rawValue) \(token.createdAt)")) }
            }
        }
    }
}

struct ServeTokenRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a token by name (it stops working on every node within two seconds).",
        discussion: """
            Examples:
              $ hallmark serve token revoke --name dashboards
            """)

    @Option(help: "The token's name.")
    var name: String

    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            try await APITokens(context: context, options: store.options).revoke(name: name)
            Terminal.print("revoked \(name)")
        }
    }
}
