import Foundation

/// A running `hallmark serve` on a free loopback port (stopped on deinit), and curl to talk to it.
public final class ServeFixture: @unchecked Sendable {
    let process = Process()
    public let port: Int
    public var base: String { "http://127.0.0.1:\(port)" }

    /// Starts `hallmark serve --listen 127.0.0.1:0 ARGUMENTS` in `directory` and waits for "listening on".
    public init(_ arguments: [String], in directory: String, environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: TestPaths.binary)
        process.arguments = ["serve", "--listen", "127.0.0.1:0"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        for key in ["HALLMARK_SIGNING_KEY", "HALLMARK_TOKEN"] { env[key] = nil }
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw FixtureError("hallmark serve exited before listening") }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let found = text.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            throw FixtureError("unexpected first line: \(text)")
        }
        port = found
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }

    public struct Answer: Sendable {
        public var status: Int
        public var body: String
        public var headers: String

        /// The body as a JSON object (empty when it is not one).
        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
    }

    /// One request with curl: `token` as a bearer token, `body` sent as is with `contentType`.
    public func call(
        _ method: String, _ path: String, token: String? = nil, body: Data? = nil, contentType: String? = "application/json",
        headers extra: [String] = []
    ) throws -> Answer {
        let dir = try TemporaryDirectory("curl")
        var arguments = ["-s", "-X", method, "-D", dir.url("headers"), "-o", dir.url("body"), "-w", "%{http_code}"]
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        for header in extra { arguments += ["-H", header] }
        if let body {
            try body.write(to: URL(fileURLWithPath: dir.url("request")))
            if let contentType { arguments += ["-H", "Content-Type: \(contentType)"] }
            arguments += ["--data-binary", "@" + dir.url("request")]
        }
        let result = try ProcessRunner.run("curl", arguments + [base + path])
        let read = { (name: String) in (try? String(contentsOfFile: dir.url(name), encoding: .utf8)) ?? "" }
        return Answer(status: Int(result.stdout) ?? 0, body: read("body"), headers: read("headers"))
    }

    public func get(_ path: String, token: String? = nil) throws -> Answer { try call("GET", path, token: token) }

    public func post(_ path: String, token: String?, json: String) throws -> Answer {
        try call("POST", path, token: token, body: Data(json.utf8))
    }
}
