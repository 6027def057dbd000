import Foundation
import HallmarkTestSupport
import Testing

/// What the product's sources must not do, checked on the sources themselves: block a thread to wait for async
/// work, or read the process's surroundings anywhere but the engine's context.
@Suite("Source boundaries: no semaphore bridges, surroundings read only in Context/")
struct SourceBoundaryTests {
    /// The product's modules (test support and the fuzzing driver are not the product).
    static let productModules = [
        "HallmarkCore", "HallmarkConcurrency", "HallmarkCrypto", "HallmarkArchive", "HallmarkRemote", "HallmarkStore", "HallmarkEngine", "HallmarkServer",
        "HallmarkCommands", "hallmark",
    ]

    /// Every Swift file of the product, with its lines (comments included: a rule names code, and no comment
    /// needs to spell these names).
    static func productSources() throws -> [(path: String, lines: [String])] {
        var files: [(String, [String])] = []
        for module in productModules {
            let directory = TestPaths.packageRoot + "/Sources/" + module
            guard let walker = FileManager.default.enumerator(atPath: directory) else { continue }
            for case let relative as String in walker where relative.hasSuffix(".swift") {
                let text = try String(contentsOfFile: directory + "/" + relative, encoding: .utf8)
                files.append((module + "/" + relative, text.components(separatedBy: "\n")))
            }
        }
        return files
    }

    /// `file:line: text` for every line of the product (outside `allowedIn`) that contains one of `needles`.
    static func offenders(_ needles: [String], allowedIn: [String] = []) throws -> [String] {
        var found: [String] = []
        for (path, lines) in try productSources() where !allowedIn.contains(where: { path.hasPrefix($0) }) {
            for (number, line) in lines.enumerated() where needles.contains(where: { line.contains($0) }) {
                found.append("\(path):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        return found
    }

    @Test("The scan sees the product's sources")
    func scanSeesSources() throws {
        let files = try Self.productSources()
        #expect(files.count > 100)
        #expect(files.contains { $0.path == "HallmarkEngine/Context/EngineContext.swift" })
        // The rules below would catch what they look for: the context itself reads the environment.
        #expect(try !Self.offenders(["ProcessInfo.processInfo.environment"]).isEmpty)
    }

    @Test("No semaphore bridges from async to sync code")
    func noSemaphoreBridges() throws {
        let found = try Self.offenders(["DispatchSemaphore", "waitFor(", "DispatchGroup().wait", ".wait(timeout:"])
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }

    @Test("Environment, current directory and temporary directory are read only in HallmarkEngine/Context/")
    func surroundingsOnlyInContext() throws {
        let found = try Self.offenders(
            [
                "ProcessInfo.processInfo.environment", "getenv(", "setenv(", "currentDirectoryPath",
                "NSTemporaryDirectory", "FileManager.default.temporaryDirectory", "changeCurrentDirectoryPath",
                "context.environment",
            ],
            allowedIn: ["HallmarkEngine/Context/"])
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }

    @Test("Failpoints exist only in debug builds")
    func failpointsOnlyInDebugBuilds() throws {
        for (path, lines) in try Self.productSources() {
            for (number, line) in lines.enumerated() where line.contains("kill(getpid()") {
                let before = lines[max(0, number - 3)..<number].joined(separator: "\n")
                #expect(before.contains("#if DEBUG"), "\(path):\(number + 1) kills the process outside #if DEBUG")
            }
        }
    }

    @Test("Commands import only the argument parser, Core and the Engine: they parse, call one operation, render")
    func commandsStayThin() throws {
        // HallmarkServer only for `hallmark serve`, which starts the server the engine's operations sit behind.
        let allowed: Set<String> = ["ArgumentParser", "Foundation", "HallmarkCore", "HallmarkEngine", "HallmarkServer", "Glibc", "Darwin"]
        for (path, lines) in try Self.productSources() where path.hasPrefix("HallmarkCommands/") {
            for line in lines where line.hasPrefix("import ") {
                let module = String(line.dropFirst("import ".count)).trimmingCharacters(in: .whitespaces)
                #expect(allowed.contains(module), "\(path) imports \(module)")
            }
        }
    }
}
