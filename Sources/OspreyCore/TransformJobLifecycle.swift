import Foundation

/// What happens to a transform job. The lifecycle is a pure function from (job, event) to the next job.
public enum TransformJobEvent: Sendable, Hashable {
    /// The model's workers are up and take records (the status stays InProgress).
    case started
    case completed
    case failed(reason: String)
    case stopRequested
    case stopped
}

public enum TransformJobLifecycle {
    /// Applies `event` at `time`: InProgress → Completed | Failed | Stopping → Stopped (or Failed).
    ///
    /// Throws `.validation` for an event the job's status does not allow (for example, stopping a finished job), with the
    /// message SageMaker gives; the job is unchanged then.
    public static func apply(_ event: TransformJobEvent, to job: TransformJob, at time: Date) throws -> TransformJob {
        guard !job.status.isTerminal else {
            throw OspreyError(.validation, "The request was rejected because the transform job is in status \(job.status.rawValue).")
        }
        var next = job
        switch event {
        case .started:
            try expect(job, .inProgress, for: event)
            next.transformStartTime = time
        case .completed:
            try expect(job, .inProgress, for: event)
            next.status = .completed
            next.transformEndTime = time
        case .failed(let reason):
            next.status = .failed
            next.failureReason = reason
            next.transformEndTime = time
        case .stopRequested:
            try expect(job, .inProgress, for: event)
            next.status = .stopping
        case .stopped:
            next.status = .stopped
            next.transformEndTime = time
        }
        next.lastModifiedTime = time
        return next
    }

    /// Whether applying `event` changes the job's status (and so makes a state-change event).
    public static func changesStatus(_ event: TransformJobEvent) -> Bool { event != .started }

    private static func expect(_ job: TransformJob, _ status: TransformJobStatus, for event: TransformJobEvent) throws {
        guard job.status == status else {
            throw OspreyError(.validation, "Transform job \(job.name) cannot go from \(job.status.rawValue) on \(event).")
        }
    }
}
