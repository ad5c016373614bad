/// The glyphs a terminal can show. A UTF-8 locale gets box lines and block
/// sparklines; anything else (LC_ALL=C, say) gets plain ASCII.
public struct Glyphs: Equatable, Sendable {
    public var horizontal, vertical, topLeft, topRight, bottomLeft, bottomRight: Character
    public var spark: [Character]
    public var healthy, degraded, unhealthy: String
    public var ellipsis: String
    public var asciiOnly: Bool

    public static let unicode = Glyphs(
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        spark: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], healthy: "✔", degraded: "▲", unhealthy: "✖",
        ellipsis: "…", asciiOnly: false)

    public static let ascii = Glyphs(
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        spark: ["_", ".", ",", "-", "=", "+", "*", "#"], healthy: "[OK]", degraded: "[!]", unhealthy: "[X]",
        ellipsis: "~", asciiOnly: true)
}
