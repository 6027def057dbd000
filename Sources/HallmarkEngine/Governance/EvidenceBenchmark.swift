import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkStore

/// `hallmark store bench`: measures a scratch store — appends of signed records to the log (each with its Merkle
/// nodes, signed checkpoint, index row and a state guard, one transaction each, as the commands append), then
/// searches with combined filters once the index holds each of the given sizes. Refuses a store that holds
/// anything, so it never mixes synthetic records into real evidence.
public struct EvidenceBenchmark: Sendable {
    public struct Latency: Codable, Sendable {
        public var p50Milliseconds: Double
        public var p99Milliseconds: Double
        public var samples: Int
    }

    public struct SearchAtSize: Codable, Sendable {
        public var indexRows: Int
        public var all: Latency
        public var byQuery: [String: Latency]
    }

    public struct Result: Codable, Sendable {
        public var schemaVersion = 1
        public var store: String
        public var appends: Int
        public var appendSeconds: Double
        public var appendsPerSecond: Double
        public var append: Latency
        public var searches: [SearchAtSize]
    }

    public var context: EngineContext
    public var options: EvidenceStoreOptions

    public init(context: EngineContext, options: EvidenceStoreOptions) {
        self.context = context
        self.options = options
    }

    public func run(appends: Int, sizes: [Int], queries: Int) async throws(HallmarkError) -> Result {
        guard appends >= 1, queries >= 1, sizes.allSatisfy({ $0 >= appends }) else {
            throw .usage("--appends and --queries must be at least 1, and every --index-rows at least --appends")
        }
        return try await EvidenceLog.with(context, options, writing: true) { log async throws(HallmarkError) in
            guard try await log.store.logSize() == 0, try await log.store.search(EvidenceQuery(limit: 1)).isEmpty else {
                throw .usage("\(log.location) is not empty; store bench needs a scratch store of its own")
            }
            let (seconds, latencies) = try await appendRecords(appends, log: log)
            var searches: [SearchAtSize] = []
            var filled = appends
            for size in sizes.sorted() {
                for chunk in stride(from: filled, to: size, by: 100_000) {
                    try await log.store.insertIndexRows((chunk..<min(size, chunk + 100_000)).map { Self.syntheticRow(Int64($0)) })
                }
                filled = size
                searches.append(try await measureSearches(queries, rows: size, log: log))
            }
            return Result(
                store: log.location, appends: appends, appendSeconds: seconds, appendsPerSecond: Double(appends) / seconds,
                append: Self.latency(latencies), searches: searches)
        }
    }

    /// Signs `count` approval records (outside the clock), then appends them one by one.
    func appendRecords(_ count: Int, log: EvidenceLog) async throws(HallmarkError) -> (Double, [Double]) {
        let key = try PrivateKey.generate(.ed25519)
        var records: [(SignedRecord, IndexRow)] = []
        for n in 0..<count {
            let request = RecordLink(id: "pr-bench\(n)", sha256: Hex.encode(SHA256Hasher.hash(Data("\(n)".utf8))))
            let approval = PromotionApproval(
                request: request, after: request, decision: .approve, comment: "bench \(n)", createdAt: RFC3339.format(unixSeconds: 1_790_000_000 + Int64(n)),
                signer: SignedRecord.signer(key))
            let record = try SignedRecord.sign(
                kind: .promotionApproval, subjects: [ResourceDescriptor(name: request.id, digest: ["sha256": request.sha256])],
                predicate: .approval(approval), key: key)
            var row = Self.syntheticRow(Int64(n))
            row.recordID = record.id
            row.digest = record.digest
            row.kind = record.kind.rawValue
            records.append((record, row))
        }
        var latencies: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        for (n, (record, row)) in records.enumerated() {
            let began = DispatchTime.now().uptimeNanoseconds
            let guards = [StateGuard(key: IndexReplay.requestKey("pr-bench\(n)"), expected: nil, next: record.digest)]
            guard case .appended = try await log.append(record, row: row, guards: guards) else {
                throw .store("\(log.location): bench append \(n) did not land")
            }
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6)
        }
        return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, latencies)
    }

    /// A row with fields spread the way a busy deployment spreads them.
    static func syntheticRow(_ n: Int64) -> IndexRow {
        let kinds = EvidenceKind.allCases.map(\.rawValue)
        let statuses = ["staged", "succeeded", "failed", "pending", "approved", "rejected", "executed"]
        let environments = ["production", "staging", "development"]
        let rings = ["canary", "staging", "production"]
        var generator = SplitMix(seed: UInt64(n))
        func pick(_ values: [String]) -> String { values[Int(generator.next() % UInt64(values.count))] }
        return IndexRow(
            index: n, recordID: "bench-\(n)", kind: pick(kinds), digest: String(format: "%064llx", n), createdAt: 1_760_000_000 + n * 30,
            status: pick(statuses), environment: pick(environments), ring: pick(rings), approvalState: pick(["pending", "approved", "rejected"]),
            executionStatus: pick(["succeeded", "failed"]), version: "v1.\(generator.next() % 50).0", changeRecord: "CHG-\(generator.next() % 5_000)",
            subject: "pr-bench\(generator.next() % 100_000)", actor: "key\(generator.next() % 20)",
            targets: ["target-\(generator.next() % 200)", "target-\(generator.next() % 200)"])
    }

    /// Five combined-filter queries, `count` times each with varying values (times spread over the whole history;
    /// the windowed query asks for one day, as an operator looking at a day would).
    func measureSearches(_ count: Int, rows: Int, log: EvidenceLog) async throws(HallmarkError) -> SearchAtSize {
        var byQuery: [String: [Double]] = [:]
        let span = Int64(rows) * 30
        for n in 0..<count {
            let since = 1_760_000_000 + Int64(n * 7_919) % max(span, 1)
            let queries: [(String, EvidenceQuery)] = [
                ("kind+ring+approvalState", EvidenceQuery(kind: "promotion-request", ring: "staging", approvalState: "pending")),
                ("changeRecord+kind", EvidenceQuery(kind: "promotion-approval", changeRecord: "CHG-\(n * 37 % 5_000)")),
                ("environment+version+since", EvidenceQuery(environment: "production", version: "v1.\(n % 50).0", since: since)),
                ("deploymentTarget+executionStatus", EvidenceQuery(deploymentTarget: "target-\(n % 200)", executionStatus: "succeeded")),
                ("kind+status+environment+day", EvidenceQuery(kind: "rollout", status: "staged", environment: "staging", since: since, until: since + 86_400)),
            ]
            for (name, query) in queries {
                let began = DispatchTime.now().uptimeNanoseconds
                _ = try await log.store.search(query)
                byQuery[name, default: []].append(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6)
            }
        }
        return SearchAtSize(
            indexRows: rows, all: Self.latency(byQuery.values.flatMap { $0 }), byQuery: byQuery.mapValues { Self.latency($0) })
    }

    static func latency(_ samples: [Double]) -> Latency {
        let sorted = samples.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)] }
        return Latency(p50Milliseconds: percentile(0.5), p99Milliseconds: percentile(0.99), samples: sorted.count)
    }
}

/// A small deterministic generator (SplitMix64), so every run fills the index with the same rows.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
