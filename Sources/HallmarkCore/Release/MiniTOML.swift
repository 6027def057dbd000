import Foundation

/// Reads the TOML that lockfiles are written in (Cargo.lock, poetry.lock, uv.lock): tables, arrays of tables
/// and `key = value` lines, where values stay raw text except basic and literal strings. Not a general TOML
/// parser: it checks the structure lockfile readers rely on and reports the line of anything else.
public struct MiniTOML: Sendable {
    public struct Table: Sendable {
        /// The header path, e.g. `package` or `package.dependencies`.
        public var name: String
        public var isArrayElement: Bool
        public var line: Int
        /// Raw value text by key.
        public var values: [String: String]

        /// The value of `key` when it is a plain string.
        public func string(_ key: String) -> String? {
            guard let raw = values[key] else { return nil }
            return MiniTOML.unquote(raw)
        }
    }

    public var tables: [Table]

    public init(parsing text: String, source: String) throws(HallmarkError) {
        var tables = [Table(name: "", isArrayElement: false, line: 0, values: [:])]
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() }
        var index = 0
        func fail(_ line: Int, _ why: String) -> HallmarkError {
            .invalidInput("\(source):\(line): \(why) (the lockfile does not parse; regenerate it with its tool)")
        }
        while index < lines.count {
            let number = index + 1
            let line = lines[index]
            index += 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[[") {
                guard line.hasSuffix("]]"), line.count > 4 else { throw fail(number, "malformed array-of-tables header") }
                tables.append(Table(name: String(line.dropFirst(2).dropLast(2)).trimmingWhitespace(), isArrayElement: true, line: number, values: [:]))
                continue
            }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else { throw fail(number, "malformed table header") }
                tables.append(Table(name: String(line.dropFirst().dropLast()).trimmingWhitespace(), isArrayElement: false, line: number, values: [:]))
                continue
            }
            guard let equals = Self.keyValueSplit(line) else { throw fail(number, "expected `key = value`") }
            var key = String(line[..<equals]).trimmingWhitespace()
            key = Self.unquote(key) ?? key
            guard !key.isEmpty else { throw fail(number, "empty key") }
            var value = String(line[line.index(after: equals)...]).trimmingWhitespace()
            guard !value.isEmpty else { throw fail(number, "missing value for \(key)") }
            // Multi-line strings and arrays continue until they close.
            if value.hasPrefix("\"\"\"") || value.hasPrefix("'''") {
                let fence = String(value.prefix(3))
                while !value.dropFirst(3).contains(fence) {
                    guard index < lines.count else { throw fail(number, "unterminated multi-line string") }
                    value += "\n" + lines[index]
                    index += 1
                }
            } else {
                var depth = Self.bracketDepth(value)
                guard depth >= 0 else { throw fail(number, "unbalanced brackets") }
                while depth > 0 {
                    guard index < lines.count else { throw fail(number, "unterminated array or inline table") }
                    value += "\n" + lines[index]
                    index += 1
                    depth = Self.bracketDepth(value)
                }
                if value.hasPrefix("\"") || value.hasPrefix("'") {
                    guard Self.unquote(Self.stripComment(value)) != nil else { throw fail(number, "malformed string for \(key)") }
                }
            }
            tables[tables.count - 1].values[key] = Self.stripComment(value)
        }
        self.tables = tables
    }

    /// Elements of `[[name]]`.
    public func arrayTables(_ name: String) -> [Table] { tables.filter { $0.isArrayElement && $0.name == name } }

    static func keyValueSplit(_ line: String) -> String.Index? {
        var quote: Character?
        for index in line.indices {
            let c = line[index]
            if let q = quote { if c == q { quote = nil } } else if c == "\"" || c == "'" { quote = c } else if c == "=" { return index }
        }
        return nil
    }

    /// Open brackets minus closed ones, outside strings; -1 when a bracket closes that never opened.
    static func bracketDepth(_ text: String) -> Int {
        var depth = 0
        var quote: Character?
        var escaped = false
        for c in text {
            if let q = quote {
                if escaped { escaped = false } else if c == "\\" && q == "\"" { escaped = true } else if c == q { quote = nil }
                continue
            }
            switch c {
            case "\"", "'": quote = c
            case "[", "{": depth += 1
            case "]", "}":
                depth -= 1
                if depth < 0 { return -1 }
            case "#": return depth
            default: break
            }
        }
        return depth
    }

    static func stripComment(_ value: String) -> String {
        var quote: Character?
        for index in value.indices {
            let c = value[index]
            if let q = quote { if c == q { quote = nil } } else if c == "\"" || c == "'" { quote = c } else if c == "#" {
                return String(value[..<index]).trimmingWhitespace()
            }
        }
        return value
    }

    /// The contents of a one-line basic or literal string, or nil when `raw` is not one.
    static func unquote(_ raw: String) -> String? {
        guard raw.count >= 2, let first = raw.first, first == "\"" || first == "'", raw.last == first else { return nil }
        let body = raw.dropFirst().dropLast()
        if first == "'" { return body.contains("'") ? nil : String(body) }
        var out = ""
        var escaped = false
        for c in body {
            if escaped {
                switch c {
                case "n": out.append("\n")
                case "t": out.append("\t")
                default: out.append(c)
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "\"" {
                return nil
            } else {
                out.append(c)
            }
        }
        return escaped ? nil : out
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var view = Substring(self)
        while let c = view.first, c == " " || c == "\t" || c == "\r" { view.removeFirst() }
        while let c = view.last, c == " " || c == "\t" || c == "\r" { view.removeLast() }
        return String(view)
    }
}
