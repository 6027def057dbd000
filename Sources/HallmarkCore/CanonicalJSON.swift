import Foundation

/// Deterministic JSON in and out of `Codable` models.
///
/// Writing goes model → `JSONEncoder` → ``JSONValue`` → sorted serialization, so no map order or platform
/// escaping choice leaks into a file. Reading goes through the strict ``JSONValue`` parser first, so size,
/// UTF-8 and duplicate-key rules apply before any model sees the bytes.
public enum CanonicalJSON {
    /// RFC 8785 bytes of a model: what gets signed.
    public static func canonicalData(_ value: some Encodable) throws -> Data {
        try jsonValue(value).canonicalData
    }

    /// Pretty, sorted, newline-terminated bytes of a model: what gets written for people and tools to read.
    public static func prettyData(_ value: some Encodable) throws -> Data {
        try jsonValue(value).prettyData
    }

    /// A model as a ``JSONValue``.
    public static func jsonValue(_ value: some Encodable) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return try JSONValue(parsing: data)
    }

    /// Decodes a model from untrusted bytes; `source` names the file in error messages.
    public static func decode<T: Decodable>(
        _ type: T.Type, from data: Data, source: String, limits: JSONValue.ParseLimits = .init()
    ) throws(HallmarkError) -> T {
        do {
            _ = try JSONValue(parsing: data, limits: limits)
        } catch {
            throw .invalidInput("\(source): not acceptable JSON: \(error.description)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw .invalidInput("\(source): \(describe(error))")
        } catch {
            throw .invalidInput("\(source): \(error)")
        }
    }

    /// One line describing a decoding error, with the JSON path where it happened.
    public static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "the document" : keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field \"\(key.stringValue)\" in \(path(context.codingPath))"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) should be \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null, expected \(type)"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
