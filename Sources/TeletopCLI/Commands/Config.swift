import ArgumentParser

/// `teletop config`: the settings the config file and these flags give, and where each came from.
struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the merged settings and where each came from.",
        discussion: "The file is $XDG_CONFIG_HOME/teletop/config.toml (else ~/.config/teletop/config.toml), or TELETOP_CONFIG. A bad file is an error naming its line and key."
    )

    @Option(help: ArgumentHelp("A tracking plan file, as the dashboard takes it.", valueName: "file"))
    var plan: String?

    @Option(name: .customLong("alert"), parsing: .unconditionalSingleValue, help: ArgumentHelp("An alert rule, as the dashboard takes it.", valueName: "rule"))
    var rules: [String] = []

    @Flag(name: .customLong("no-bell"), help: "As the dashboard takes it.")
    var noBell = false

    func run() throws {
        print(try ConfiguredSettings.load(planFlag: plan, alertFlags: rules, noBell: noBell).report)
    }
}
