import HallmarkCore

/// The checks every member of every archive passes before a byte of it is used: a safe name (on its bytes), one
/// canonical spelling per path (`a`, `./a` and `a//b` name what the file system would), no path that is both a
/// file and a directory, names the file system can create, and the count and size limits.
struct MemberChecker {
    let limits: ArchiveReader.Limits
    let display: String
    private(set) var members: [ArchiveReader.Member] = []
    private(set) var total: UInt64 = 0
    private var named = Set<[UInt8]>()
    private var directories = Set<[UInt8]>()
    private var files = Set<[UInt8]>()

    init(limits: ArchiveReader.Limits, display: String) {
        self.limits = limits
        self.display = display
    }

    static let slash = UInt8(ascii: "/")
    static let dot = UInt8(ascii: ".")

    /// Checks one member named by the bytes `raw` and returns it, with its canonical path.
    mutating func admit(_ raw: [UInt8], kind: ArchiveReader.Member.Kind, size: UInt64, mode: UInt32) throws(HallmarkError) -> ArchiveReader.Member {
        let shown = String(decoding: raw, as: UTF8.self)
        guard let name = String(validating: raw, as: UTF8.self) else {
            throw .invalidInput("\(display): refusing member \"\(shown)\": the name is not UTF-8 (tools would read it differently)")
        }
        var bytes = raw
        if bytes.last == Self.slash {
            guard kind == .directory else {
                throw .invalidInput("\(display): refusing member \"\(name)\": a file whose name ends in '/' (tools disagree on what it is)")
            }
            while bytes.last == Self.slash { bytes.removeLast() }
        }
        while bytes.starts(with: [Self.dot, Self.slash]) { bytes.removeFirst(2) }
        if let reason = RelativePath.unsafeReason(String(decoding: bytes, as: UTF8.self)) {
            throw .invalidInput("\(display): refusing member \"\(name)\": \(reason)")
        }
        let components = bytes.split(separator: Self.slash, omittingEmptySubsequences: true).filter { !$0.elementsEqual([Self.dot]) }
        guard !components.isEmpty else { throw .invalidInput("\(display): refusing member \"\(name)\": the name is empty") }
        let canonical = Array(components.joined(separator: [Self.slash]))
        let path = String(decoding: canonical, as: UTF8.self)
        guard canonical.count < 4096, components.allSatisfy({ $0.count <= 255 }) else {
            throw .invalidInput("\(display): refusing member \"\(name)\": the name is too long to extract")
        }
        guard named.insert(canonical).inserted else { throw .invalidInput("\(display): member \"\(path)\" appears twice") }
        guard members.count < limits.maxEntries else { throw .invalidInput("\(display): more than \(limits.maxEntries) members") }
        var parent: [UInt8] = []
        for component in components.dropLast() {
            if !parent.isEmpty { parent.append(Self.slash) }
            parent.append(contentsOf: component)
            if files.contains(parent) {
                throw .invalidInput("\(display): refusing member \"\(path)\": \(String(decoding: parent, as: UTF8.self)) is a file in this archive")
            }
            directories.insert(parent)
        }
        switch kind {
        case .directory:
            guard size == 0 else { throw .invalidInput("\(display): refusing member \"\(path)\": a directory with contents") }
            directories.insert(canonical)
        case .file:
            if directories.contains(canonical) {
                throw .invalidInput("\(display): refusing member \"\(path)\": other members are inside it, so it cannot be a file")
            }
            files.insert(canonical)
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
