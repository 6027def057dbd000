import Foundation
import HallmarkTestSupport
import Testing

/// Rules every Swift file under `Sources/` keeps.
@Suite struct SourceRulesTests {
    /// The most lines a function, initializer, deinitializer, subscript, computed property or closure-valued
    /// binding may span, from the line of its keyword to the line of its closing brace.
    static let lineLimit = 80

    /// A declaration allowed over the limit, by file name and declaration name.
    struct Exemption: Hashable, CustomStringConvertible {
        let file: String
        let name: String
        var description: String { "\(file) \(name)" }
    }

    /// Functions allowed over the limit. It is empty and must stay so: a long function is split into smaller,
    /// named pieces instead (the rule test also fails on an entry that is no longer needed).
    static let exemptions: Set<Exemption> = []

    @Test func noDeclarationUnderSourcesIsLongerThanTheLimit() throws {
        let sources = TestPaths.packageRoot + "/Sources"
        let files = try Self.swiftFiles(under: sources)
        #expect(files.count > 100, "found only \(files.count) Swift files under \(sources)")
        var declarationCount = 0
        var offenders: [String] = []
        var exempted: Set<Exemption> = []
        for path in files {
            let source = try String(contentsOfFile: path, encoding: .utf8)
            let declarations = SourceScanner.declarations(in: source)
            declarationCount += declarations.count
            let fileName = URL(fileURLWithPath: path).lastPathComponent
            for declaration in declarations where declaration.length > Self.lineLimit {
                let exemption = Exemption(file: fileName, name: declaration.name)
                if Self.exemptions.contains(exemption) {
                    exempted.insert(exemption)
                    continue
                }
                let relative = String(path.dropFirst(TestPaths.packageRoot.count + 1))
                offenders.append(
                    "\(relative):\(declaration.line): \(declaration.name) is \(declaration.length) lines (limit \(Self.lineLimit)); split it into smaller, named pieces")
            }
        }
        // A scanner that matched nothing would pass every file: it must find the package's declarations.
        #expect(declarationCount > 1000, "found only \(declarationCount) declarations with bodies under \(sources)")
        #expect(offenders.isEmpty, "\(offenders.count) declarations over the limit:\n\(offenders.joined(separator: "\n"))")
        let unneeded = Self.exemptions.subtracting(exempted).map(\.description).sorted()
        #expect(unneeded.isEmpty, "no longer over the limit; remove from SourceRulesTests.exemptions: \(unneeded.joined(separator: ", "))")
    }

    @Test func scannerMeasuresFromKeywordToClosingBraceIgnoringBracesInStringsAndComments() {
        // Braces in strings and comments that would end `long` early, or keep `atLimit` open, if they were counted.
        let long = Self.declaration("func long() {", lines: 90, body: ["let close = \"}\"", "// }", "/* } */"])
        let atLimit = Self.declaration(
            "func atLimit() {", lines: 80,
            body: [
                "let open = \"{\"", "// {", "/* { /* nested { */ */", "let raw = #\"{\"#", "let rawSlash = #\"\\( {\"#",
                "let quoted = \"\\\"{\"", "let nested = \"\\(true ? \"{\" : \"{{\")\"", "let text = \"\"\"", "    { \" {",
                "    \"\"\"", "if let value = Optional(1) {", "    _ = value", "}", "guard let other = Optional(2) else { return }",
                "for var item in [other] { item += 1 }",
            ])
        let source = (["struct Sample {"] + long + atLimit + ["}"]).joined(separator: "\n")
        let found = SourceScanner.declarations(in: source)
        #expect(found.map(\.name) == ["long", "atLimit"])
        #expect(found.map(\.line) == [2, 92])
        #expect(found.map(\.length) == [90, 80])
        #expect(found.filter { $0.length > Self.lineLimit }.map(\.name) == ["long"])
    }

    @Test(arguments: [
        ("init(value: Int) {", "init"),
        ("deinit {", "deinit"),
        ("subscript(index: Int) -> Int {", "subscript"),
        ("public var computed: Int {", "computed"),
        ("private(set) lazy var cached: [Int] = {", "cached"),
        ("static let handler: @Sendable () -> Void = {", "handler"),
        ("@MainActor func annotated<T: Equatable>(_ value: T) -> Bool where T: Sendable {", "annotated"),
        ("func wrapped(\n    value: Int\n) -> Int {", "wrapped"),
    ])
    func scannerFindsEveryKindOfBody(header: String, name: String) {
        let lines = Self.declaration(header, lines: 81)
        let source = (["final class Sample {", "    func requirement()"] + lines + ["}"]).joined(separator: "\n")
        let found = SourceScanner.declarations(in: source)
        #expect(found.map(\.name) == [name])
        #expect(found.first?.line == 3)
        #expect(found.first?.length == 81 + header.filter { $0 == "\n" }.count)
    }

    /// A declaration opening with `header` and spanning `lines` lines (more when `header` has several), its
    /// body `body` padded with plain statements.
    static func declaration(_ header: String, lines: Int, body: [String] = []) -> [String] {
        let filler = Array(repeating: "    _ = 0", count: lines - 2 - body.count)
        return header.components(separatedBy: "\n") + body.map { "    " + $0 } + filler + ["}"]
    }

    /// Every `.swift` file under `directory`, sorted.
    static func swiftFiles(under directory: String) throws -> [String] {
        let relative = try FileManager.default.subpathsOfDirectory(atPath: directory)
        return relative.filter { $0.hasSuffix(".swift") }.sorted().map { directory + "/" + $0 }
    }
}

/// A crude but honest reader of Swift source: it finds the declarations that have a body (`func`, `init`,
/// `deinit`, `subscript`, and `var`/`let` bindings whose value or accessors are in braces) and the lines each
/// spans. Braces inside string literals (single-line, multi-line and raw, with interpolations read as code) and
/// comments are not counted.
enum SourceScanner {
    /// A declaration with a body.
    struct Declaration: Equatable {
        /// The function's name, `init`, `deinit`, `subscript`, or the binding's name.
        let name: String
        /// The line of its keyword (1-based).
        let line: Int
        /// The lines from its keyword to its closing brace, both included.
        let length: Int
    }

    /// The declarations with bodies in `source`, in the order their bodies close.
    static func declarations(in source: String) -> [Declaration] {
        var lexer = Lexer(bytes: Array(source.utf8))
        lexer.lexCode(inInterpolation: false)
        var matcher = BraceMatcher()
        for (index, token) in lexer.tokens.enumerated() {
            let next = index + 1 < lexer.tokens.count ? lexer.tokens[index + 1] : nil
            matcher.consume(token, next: next)
        }
        return matcher.found
    }

    /// What the matcher needs of the source: words, the punctuation that nests, and line ends.
    enum Token: Equatable {
        case word(String, line: Int)
        case punctuation(UInt8, line: Int)
        case string(line: Int)
        case newline

        var word: String? {
            if case .word(let text, _) = self { return text }
            return nil
        }
    }

    /// Splits source into tokens, skipping comments and the contents of string literals.
    struct Lexer {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        var tokens: [Token] = []

        private static let significant = Set("{}()[];.,=".utf8)

        /// Reads code until the end (or, in an interpolation, until its closing parenthesis).
        mutating func lexCode(inInterpolation: Bool) {
            var depth = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\n") {
                    tokens.append(.newline)
                    line += 1
                    index += 1
                } else if byte == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "/") {
                    while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
                } else if byte == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "*") {
                    skipBlockComment()
                } else if byte == UInt8(ascii: "#") || byte == UInt8(ascii: "\"") {
                    var hashes = 0
                    while peek(hashes) == UInt8(ascii: "#") { hashes += 1 }
                    if peek(hashes) == UInt8(ascii: "\"") {
                        tokens.append(.string(line: line))
                        index += hashes
                        skipString(hashes: hashes)
                    } else {
                        lexWord()
                    }
                } else if byte == UInt8(ascii: "`") {
                    let start = index + 1
                    index = start
                    while index < bytes.count, bytes[index] != UInt8(ascii: "`"), bytes[index] != UInt8(ascii: "\n") { index += 1 }
                    tokens.append(.word(String(decoding: bytes[start..<index], as: UTF8.self), line: line))
                    if peek(0) == UInt8(ascii: "`") { index += 1 }
                } else if Self.startsWord(byte) {
                    lexWord()
                } else {
                    if inInterpolation, byte == UInt8(ascii: "(") { depth += 1 }
                    if inInterpolation, byte == UInt8(ascii: ")") {
                        if depth == 0 {
                            index += 1
                            return
                        }
                        depth -= 1
                    }
                    if Self.significant.contains(byte) { tokens.append(.punctuation(byte, line: line)) }
                    index += 1
                }
            }
        }

        /// The byte `offset` past the current one, if any.
        private func peek(_ offset: Int) -> UInt8? {
            index + offset < bytes.count ? bytes[index + offset] : nil
        }

        private static func startsWord(_ byte: UInt8) -> Bool {
            continuesWord(byte) || byte == UInt8(ascii: "@") || byte == UInt8(ascii: "#") || byte == UInt8(ascii: "$")
        }

        private static func continuesWord(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte >= 0x80
        }

        private mutating func lexWord() {
            let start = index
            index += 1
            while index < bytes.count, Self.continuesWord(bytes[index]) { index += 1 }
            tokens.append(.word(String(decoding: bytes[start..<index], as: UTF8.self), line: line))
        }

        /// Skips a (nested) block comment, counting its lines.
        private mutating func skipBlockComment() {
            var depth = 0
            repeat {
                if peek(0) == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "*") {
                    depth += 1
                    index += 2
                } else if peek(0) == UInt8(ascii: "*"), peek(1) == UInt8(ascii: "/") {
                    depth -= 1
                    index += 2
                } else {
                    if bytes[index] == UInt8(ascii: "\n") { line += 1 }
                    index += 1
                }
            } while depth > 0 && index < bytes.count
        }

        /// Skips a string literal opening at the current quote (after `hashes` `#`s), reading its interpolations
        /// as code. A single-line string ends at its line's end even when unterminated.
        private mutating func skipString(hashes: Int) {
            let multiline = peek(0) == UInt8(ascii: "\"") && peek(1) == UInt8(ascii: "\"") && peek(2) == UInt8(ascii: "\"")
            let closing = Array(repeating: UInt8(ascii: "\""), count: multiline ? 3 : 1) + Array(repeating: UInt8(ascii: "#"), count: hashes)
            index += multiline ? 3 : 1
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\n") {
                    guard multiline else { return }
                    line += 1
                    index += 1
                } else if byte == UInt8(ascii: "\\"), (0..<hashes).allSatisfy({ peek(1 + $0) == UInt8(ascii: "#") }) {
                    index += 1 + hashes
                    if peek(0) == UInt8(ascii: "(") {
                        index += 1
                        lexCode(inInterpolation: true)
                    } else if peek(0) != nil && peek(0) != UInt8(ascii: "\n") {
                        index += 1  // the escaped character (an escaped line end is left to count as a line)
                    }
                } else if bytes[index...].starts(with: closing) {
                    index += closing.count
                    return
                } else {
                    index += 1
                }
            }
        }
    }

    /// Matches braces, attributing each body to the declaration whose keyword opened it.
    struct BraceMatcher {
        /// A declaration whose keyword was read and whose body has not opened yet.
        struct Pending {
            let name: String
            let line: Int
            let braceDepth: Int
            let parenDepth: Int
            /// A `var`/`let`: without a brace on its own line, it has no body.
            let isBinding: Bool
        }

        private static let modifiers: Set<String> = [
            "public", "private", "fileprivate", "internal", "package", "open", "static", "class", "final", "lazy", "weak",
            "unowned", "nonisolated", "override", "dynamic", "required", "convenience", "mutating", "nonmutating",
        ]
        private static let typeKeywords: Set<String> = ["struct", "class", "enum", "protocol", "extension", "actor"]

        private(set) var found: [Declaration] = []
        private var open: [(name: String, line: Int)?] = []
        private var parenDepth = 0
        private var pending: Pending?
        private var lineTokens: [Token] = []
        private var previous: Token?

        mutating func consume(_ token: Token, next: Token?) {
            switch token {
            case .newline:
                if let binding = pending, binding.isBinding, binding.parenDepth == parenDepth { pending = nil }
                lineTokens = []
                previous = nil
                return
            case .punctuation(let byte, let line):
                consume(punctuation: byte, line: line)
            case .word(let word, let line):
                consume(word: word, line: line, next: next)
            case .string:
                break
            }
            lineTokens.append(token)
            previous = token
        }

        private mutating func consume(punctuation byte: UInt8, line: Int) {
            switch byte {
            case UInt8(ascii: "("), UInt8(ascii: "["):
                parenDepth += 1
            case UInt8(ascii: ")"), UInt8(ascii: "]"):
                parenDepth = max(0, parenDepth - 1)
            case UInt8(ascii: "{"):
                if let declaration = pending, declaration.braceDepth == open.count, declaration.parenDepth == parenDepth {
                    open.append((declaration.name, declaration.line))
                    pending = nil
                } else {
                    open.append(nil)
                }
            case UInt8(ascii: "}"):
                if let closed = open.popLast(), let closed {
                    found.append(Declaration(name: closed.name, line: closed.line, length: line - closed.line + 1))
                }
                if let declaration = pending, declaration.braceDepth > open.count { pending = nil }
            default:
                break
            }
        }

        private mutating func consume(word: String, line: Int, next: Token?) {
            var afterDot = false
            if case .punctuation(UInt8(ascii: "."), _) = previous { afterDot = true }
            if word == "func" {
                pending = Pending(name: next?.word ?? "operator", line: line, braceDepth: open.count, parenDepth: parenDepth, isBinding: false)
            } else if ["init", "deinit", "subscript"].contains(word) && !afterDot {
                pending = Pending(name: word, line: line, braceDepth: open.count, parenDepth: parenDepth, isBinding: false)
            } else if (word == "var" || word == "let") && startsStatement() {
                pending = Pending(name: next?.word ?? "_", line: line, braceDepth: open.count, parenDepth: parenDepth, isBinding: true)
            } else if Self.typeKeywords.contains(word) && !afterDot {
                // A body-less requirement (`func f()` in a protocol) before a type: the type's brace is not its body.
                if let declaration = pending, !declaration.isBinding, declaration.braceDepth == open.count { pending = nil }
            }
        }

        /// Whether only modifiers and attributes (with their arguments) precede the current word on its line, so
        /// a `var`/`let` here declares a binding rather than binding a pattern (`if let`, `case let`, `for var`).
        private func startsStatement() -> Bool {
            var depth = 0
            for token in lineTokens {
                switch token {
                case .punctuation(UInt8(ascii: "("), _): depth += 1
                case .punctuation(UInt8(ascii: ")"), _): depth -= 1
                case _ where depth > 0: continue
                case .word(let word, _) where Self.modifiers.contains(word) || word.hasPrefix("@"): continue
                default: return false
                }
            }
            return depth == 0
        }
    }
}
