import Foundation

/// Where the store lives when `--db` does not say: the XDG data folder.
public enum StoreLocation {
    public static let fileName = "events.sqlite"

    /// `$XDG_DATA_HOME/teletop/events.sqlite`, or `~/.local/share/teletop/events.sqlite`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") {
            return "\(data)/teletop/\(fileName)"
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return "\(home)/.local/share/teletop/\(fileName)"
    }

    /// `…/teletop/filters` beside the default store: the `/` filter's recent filters, kept across runs.
    public static func filterHistoryPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let store = defaultPath(environment: environment)
        return String(store.dropLast(fileName.count)) + "filters"
    }

    /// The path with the home folder written `~`, for narrow screens.
    public static func abbreviated(_ path: String, home: String? = ProcessInfo.processInfo.environment["HOME"]) -> String {
        guard let home, !home.isEmpty, home != "/", path.hasPrefix(home + "/") else { return path }
        return "~" + path.dropFirst(home.count)
    }

    /// A folder can never become the store: the store refuses to open one, and
    /// the CLI refuses it before anything starts.
    public static func isFolder(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
    }
}
