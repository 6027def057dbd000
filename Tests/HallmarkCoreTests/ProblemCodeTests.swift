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
