/// Breaking text into lines that fit a width in terminal columns.
enum Wrap {
    /// Greedy word wrap by display width; words longer than a line are cut.
    static func words(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        var current = ""
        var currentWidth = 0
        for word in SafeText.clean(text).split(separator: " ", omittingEmptySubsequences: false) {
            var w = String(word)
            var ww = DisplayWidth.of(w)
            if currentWidth > 0 && currentWidth + 1 + ww > width {
                lines.append(current)
                current = ""
                currentWidth = 0
            }
            while ww > width {
                var head = "", hw = 0
                for c in w {
                    let cw = DisplayWidth.of(c)
                    if hw + cw > width { break }
                    head.append(c)
                    hw += cw
                }
                // A character wider than the line: show nothing rather than loop forever.
                if head.isEmpty { return lines + (current.isEmpty ? [] : [current]) }
                if !current.isEmpty { lines.append(current) }
                lines.append(head)
                current = ""
                currentWidth = 0
                w = String(w.dropFirst(head.count))
                ww = DisplayWidth.of(w)
            }
            if currentWidth > 0 {
                current += " "
                currentWidth += 1
            }
            current += w
            currentWidth += ww
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    /// `text` wrapped to `width`, its later lines indented by `indent` columns.
    static func hanging(_ text: String, indent: Int, width: Int) -> [String] {
        guard DisplayWidth.of(text) > width, width > indent + 10 else { return [text] }
        let head = String(text.prefix(indent))
        let parts = Wrap.words(String(text.dropFirst(indent)), width: width - indent)
        let pad = String(repeating: " ", count: indent)
        return parts.enumerated().map { i, part in (i == 0 ? head : pad) + part }
    }
}
