import Dispatch

/// Runs the store writer's loops on a serial queue of their own instead of
/// the threads every task shares: when those are all busy (a flood of HTTP
/// requests, or work that blocks them), commits, retries and the housekeeping
/// still happen on time, so a write is never acknowledged late for want of a thread.
final class WriterExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: the queue is thread-safe and never changes.
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
