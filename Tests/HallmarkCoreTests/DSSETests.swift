import Foundation
import HallmarkCore
import HallmarkTestSupport
import Testing

@Suite struct DSSEEnvelopeTests {
    @Test func paeMatchesTheSpecVector() throws {
        let expected = try #require(FileManager.default.contents(atPath: TestPaths.conformance("dsse-spec/expected_pae.bin")))
        let pae = DSSEEnvelope.pae(payloadType: "http://example.com/HelloWorld", payload: Data("hello world".utf8))
        #expect(pae == expected)
    }

    @Test func parsesOneEnvelopePrettyOrOnePerLine() throws {
        let envelope = DSSEEnvelope(payload: Data("x".utf8), payloadType: "t", signatures: [.init(keyid: nil, sig: "AA==")])
        let line = try CanonicalJSON.canonicalData(envelope)
        var twoLines = line
        twoLines.append(0x0A)
        twoLines.append(line)
        #expect(try DSSEEnvelope.parseAll(try CanonicalJSON.prettyData(envelope), source: "e").count == 1)
        #expect(try DSSEEnvelope.parseAll(twoLines, source: "e").count == 2)
        #expect(throws: HallmarkError.self) { _ = try DSSEEnvelope.parseAll(Data("{}".utf8), source: "e") }
        #expect(throws: HallmarkError.self) { _ = try DSSEEnvelope.parseAll(Data(), source: "e") }
    }
}
