import ArgumentParser
import Foundation
import HallmarkCore
import HallmarkEngine

/// How to reach an OCI registry: shared by every command that takes an oci:// reference.
struct RegistryOptions: ParsableArguments {
    @Flag(help: "Talk HTTP to the registry instead of HTTPS (a registry on localhost or a test network).")
    var plainHTTP = false

    @Option(help: "Registry user name; the password or token is read from standard input (--password-stdin).")
    var username: String?

    @Flag(help: "Read the registry password or token from standard input.")
    var passwordStdin = false

    @Option(help: "Docker config file with registry credentials (default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json).")
    var registryConfig: String?

    @Option(help: "PEM file of CA certificates to trust for HTTPS besides the system's (a server with a private CA).")
    var caFile: String?

    func access(timeout: Int64 = 30) throws(HallmarkError) -> RegistryAccess {
        var access = RegistryAccess()
        access.caFile = caFile
        access.plainHTTP = plainHTTP
        access.configFile = registryConfig
        access.timeoutSeconds = timeout
        if passwordStdin {
            guard username != nil else { throw .usage("--password-stdin needs --username") }
            let data = FileHandle.standardInput.readDataToEndOfFile()
            access.password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        }
        access.username = username
        return access
    }
}
