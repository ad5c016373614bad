import ArgumentParser
import TeletopCore
import TeletopRemote

/// `teletop attach URL [URL ...]`: the dashboard over running teletops, through their HTTP API.
struct Attach: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch running teletops (serve or another dashboard) from here.",
        discussion: """
            The full dashboard over one or more collectors, through their HTTP API only: the feed from their \
            streams (resumed after a break), their own counters, totals and health, their aggregates in the \
            analytics view, and the form firing to them. A URL may carry its own token (http://:TOKEN@host:7311) \
            and a name (eu=http://10.0.0.5:7311). A lost link is retried and never ends the dashboard; q quits.
            """
    )

    @Argument(help: ArgumentHelp("Collectors: [NAME=]http://host:port (several at once are merged).", valueName: "url"))
    var urls: [String]

    @Option(help: ArgumentHelp("The collectors' token (default: $TELETOP_TOKEN); a URL's own token wins.", valueName: "token"))
    var token: String?

    @Option(name: .customLong("where"), help: ArgumentHelp(
        "Only events this query matches, filtered by the collectors before they send (the / language).", valueName: "query"))
    var query: String?

    @OptionGroup
    var screen: ScreenOptions

    @OptionGroup(title: "Alerts")
    var alerts: AlertOptions

    func validate() throws {
        if urls.isEmpty { throw ValidationError("give at least one collector's URL, like http://127.0.0.1:7311") }
        if let query {
            do { _ = try EventQuery.parse(query) } catch { throw ValidationError("--where \(query): \(error.description)") }
        }
        if urls.count > 64 { throw ValidationError("at most 64 collectors at once, got \(urls.count)") }
        var names: Set<String> = []
        for address in try addresses() {
            guard names.insert(address.name).inserted else {
                throw ValidationError("two collectors are both called \(address.name): name them (eu=URL us=URL)")
            }
        }
    }

    func addresses() throws -> [CollectorAddress] {
        let token = HTTPOptions.token(token)
        return try urls.map { text in
            do { return try CollectorAddress(text, defaultToken: token) } catch { throw ValidationError(String(describing: error)) }
        }
    }

    func run() throws {
        let configured = try ConfiguredSettings.load(planFlag: nil, alertFlags: alerts.rules, noBell: alerts.noBell)
        var watching = alerts.settings
        watching.rules = configured.parsedRules
        watching.bell = configured.bell
        try AttachRun(addresses: try addresses(), query: query, logFile: screen.logFile, monochrome: screen.monochrome, mouse: !screen.noMouse,
                      alerts: watching, feedColumns: configured.feedColumns, typeColors: configured.colors).run()
    }
}
