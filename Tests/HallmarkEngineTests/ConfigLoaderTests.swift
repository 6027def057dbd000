import Foundation
import HallmarkCore
import HallmarkEngine
import Testing

@Suite("hallmark.yml: strict reading with line and column in every error")
struct ConfigLoaderTests {
    let valid = """
        version: 1
        project:
          name: greet
          license: MIT
        test: make test
        builds:
          - id: greet
            binary: greet
            command: make build OUT={{ output }}
            env: { CGO_ENABLED: "0", GOOS: "{{ os }}" }
            targets: [linux/amd64, linux/arm64, darwin/arm64, windows/amd64]
        archives:
          name: "{{ project }}_{{ semver }}_{{ os }}_{{ arch }}"
          files: [README.md]
        signing:
          key: env://RELEASE_KEY
        provenance:
          builder_id: https://example.com/builder
          tools: [cc]
        """

    func message(_ yaml: String) -> String? {
        do {
            _ = try ConfigLoader().parse(yaml, source: "hallmark.yml")
            return nil
        } catch {
            return error.message
        }
    }

    @Test func readsAValidConfig() throws {
        let config = try ConfigLoader().parse(valid, source: "hallmark.yml")
        #expect(config.project.name == "greet")
        #expect(config.matrix.count == 4)
        #expect(config.archives.format(for: "windows") == "zip" && config.archives.format(for: "linux") == "tar.gz")
        #expect(config.signingKey == "env://RELEASE_KEY")
        #expect(config.builderID == "https://example.com/builder")
        #expect(config.builds[0].environment["GOOS"]?.text == "{{ os }}")
        #expect(config.testCommand == "make test")
    }

    @Test func unknownKeysSuggestTheRightOne() {
        let text = valid.replacingOccurrences(of: "builds:", with: "bulids:")
        let error = message(text)
        #expect(error?.hasPrefix("hallmark.yml:6:1: unknown key \"bulids\"") == true, "\(error ?? "")")
        #expect(error?.contains("did you mean \"builds\"?") == true)
        let nested = message(valid.replacingOccurrences(of: "    binary: greet", with: "    binray: greet"))
        #expect(nested?.contains("hallmark.yml:8:5: unknown key \"binray\" in builds[0]") == true, "\(nested ?? "")")
    }

    @Test func yamlErrorsGiveLineAndColumn() {
        let error = message("project:\n  name: [unclosed\nbuilds: []\n")
        #expect(error?.hasPrefix("hallmark.yml:") == true && error?.contains("invalid YAML") == true, "\(error ?? "")")
        let parts = error?.split(separator: ":") ?? []
        #expect(parts.count > 3 && Int(parts[1]) != nil && Int(parts[2]) != nil, "\(error ?? "")")
    }

    @Test func badValuesNameTheirPlace() {
        #expect(message(valid.replacingOccurrences(of: "darwin/arm64", with: "macos/arm64"))?.contains("hallmark.yml:11:") == true)
        #expect(message(valid.replacingOccurrences(of: "OUT={{ output }}", with: "OUT={{ ouptut }}"))?.contains("did you mean \"{{ output }}\"") == true)
        #expect(message("version: 1\nbuilds: []\n")?.contains("\"project\" is missing") == true)
        #expect(message(valid.replacingOccurrences(of: "    binary: greet\n", with: ""))?.contains("binary is required") == true)
        #expect(message(valid.replacingOccurrences(of: "name: \"{{ project }}", with: "format: tar.xz\n  name: \"{{ project }}"))?.contains("tar.xz") == true)
        #expect(message("") != nil)
    }
}
