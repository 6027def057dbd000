import Foundation

/// `{{ name }}` substitution for build commands, output paths and archive names. Unknown names are errors,
/// so a typo cannot silently become an empty string.
public struct TemplateString: Sendable, Hashable, CustomStringConvertible {
    public var text: String

    public init(_ text: String) { self.text = text }

    public var description: String { text }

    /// The variable names used, in order of appearance.
    public func variables() throws(HallmarkError) -> [String] {
        var names: [String] = []
        _ = try render { name in names.append(name); return "" }
        return names
    }

    /// Replaces every `{{ name }}` with `values[name]`.
    public func render(_ values: [String: String], source: String) throws(HallmarkError) -> String {
        try render { (name) throws(HallmarkError) -> String in
            guard let value = values[name] else {
                let hint = Suggestion.closest(to: name, in: Array(values.keys)).map { " (did you mean \"{{ \($0) }}\"?)" } ?? ""
                throw .invalidInput("\(source): unknown template variable \"{{ \(name) }}\" in \"\(text)\"\(hint); known: \(values.keys.sorted().joined(separator: ", "))")
            }
            return value
        }
    }

    private func render(_ lookup: (String) throws(HallmarkError) -> String) throws(HallmarkError) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw .invalidInput("unterminated \"{{\" in \"\(text)\"")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            let trimmed = name.hasPrefix(".") ? String(name.dropFirst()) : name
            guard !trimmed.isEmpty, trimmed.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw .invalidInput("\"{{\(rest[open.upperBound..<close.lowerBound])}}\" in \"\(text)\" is not a variable name")
            }
            out += try lookup(trimmed.lowercased())
            rest = rest[close.upperBound...]
        }
        out += rest
        return out
    }
}
