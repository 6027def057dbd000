import Foundation
import HallmarkCore
import HallmarkCrypto

/// Step 10: release-notes.md, from the config's template (beside the config) or the built-in one. It comes after
/// the evidence, which lists the files written before it.
struct NotesStep: ReleaseStep {
    let name = "notes"
    let requires: [ReleaseProduct] = [.signingKey, .facts, .evidence]
    let produces = ReleaseProduct.notes

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let inputs = state.inputs
        let facts = try state.need(\.facts, .facts, for: name)
        let signing = try state.need(\.signing, .signingKey, for: name)
        var template = ReleaseNotes.defaultTemplate
        var source = "the built-in notes template"
        if let custom = inputs.config.notesTemplate {
            if let reason = RelativePath.unsafeReason(custom) {
                throw .invalidInput("\(inputs.options.configPath): release_notes.template \"\(custom)\": \(reason)")
            }
            template = try FileIO.readText(inputs.configDirectory + "/" + custom, display: custom, limit: 1 << 20)
            source = custom
        }
        let text = try ReleaseNotes.render(
            template: template, source: source,
            context: ReleaseNotes.context(
                facts, signed: signing.signed, keyID: signing.key?.publicKey.keyID,
                extraFiles: inputs.config.archives.files))
        try state.stage("release-notes.md", Data(text.utf8), for: name)
        return source
    }
}
