import Foundation
import HallmarkCore
import HallmarkTestSupport
import Testing

@Suite struct ProblemCodeTests {
    @Test("Every problem code is unique, well-formed, and listed in DESIGN.md")
    func catalogIsDocumented() throws {
        let codes = ProblemCode.catalog.map(\.rawValue)
        #expect(Set(codes).count == codes.count)
        for code in codes {
            #expect(code.range(of: #"^[a-z0-9-]+\.[a-z0-9-]+$"#, options: .regularExpression) != nil, "\(code)")
        }
        let design = try String(contentsOfFile: TestPaths.packageRoot + "/DESIGN.md", encoding: .utf8)
        for code in codes { #expect(design.contains("| `\(code)` |"), "DESIGN.md does not list \(code)") }
    }

    @Test("A verdict is verified only from an assembled value and no problem")
    func verdicts() {
        var problems = ProblemList()
        #expect(problems.verdict({ 1 }).isVerified)
        let missing: Verdict<Int> = problems.verdict({ nil })
        #expect(missing.problems.map(\.code) == [.verificationIncomplete])
        problems.add(.signatureInvalid, "x")
        problems.add(.signatureInvalid, "x")
        #expect(problems.all.count == 1)
        #expect(problems.verdict({ 1 }).problems.map(\.code) == [.signatureInvalid])
        // Encoded as its text.
        let data = try? JSONEncoder().encode(VerificationProblem(.tlogMissing, "m", file: "f"))
        #expect(data.map { String(decoding: $0, as: UTF8.self).contains("\"tlog.missing\"") } == true)
    }
}

@Suite struct RFC3339Tests {
    @Test("Formatting and parsing agree with Foundation's ISO 8601 formatter across five centuries")
    func agreesWithFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var seconds: Int64 = -6_000_000_000
        while seconds < 10_000_000_000 {
            let text = RFC3339.format(unixSeconds: seconds)
            #expect(text == formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))), "\(seconds)")
            #expect(RFC3339.parse(text) == Date(timeIntervalSince1970: TimeInterval(seconds)), "\(text)")
            seconds += 86_400 * 37 + 3_607
        }
    }

    @Test func offsetsFractionsAndRefusals() {
        #expect(RFC3339.parse("2024-03-19T17:26:26.123Z")?.timeIntervalSince1970 == 1_710_869_186.123)
        #expect(RFC3339.parse("2024-03-19T19:26:26+02:00") == RFC3339.parse("2024-03-19T17:26:26Z"))
        #expect(RFC3339.parse("2024-03-19T16:26:26-01:00") == RFC3339.parse("2024-03-19T17:26:26Z"))
        #expect(RFC3339.parse("2024-02-29T00:00:00Z") != nil)
        for bad in ["2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:00", "2024-01-01 00:00:00Z",
                    "2024-01-01T00:00:00.Z", "2024-1-01T00:00:00Z", "2024-01-01T00:00:00Zjunk", "", "2024-01-01T00:00:00+0200"] {
            #expect(RFC3339.parse(bad) == nil, "\(bad)")
        }
    }
}
