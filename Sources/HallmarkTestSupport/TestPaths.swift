import Foundation

/// Where the package, the conformance data and the built binary are, for tests.
public enum TestPaths {
    /// The package root (the directory holding Package.swift).
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// `../shared/conformance`, the public conformance data kept beside the repository.
    public static var conformance: String {
        if let override = ProcessInfo.processInfo.environment["HALLMARK_CONFORMANCE_DIR"] { return override }
        return URL(fileURLWithPath: packageRoot).deletingLastPathComponent().appendingPathComponent("shared/conformance").path
    }

    /// A file or folder inside the conformance data.
    public static func conformance(_ relative: String) -> String { conformance + "/" + relative }

    /// The `hallmark` binary built beside the tests (or `HALLMARK_BINARY`).
    public static var binary: String {
        if let override = ProcessInfo.processInfo.environment["HALLMARK_BINARY"] { return override }
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [besideTests, besideTests.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("hallmark").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return packageRoot + "/.build/debug/hallmark"
    }

    /// The virtualenv scripts/setup.sh makes for the server's tests (selenium, schemathesis).
    public static var serveTestVenv: String { packageRoot + "/.build/serve-test-venv/bin" }
}
