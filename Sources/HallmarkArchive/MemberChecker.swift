import HallmarkCore

/// The checks every member of every archive passes before a byte of it is used: a safe name (on its bytes), one
/// canonical spelling per path (`a`, `./a` and `a//b` name what the file system would), no path that is both a
/// file and a directory, names the file system can create, and the count, depth, name and size limits.
///
/// Paths are kept as a tree of components (each node once, keyed by its parent and its name), so memory grows
/// with the bytes of the names, not with their depth times their length.
struct MemberChecker {
    let limits: ArchiveReader.Limits
    let display: String
    private(set) var members: [ArchiveReader.Member] = []
    private(set) var total: UInt64 = 0
    private var nameBytes = 0

    private struct Edge: Hashable {
        var parent: Int
        var component: [UInt8]
    }
    private enum NodeKind { case file, directory, impliedDirectory }
    private struct Node {
        var id: Int
        var kind: NodeKind
    }
    /// The root is node 0; every other node is reached from its parent by its component.
    private var nodes: [Edge: Node] = [:]

    init(limits: ArchiveReader.Limits, display: String) {
        self.limits = limits
        self.display = display
    }

    /// A name as messages quote it: at most 200 characters, the rest elided.
    static func abbreviated(_ name: String) -> String {
        name.count <= 200 ? name : name.prefix(200) + "… (\(name.utf8.count) bytes)"
    }

    /// Whether `raw` names the archive's own top directory (`.`, `./`), as `tar -C dir -cf x .` writes it first.
    static func isArchiveRoot(_ raw: [UInt8]) -> Bool {
        !raw.isEmpty && raw.split(separator: slash, omittingEmptySubsequences: true).allSatisfy { $0.elementsEqual([dot]) }
    }

    static let slash = UInt8(ascii: "/")
    static let dot = UInt8(ascii: ".")

    /// Checks one member named by the bytes `raw` and returns it, with its canonical path.
    mutating func admit(_ raw: [UInt8], kind: ArchiveReader.Member.Kind, size: UInt64, mode: UInt32) throws(HallmarkError) -> ArchiveReader.Member {
        // Before any work on the name: no extractable name is this long (PATH_MAX), and all names together are capped.
        guard raw.count <= 8192 else {
            throw .invalidInput("\(display): refusing a member whose name is \(raw.count) bytes long (too long to extract)")
        }
        nameBytes += raw.count
        guard nameBytes <= limits.maxNameBytes else {
            throw .invalidInput("\(display): the members' names add up to more than \(limits.maxNameBytes) bytes")
        }
        let shown = Self.abbreviated(String(decoding: raw, as: UTF8.self))
        guard let whole = String(validating: raw, as: UTF8.self) else {
            throw .invalidInput("\(display): refusing member \"\(shown)\": the name is not UTF-8 (tools would read it differently)")
        }
        let name = Self.abbreviated(whole)
        var end = raw.count
        if raw.last == Self.slash {
            guard kind == .directory else {
                throw .invalidInput("\(display): refusing member \"\(name)\": a file whose name ends in '/' (tools disagree on what it is)")
            }
            while end > 0 && raw[end - 1] == Self.slash { end -= 1 }
        }
        var start = 0
        while end - start >= 2 && raw[start] == Self.dot && raw[start + 1] == Self.slash { start += 2 }
        let bytes = raw[start..<end]
        if let reason = RelativePath.unsafeReason(String(decoding: bytes, as: UTF8.self)) {
            throw .invalidInput("\(display): refusing member \"\(name)\": \(reason)")
        }
        let components = bytes.split(separator: Self.slash, omittingEmptySubsequences: true).filter { !$0.elementsEqual([Self.dot]) }
        guard !components.isEmpty else { throw .invalidInput("\(display): refusing member \"\(name)\": the name is empty") }
        guard components.count <= limits.maxDepth else {
            throw .invalidInput("\(display): refusing member \"\(name)\": more than \(limits.maxDepth) directory levels")
        }
        let canonical = Array(components.joined(separator: [Self.slash]))
        let path = String(decoding: canonical, as: UTF8.self)
        guard canonical.count < 4096, components.allSatisfy({ $0.count <= 255 }) else {
            throw .invalidInput("\(display): refusing member \"\(name)\": the name is too long to extract")
        }
        guard members.count < limits.maxEntries else { throw .invalidInput("\(display): more than \(limits.maxEntries) members") }
        var parent = 0
        var walked = 0
        for component in components.dropLast() {
            walked += component.count + (walked == 0 ? 0 : 1)
            let edge = Edge(parent: parent, component: Array(component))
            if let node = nodes[edge] {
                if node.kind == .file {
                    throw .invalidInput("\(display): refusing member \"\(path)\": \(String(decoding: canonical[0..<walked], as: UTF8.self)) is a file in this archive")
                }
                parent = node.id
            } else {
                let id = nodes.count + 1
                nodes[edge] = Node(id: id, kind: .impliedDirectory)
                parent = id
            }
        }
        let leaf = Edge(parent: parent, component: Array(components.last!))
        switch (nodes[leaf]?.kind, kind) {
        case (.file?, _), (.directory?, _):
            throw .invalidInput("\(display): member \"\(path)\" appears twice")
        case (.impliedDirectory?, .file):
            throw .invalidInput("\(display): refusing member \"\(path)\": other members are inside it, so it cannot be a file")
        case (.impliedDirectory?, .directory):
            nodes[leaf]!.kind = .directory
        case (nil, _):
            nodes[leaf] = Node(id: nodes.count + 1, kind: kind == .file ? .file : .directory)
        }
        switch kind {
        case .directory:
            guard size == 0 else { throw .invalidInput("\(display): refusing member \"\(path)\": a directory with contents") }
        case .file:
            guard size <= limits.maxEntrySize else {
                throw .invalidInput("\(display): member \(path) is over the \(limits.maxEntrySize)-byte limit")
            }
        }
        total += size
        guard total <= limits.maxTotalSize else { throw .invalidInput("\(display): over the \(limits.maxTotalSize)-byte total limit") }
        let member = ArchiveReader.Member(path: path, kind: kind, mode: mode & 0o777, size: size)
        members.append(member)
        return member
    }
}
