import ArgumentParser
import Foundation
import TeletopCore

extension LoggerSettings {
    /// The logger, with the plan file read and checked (a bad plan is a usage error that names the file).
    func makeLogger() throws -> EventLogger {
        EventLogger(plan: try loadPlan(), configuration: .init(ringCapacity: ringCapacity, ringBytes: ringBytes, queueBytes: queueBytes))
    }

    func loadPlan() throws -> TrackingPlan {
        guard let path = planPath else { return .contract }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("--plan \(path): cannot read the file")
        }
        do {
            return try TrackingPlan.load(json: Array(data))
        } catch {
            throw ValidationError("--plan \(path): \(error.description)")
        }
    }
}
