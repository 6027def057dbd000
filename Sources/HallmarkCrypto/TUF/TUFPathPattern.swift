import Foundation

/// TUF delegation path patterns: the pattern and the target path are split at `/` into the same number of
/// segments, and each segment matches as a shell wildcard (`*`, `?`, `[abc]`, `[a-z]`, `[!abc]`), as Python's
/// fnmatch does, case-sensitively. So `*` never crosses a `/`.
public enum TUFPathPattern {
    public static func matches(_ target: String, pattern: String) -> Bool {
        let parts = target.split(separator: "/", omittingEmptySubsequences: false)
        let patterns = pattern.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == patterns.count else { return false }
        return zip(patterns, parts).allSatisfy {
            segmentMatches(Array($0.0.unicodeScalars), Array($0.1.unicodeScalars))
        }
    }

    /// One segment against one wildcard pattern; `*` backtracks to the last star only (linear in practice).
    static func segmentMatches(_ pattern: [Unicode.Scalar], _ text: [Unicode.Scalar]) -> Bool {
        var p = 0
        var t = 0
        var star: (p: Int, t: Int)?
        while t < text.count {
            if p < pattern.count, pattern[p] == "*" {
                star = (p, t)
                p += 1
                continue
            }
            if p < pattern.count, let next = single(pattern, at: p, matching: text[t]) {
                p = next
                t += 1
                continue
            }
            guard let last = star else { return false }
            p = last.p + 1
            t = last.t + 1
            star = (last.p, last.t + 1)
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }

    /// When the pattern element at `index` (a literal, `?` or a bracket set) matches `c`, the index after it.
    static func single(_ pattern: [Unicode.Scalar], at index: Int, matching c: Unicode.Scalar) -> Int? {
        switch pattern[index] {
        case "?": return index + 1
        case "[":
            guard let (members, end) = bracket(pattern, at: index) else { return c == "[" ? index + 1 : nil }
            return members(c) ? end : nil
        default: return pattern[index] == c ? index + 1 : nil
        }
    }

    /// Parses `[...]` at `index`: a membership test and the index after `]`; nil when the set is not closed
    /// (then `[` is a literal, as in fnmatch).
    static func bracket(_ pattern: [Unicode.Scalar], at index: Int) -> ((Unicode.Scalar) -> Bool, Int)? {
        var i = index + 1
        var negate = false
        if i < pattern.count, pattern[i] == "!" {
            negate = true
            i += 1
        }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while i < pattern.count {
            let c = pattern[i]
            if c == "]" && !first {
                let set = ranges
                return ({ scalar in set.contains { $0.contains(scalar.value) } != negate }, i + 1)
            }
            first = false
            if i + 2 < pattern.count, pattern[i + 1] == "-", pattern[i + 2] != "]" {
                if c.value <= pattern[i + 2].value { ranges.append(c.value...pattern[i + 2].value) }
                i += 3
            } else {
                ranges.append(c.value...c.value)
                i += 1
            }
        }
        return nil
    }
}

/// How TUF names become URL path segments and file names.
public enum TUFNames {
    /// Percent-encodes every byte of `name`'s UTF-8 outside `A-Z a-z 0-9 - . _ ~` (Python's
    /// `urllib.parse.quote(name, "")`), so a role name is one safe path segment: `/` and `..` cannot escape.
    public static func quote(_ name: String, keepingSlashes: Bool = false) -> String {
        var out = ""
        for byte in name.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || c == "-" || c == "." || c == "_" || c == "~" || (keepingSlashes && c == "/")
            {
                out.append(c)
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
