import Foundation
import TeletopCore

extension LoggerSettings {
    /// The logger, with the plan file read and checked. A plan that cannot be
    /// used stops teletop before anything starts: the reason and exit status 2.
    func makeLogger() throws -> EventLogger {
        EventLogger(plan: try loadPlan(), configuration: .init(ringCapacity: ringCapacity, ringBytes: ringBytes, queueBytes: queueBytes))
    }

    func loadPlan() throws -> TrackingPlan {
        var plan = try loadPlanFile()
        if acceptUnplanned { plan.acceptUnplanned = true }
        return plan
    }

    private func loadPlanFile() throws -> TrackingPlan {
        guard let path = planPath else { return .contract }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw commandFailure("teletop: --plan \(path): cannot read the file")
        }
        do {
            return try TrackingPlan.load(json: Array(data))
        } catch {
            throw commandFailure("teletop: --plan \(path): \(error.description)")
        }
    }
}
