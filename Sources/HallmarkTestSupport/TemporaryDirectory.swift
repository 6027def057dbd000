import Foundation

/// A fresh directory under the system temporary directory, removed when the value is released.
public final class TemporaryDirectory: Sendable {
    public let path: String

    /// Creates `LABEL-PID-XXXXXXXX` in `parent` (default: the system temporary directory).
    public init(_ label: String = "hallmark-test", in parent: String = NSTemporaryDirectory()) throws {
        let base = URL(fileURLWithPath: parent)
            .appendingPathComponent("\(label)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The absolute path of `relative` inside this directory.
    public func url(_ relative: String) -> String { path + "/" + relative }

    /// Writes `contents` to `relative`, creating folders on the way.
    @discardableResult
    public func write(_ relative: String, _ contents: String) throws -> String {
        try write(relative, Data(contents.utf8))
    }

    @discardableResult
    public func write(_ relative: String, _ contents: Data) throws -> String {
        let target = url(relative)
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try contents.write(to: URL(fileURLWithPath: target))
        return target
    }

    public func read(_ relative: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: url(relative))) }

    public func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: url(relative)) }

    /// Every file below this directory with its bytes, for before/after comparisons.
    public func snapshot() throws -> [String: Data] {
        var out: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let name = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url(name), isDirectory: &isDirectory), !isDirectory.boolValue {
                out[name] = try read(name)
            }
        }
        return out
    }
}
