/// teletop's version, in one place: `teletop --version`, the dashboard's
/// header and `/openapi.yaml` all read it (a test checks they agree).
public enum TeletopVersion {
    public static let current = "0.1.0"
}
