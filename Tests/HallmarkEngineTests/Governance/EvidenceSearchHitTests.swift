import Foundation
import HallmarkCore
import HallmarkEngine
import Testing

/// The server writes search hits through `Hit.jsonValue` rather than their Codable encoding; the two must agree, so
/// a field added to one and not the other fails here.
@Suite("Search hits as JSON")
struct EvidenceSearchHitTests {
    @Test("jsonValue is the Codable encoding, with every field and with the optional ones absent", arguments: [true, false])
    func sameAsCodable(full: Bool) throws {
        var fields: [String: Any] = [
            "id": "px-450a276371abbd2c40ae4316", "kind": "promotion-execution", "logIndex": 4, "sha256": String(repeating: "ab", count: 32),
            "time": "2026-11-29T04:56:24Z", "targets": ["runner", "server \"one\""],
        ]
        if full {
            for name in ["status", "environment", "ring", "approvalState", "executionStatus", "version", "changeRecord", "subject", "actor"] {
                fields[name] = "\(name)-value é\u{212A}"
            }
        }
        let hit = try JSONDecoder().decode(EvidenceSearch.Hit.self, from: JSONSerialization.data(withJSONObject: fields))
        #expect(hit.jsonValue == (try CanonicalJSON.jsonValue(hit)))
        #expect(hit.jsonValue.prettyData == (try CanonicalJSON.prettyData(hit)))
    }
}
