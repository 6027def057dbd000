import Foundation
import HallmarkCore
import Testing

@Suite struct JSONValueTests {
    @Test func canonicalSortsKeysByUTF16AndEscapesMinimally() throws {
        let value = try JSONValue(parsing: Data(#"{"b":1,"a":"x/y","é":true,"\u000f":null,"A":[1.5,-0,1e2,"\n\"\\"]}"#.utf8))
        let canonical = String(decoding: value.canonicalData, as: UTF8.self)
        #expect(canonical == #"{"\u000f":null,"A":[1.5,0,100,"\n\"\\"],"a":"x/y","b":1,"é":true}"#)
    }

    @Test func canonicalMatchesRFC8785NumberSamples() throws {
        let samples: [(String, String)] = [("1e30", "1e+30"), ("4.5", "4.5"), ("0.002", "0.002"), ("1E-7", "1e-7"), ("-0.0", "0"), ("333333333.33333329", "333333333.3333333"), ("0.00001", "0.00001"), ("1e21", "1e+21"), ("123456789012345680000", "123456789012345680000"), ("-5e-324", "-5e-324")]
        for (input, expected) in samples {
            let value = try JSONValue(parsing: Data("[\(input)]".utf8))
            #expect(String(decoding: value.canonicalData, as: UTF8.self) == "[\(expected)]", "\(input)")
        }
    }

    @Test func prettyOutputIsSortedAndStable() throws {
        let value = try JSONValue(parsing: Data(#"{"z":{"y":[],"x":{}},"a":[1,2]}"#.utf8))
        let expected = "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"z\": {\n    \"x\": {},\n    \"y\": []\n  }\n}\n"
        #expect(String(decoding: value.prettyData, as: UTF8.self) == expected)
        #expect(value.prettyData == (try JSONValue(parsing: value.prettyData)).prettyData)
    }

    @Test(arguments: [
        (#"{"a":1,"a":2}"#, "duplicate"),
        (#"{"a":1} x"#, "after the JSON value"),
        (#"{"a":"\ud800"}"#, "surrogate"),
        ("[01]", "expected"),
        ("", "empty"),
        ("{\"a\":\"tab\there\"}", "control character"),
        (#"["\u+041"]"#, "\\u escape"),
        (#"["\u-000"]"#, "\\u escape"),
        (#"["\u 041"]"#, "\\u escape"),
        (#"["\u04"]"#, "\\u escape"),
    ])
    func rejectsMalformedDocuments(input: String, reason: String) {
        #expect {
            _ = try JSONValue(parsing: Data(input.utf8))
        } throws: { error in
            (error as? JSONValue.ParseError)?.reason.contains(reason) == true
        }
    }

    @Test func rejectsNonUTF8OversizedAndDeepDocuments() {
        #expect(throws: JSONValue.ParseError.self) { _ = try JSONValue(parsing: Data([0x22, 0xff, 0x22])) }
        #expect(throws: JSONValue.ParseError.self) {
            _ = try JSONValue(parsing: Data("[1]".utf8), limits: .init(maximumBytes: 2))
        }
        #expect(throws: JSONValue.ParseError.self) {
            _ = try JSONValue(parsing: Data((String(repeating: "[", count: 200) + String(repeating: "]", count: 200)).utf8))
        }
    }

    @Test func decodeNamesTheSourceAndField() {
        struct Model: Decodable { var name: String }
        #expect {
            _ = try CanonicalJSON.decode(Model.self, from: Data(#"{"nom":"x"}"#.utf8), source: "model.json")
        } throws: { error in
            let message = (error as? HallmarkError)?.message ?? ""
            return message.hasPrefix("model.json:") && message.contains("\"name\"")
        }
    }
}
