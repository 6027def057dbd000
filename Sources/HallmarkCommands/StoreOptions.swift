import ArgumentParser
import HallmarkCore
import HallmarkEngine

/// `--store` and `--log-key`, shared by every governance command.
struct StoreOptions: ParsableArguments {
    @Option(help: "Evidence store: sqlite:PATH or postgres://USER@HOST:PORT/DB (default: HALLMARK_STORE, else sqlite:.hallmark/evidence.db).")
    var store: String?

    @Option(help: "The log's key: its private key to append, its public key to audit (default: HALLMARK_LOG_KEY, else log.key beside an SQLite store).")
    var logKey: String?

    var options: EvidenceStoreOptions { EvidenceStoreOptions(store: store, logKey: logKey) }
}

/// Text for a created record: its id first (scripts take the first word), then what it links.
enum CreatedRecord {
    static func print(_ created: Promotions.Created, format: OutputOptions.Format) throws(HallmarkError) {
        switch format {
        case .json: try Terminal.printJSON(created)
        case .text:
            let links = created.links.sorted { $0.key < $1.key }.filter { !$0.value.isEmpty }
                .map { "\($0.key) \($0.value.joined(separator: ","))" }.joined(separator: "; ")
            Terminal.print(Terminal.oneLine("\(created.id) \(created.kind) \(created.status)\(created.existing ? " (already recorded)" : "") at log index \(created.logIndex)\(links.isEmpty ? "" : " — \(links)")"))
        }
    }
}
