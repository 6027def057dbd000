import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A throw-away PostgreSQL cluster for the tests: Debian's `initdb` in a temporary directory, `postgres` listening
/// on a free loopback port (run as the `postgres` user when the tests run as root), trust authentication for the
/// `hallmark` role, fsync off. Started once per test process on first use and stopped when the process exits;
/// each test gets a database of its own.
public enum PostgresFixture {
    /// `HALLMARK_TEST_POSTGRES_BIN`, else the newest `/usr/lib/postgresql/N/bin`.
    static func binDirectory() throws -> String {
        if let dir = ProcessInfo.processInfo.environment["HALLMARK_TEST_POSTGRES_BIN"], !dir.isEmpty { return dir }
        let base = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        guard let newest = versions.compactMap(Int.init).max() else {
            throw FixtureError("PostgreSQL is not installed (no \(base)/N/bin); scripts/setup.sh installs Debian's postgresql")
        }
        return "\(base)/\(newest)/bin"
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cluster: (directory: String, port: Int, bin: String)?
    nonisolated(unsafe) private static var databases = 0

    /// A new, empty database on the shared cluster, as a `postgres://` URL.
    public static func database() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        let running = try cluster ?? start()
        cluster = running
        databases += 1
        let name = "hallmark_test_\(getpid())_\(databases)"
        try createDatabase(name, port: running.port, bin: running.bin)
        return "postgres://hallmark@127.0.0.1:\(running.port)/\(name)"
    }

    static func start() throws -> (directory: String, port: Int, bin: String) {
        let bin = try binDirectory()
        let directory = NSTemporaryDirectory() + "hallmark-pg-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if getuid() == 0 { chown(directory, postgresUID(), postgresGID()) }
        let initdb = try asPostgres(bin + "/initdb", ["-D", directory + "/data", "-A", "trust", "-U", "hallmark", "--no-sync", "-E", "UTF8"])
        guard initdb.status == 0 else { throw FixtureError("initdb failed: \(initdb.stderr)") }
        let port = try freePort()
        try launch(directory, port: port, bin: bin)
        atexit { PostgresFixture.stopAtExit() }
        return (directory, port, bin)
    }

    /// Starts `postgres` itself as a child (through `runuser` when root), its output in `server.log`, and waits
    /// until it accepts connections. (`pg_ctl start` daemonizes, which Foundation's process reaping does not
    /// survive in a test process.)
    static func launch(_ directory: String, port: Int, bin: String) throws {
        let process = Process()
        let server = [bin + "/postgres", "-D", directory + "/data", "-p", "\(port)", "-k", directory, "-c", "listen_addresses=127.0.0.1",
            "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off", "-c", "max_connections=200"]
        if getuid() == 0 {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", "postgres", "--"] + server
        } else {
            process.executableURL = URL(fileURLWithPath: server[0])
            process.arguments = Array(server.dropFirst())
        }
        FileManager.default.createFile(atPath: directory + "/server.log", contents: nil)
        let log = FileHandle(forWritingAtPath: directory + "/server.log")
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try process.run()
        server_ = process
        for _ in 0..<300 {
            let ready = try ProcessRunner.run(bin + "/pg_isready", ["-q", "-h", "127.0.0.1", "-p", "\(port)"])
            if ready.status == 0 { return }
            guard process.isRunning else { break }
            usleep(100_000)
        }
        let text = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
        throw FixtureError("postgres did not start on port \(port): \(text)")
    }

    nonisolated(unsafe) private static var server_: Process?

    static func stopAtExit() {
        guard let running = cluster else { return }
        if let server = server_, server.isRunning { kill(server.processIdentifier, SIGQUIT) }
        _ = try? asPostgres(running.bin + "/pg_ctl", ["-D", running.directory + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: running.directory)
    }

    static func createDatabase(_ name: String, port: Int, bin: String) throws {
        let result = try ProcessRunner.run(bin + "/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "hallmark", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \(name)"])
        guard result.status == 0 else { throw FixtureError("CREATE DATABASE failed: \(result.stderr)") }
    }

    /// Runs a PostgreSQL program, as the `postgres` user when running as root (PostgreSQL refuses root).
    static func asPostgres(_ program: String, _ arguments: [String]) throws -> ProcessOutput {
        getuid() == 0 ? try ProcessRunner.run("/usr/sbin/runuser", ["-u", "postgres", "--", program] + arguments) : try ProcessRunner.run(program, arguments)
    }

    static func postgresUID() -> uid_t { getpwnam("postgres")?.pointee.pw_uid ?? 0 }
    static func postgresGID() -> gid_t { getpwnam("postgres")?.pointee.pw_gid ?? 0 }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw FixtureError("cannot find a free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

