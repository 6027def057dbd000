import Foundation
import HallmarkCore
import HallmarkCrypto
@testable import HallmarkEngine
import HallmarkTestSupport
import Testing

@Suite("Release steps from the index to publishing, each on a prepared state")
struct ReleaseStepsDescribeTests {
    @Test func indexStepListsTheArchivesAndTheMetadata() throws {
        var fixture = try StepFixture()
        try fixture.run(StepFixture.throughFacts)
        #expect(try fixture.run(IndexStep()) == "2 artifacts")
        let index = try fixture.staged(ReleaseIndex.self, ReleaseIndex.fileName)
        #expect(index.artifacts == fixture.state.artifacts?.map(\.indexEntry))
        #expect(index.commit == StepFixture.commit && index.sourceDateEpoch == 1_700_000_000)
        #expect(
            index.metadata == [
                "sbom.spdx.json", "reproducibility.json", "provenance.json", "release-evidence.json",
                "release-evidence.md", "release-notes.md", "checksums.txt",
            ])
        #expect(fixture.state.files.records[ReleaseIndex.fileName] != nil)
        #expect(
            IndexStep.metadataNames(signed: true, sbom: false) == [
                "reproducibility.json", "provenance.json", "provenance.intoto.jsonl", "release-evidence.json",
                "release-evidence.md", "release-notes.md", "checksums.txt", "signatures.json",
            ])
    }

    @Test func sbomStepWritesSPDXUnlessTheConfigTurnsItOff() throws {
        var fixture = try StepFixture()
        try fixture.run(StepFixture.throughFacts)
        #expect(try fixture.run(SBOMStep()) == "SPDX 2.3, 0 dependencies")
        let sbom = try fixture.staged(SPDXDocument.self, SPDXDocument.fileName)
        #expect(sbom.name == "tiny-v1.0.0")
        #expect(sbom.packages.contains { $0.name == "tiny_1.0.0_windows_amd64.zip" })

        var off = try StepFixture(config: StepFixture.config + "sbom:\n  enabled: false\n")
        try off.run(StepFixture.throughFacts)
        #expect(try off.run(SBOMStep()) == "disabled in the config")
        #expect(!FileIO.isFile(off.workspace.staging + "/" + SPDXDocument.fileName))
        #expect(off.state.files.records[SPDXDocument.fileName] == nil)
    }

    @Test func reproducibilityStepRecordsHowToRebuildEachTarget() throws {
        var fixture = try StepFixture()
        try fixture.run(StepFixture.throughFacts)
        #expect(try fixture.run(ReproducibilityStep()) == "2 targets")
        let manifest = try fixture.staged(ReproducibilityManifest.self, ReproducibilityManifest.fileName)
        #expect(
            manifest.targets.map(\.rebuild) == [
                "hallmark rebuild v1.0.0 --target linux/amd64", "hallmark rebuild v1.0.0 --target windows/amd64",
            ])
        #expect(manifest.targets[0].command == "printf 'tiny v1.0.0 linux/amd64' > ../out/tiny/linux_amd64/tiny")
        #expect(manifest.targets[0].binary.sha256 == StepFixture.sha256("tiny v1.0.0 linux/amd64"))
        #expect(manifest.environment == fixture.state.buildPlan?.pinnedEnvironment)
        #expect(manifest.buildTree?.root == fixture.checkout.path)
        #expect(manifest.config == "hallmark.yml" && manifest.configSha256 == fixture.state.inputs.configSha256)
    }

    @Test func provenanceStepNamesTheFilesWrittenSoFarAsSubjects() throws {
        var unsigned = try StepFixture()
        try unsigned.run(StepFixture.throughFacts + [IndexStep(), SBOMStep(), ReproducibilityStep()])
        #expect(try unsigned.run(ProvenanceStep()) == "SLSA v1, unsigned (dry run)")
        let statement = try InTotoStatement(
            validating: try Data(contentsOf: URL(fileURLWithPath: unsigned.workspace.staging + "/provenance.json")),
            source: "p")
        #expect(
            statement.subject.map(\.name) == [
                "tiny_1.0.0_linux_amd64.tar.gz", "tiny_1.0.0_windows_amd64.zip", "index.json", "sbom.spdx.json",
                "reproducibility.json",
            ])
        for subject in statement.subject {
            #expect(subject.digest?["sha256"] == unsigned.state.files.records[subject.name ?? "?"]?.sha256)
        }
        #expect(!FileIO.isFile(unsigned.workspace.staging + "/provenance.intoto.jsonl"))

        var signed = try StepFixture(.init(version: "v1.0.0"), signed: true)
        try signed.run(StepFixture.throughFacts + [IndexStep(), SBOMStep(), ReproducibilityStep()])
        #expect(try signed.run(ProvenanceStep()) == "SLSA v1, signed DSSE")
        #expect(signed.state.files.records["provenance.intoto.jsonl"] != nil)

        // Run before the index is written, it names what is missing instead of crashing.
        var early = try StepFixture()
        try early.run(StepFixture.throughFacts)
        #expect { try early.run(ProvenanceStep()) } throws: {
            ($0 as? HallmarkError)?.message.contains("index.json was not written to the staging directory") == true
        }
    }

    @Test func evidenceStepCrossChecksTheMetadataAndListsTheFiles() throws {
        var fixture = try StepFixture()
        try fixture.run(StepFixture.throughProvenance)
        #expect(try fixture.run(EvidenceStep()) == "3 checks passed")
        let evidence = try fixture.staged(ReleaseEvidence.self, ReleaseEvidence.fileName)
        #expect(
            evidence.files.map(\.name) == [
                "index.json", "provenance.json", "reproducibility.json", "sbom.spdx.json",
                "tiny_1.0.0_linux_amd64.tar.gz", "tiny_1.0.0_windows_amd64.zip",
            ])
        #expect(evidence.checks.map(\.name) == ["version-guard: semver", "builds", "metadata cross-check"])
        #expect(evidence.checks.allSatisfy(\.passed) && evidence.dryRun)
        #expect(try fixture.stagedText(ReleaseEvidence.markdownFileName).contains("tiny_1.0.0_linux_amd64.tar.gz"))

        // An archive whose recorded digest is not the one the metadata states stops the release.
        var disagreeing = try StepFixture()
        try disagreeing.run(StepFixture.throughProvenance)
        disagreeing.state.files.record(
            "tiny_1.0.0_linux_amd64.tar.gz", sha256: String(repeating: "0", count: 64), size: 1)
        #expect { try disagreeing.run(EvidenceStep()) } throws: {
            let error = $0 as? HallmarkError
            return error?.code == .verificationFailed
                && error?.message.hasPrefix("the release metadata disagrees with itself: ") == true
        }
        #expect(!FileIO.isFile(disagreeing.workspace.staging + "/" + ReleaseEvidence.fileName))
    }

    @Test func notesStepRendersTheBuiltInOrTheConfiguredTemplate() throws {
        var fixture = try StepFixture()
        try fixture.run(StepFixture.throughProvenance + [EvidenceStep()])
        #expect(try fixture.run(NotesStep()) == "the built-in notes template")
        let notes = try fixture.stagedText("release-notes.md")
        #expect(notes.hasPrefix("# tiny v1.0.0\n") && notes.contains("This is a dry run: nothing was signed."))
        for artifact in fixture.state.artifacts ?? [] { #expect(notes.contains(artifact.archiveSha256)) }

        var custom = try StepFixture(config: StepFixture.config + "release_notes:\n  template: notes.mustache\n")
        try custom.dir.write("project/notes.mustache", "{{name}} {{version}}: {{#artifacts}}{{file}} {{/artifacts}}\n")
        try custom.run(StepFixture.throughProvenance + [EvidenceStep()])
        #expect(try custom.run(NotesStep()) == "notes.mustache")
        #expect(
            try custom.stagedText("release-notes.md")
                == "tiny v1.0.0: tiny_1.0.0_linux_amd64.tar.gz tiny_1.0.0_windows_amd64.zip \n")

        var unsafe = try StepFixture(config: StepFixture.config + "release_notes:\n  template: ../notes.md\n")
        try unsafe.run(StepFixture.throughProvenance + [EvidenceStep()])
        #expect { try unsafe.run(NotesStep()) } throws: {
            ($0 as? HallmarkError)?.message.hasPrefix("hallmark.yml: release_notes.template \"../notes.md\": ") == true
        }
    }

    @Test func signStepSignsEveryFileOrInADryRunListsThem() throws {
        var dry = try StepFixture()
        try dry.run(StepFixture.throughProvenance + [EvidenceStep(), NotesStep()])
        #expect(try dry.run(SignStep()) == "dry run: checksums.txt only, nothing signed")
        let list = try dry.stagedText(ReleaseDirectory.checksums)
        #expect(list.split(separator: "\n").count == dry.state.files.records.count)
        #expect(list.contains("\(dry.state.files.records["release-notes.md"]?.sha256 ?? "?")  release-notes.md"))
        #expect(
            dry.state.warnings.last == "dry run: nothing was signed (no signatures.json, no provenance.intoto.jsonl)")
        #expect(!FileIO.isFile(dry.workspace.staging + "/" + ReleaseDirectory.signatures))

        var signed = try StepFixture(.init(version: "v1.0.0"), signed: true)
        try signed.run(StepFixture.throughProvenance + [EvidenceStep(), NotesStep()])
        let detail = try signed.run(SignStep())
        let keyID = try Fixtures.ed25519Key().publicKey.keyID
        #expect(detail.hasPrefix("11 files signed with \(keyID.prefix(16))… ("), "\(detail)")
        #expect(FileIO.isFile(signed.workspace.staging + "/" + ReleaseDirectory.signatures))
    }

    @Test func verifyStepAcceptsTheStagedReleaseAndRefusesATamperedOne() throws {
        var fixture = try StepFixture(.init(version: "v1.0.0"), signed: true)
        try fixture.run(StepFixture.throughSigning)
        #expect(try fixture.run(VerifyStep()).hasPrefix("11 files, cross-checked "))
        #expect(fixture.state.verification?.verified == true)
        #expect(
            Set(fixture.state.verification?.crossChecked ?? []) == [
                "index.json", "sbom.spdx.json", "provenance.json", "provenance.intoto.jsonl", "reproducibility.json",
            ])
        #expect(FileIO.isFile(fixture.workspace.workRoot + "/verify.json"))

        var tampered = try StepFixture()
        try tampered.run(StepFixture.throughSigning)
        try tampered.dir.write("project/dist/.hallmark-work/v1.0.0/release/README.extra", "not listed")
        #expect { try tampered.run(VerifyStep()) } throws: {
            let error = $0 as? HallmarkError
            return error?.code == .verificationFailed
                && error?.message.hasPrefix("the staged release does not verify: ") == true
        }
        #expect(tampered.state.verification == nil)
    }

    @Test func publishStepMovesTheReleaseIntoPlace() throws {
        var fixture = try StepFixture()
        try fixture.run(StepFixture.throughSigning + [VerifyStep()])
        try fixture.dir.write("project/dist/v1.0.0/old.txt", "the previous release")
        #expect(try fixture.run(PublishStep()) == "dist/v1.0.0")
        #expect(fixture.state.warnings.last == "replacing the previous dist/v1.0.0")
        #expect(!fixture.dir.exists("project/dist/v1.0.0/old.txt"))
        #expect(
            fixture.dir.exists("project/dist/v1.0.0/index.json")
                && fixture.dir.exists("project/dist/v1.0.0/checksums.txt"))
        #expect(!FileIO.isDirectory(fixture.workspace.staging))

        // Without a verified release there is nothing to publish.
        var unverified = try StepFixture()
        try unverified.run(StepFixture.throughSigning)
        #expect(throws: HallmarkError.self) { try unverified.run(PublishStep()) }
        #expect(!unverified.dir.exists("project/dist/v1.0.0"))
    }
}
