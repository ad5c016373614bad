import ArgumentParser
import Foundation

/// A command that could not do its job (unreachable server, unusable file):
/// the reason on standard error and exit status 2, the same for every
/// subcommand. Usage errors stay ArgumentParser's (status 64).
func commandFailure(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    return ExitCode(2)
}
