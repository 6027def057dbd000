import Foundation
import HallmarkCore
import HallmarkTestSupport
import Testing

/// The in-toto attestation framework's validation vectors (../shared/conformance/in-toto-attestation).
@Suite struct InTotoConformanceTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        var file: String
        var layer: String
        var expected: String
        var testDescription: String { file }
    }

    static let cases: [Case] = {
        struct Index: Decodable { var cases: [Case] }
        let path = TestPaths.conformance("in-toto-attestation/cases.json")
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        if let index = try? JSONDecoder().decode(Index.self, from: data) { return index.cases }
        return (try? JSONDecoder().decode([Case].self, from: data)) ?? []
    }()

    @Test func corpusIsPresent() {
        #expect(Self.cases.count == 30)
        #expect(Self.cases.filter { $0.expected == "valid" }.count == 9)
    }

    @Test(arguments: cases)
    func caseGivesItsExpectedOutcome(_ testCase: Case) throws {
        let data = try #require(FileManager.default.contents(atPath: TestPaths.conformance("in-toto-attestation/" + testCase.file)))
        let problems: [String]
        switch testCase.layer {
        case "statement":
            do {
                let statement = try CanonicalJSON.decode(InTotoStatement.self, from: data, source: testCase.file)
                problems = statement.validationProblems()
            } catch {
                problems = [error.message]
            }
        case "resource_descriptor":
            do {
                problems = try CanonicalJSON.decode(ResourceDescriptor.self, from: data, source: testCase.file).validationProblems()
            } catch {
                problems = [error.message]
            }
        case "provenance_v1":
            problems = SLSAProvenanceV1.validationProblems(try JSONValue(parsing: data))
        default:
            Issue.record("unknown layer \(testCase.layer)")
            return
        }
        if testCase.expected == "valid" {
            #expect(problems.isEmpty, "\(problems)")
        } else {
            #expect(!problems.isEmpty)
        }
    }
}
