import ArgumentParser

/// `--log-file`, `--monochrome`, `--no-mouse`: what every command that owns
/// the screen takes (the dashboard, attach).
struct ScreenOptions: ParsableArguments {
    @Option(name: .customLong("log-file"), help: ArgumentHelp("Where teletop writes its own log (never to the screen).", valueName: "path"))
    var logFile: String = LogFile.defaultPath

    @Flag(help: "No colours (NO_COLOR=1 does the same).")
    var monochrome = false

    @Flag(name: .customLong("no-mouse"), help: "Do not take clicks and the wheel (the terminal's own selection then works as usual).")
    var noMouse = false
}
