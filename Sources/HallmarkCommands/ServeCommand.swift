import ArgumentParser
import HallmarkCore
import HallmarkEngine
import HallmarkServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the evidence API (read-only): search, records with their proofs, the checkpoint, the audit export.",
        discussion: """
            Endpoints: GET /evidence (every filter of evidence search, snake_case, with a cursor), /evidence/{id}, \
            /log/checkpoint, /audit/export?format=jsonl|cef|ocsf|servicenow, /healthz, /readyz, /openapi.yaml. \
            Errors are RFC 9457 problem details. Prints "listening on http://HOST:PORT" once it is up.

            Examples:
              $ hallmark serve --listen 127.0.0.1:8080
              $ hallmark serve --listen 0.0.0.0:8080 --store postgres://hallmark@db.internal:5432/evidence
              $ curl -s 'http://127.0.0.1:8080/evidence?kind=promotion-execution&ring=canary'
            """)

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).")
    var listen = "127.0.0.1:8080"

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]), (0...65_535).contains(port) else {
            throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:8080")
        }
        try await Terminal.run { context async throws(HallmarkError) in
            let server = EvidenceServer(context: context, options: .init(host: String(parts[0]), port: port, store: store.options))
            try await server.run { address in Terminal.print("listening on http://\(address)") }
        }
    }
}
