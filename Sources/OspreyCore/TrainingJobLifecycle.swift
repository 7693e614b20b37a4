import Foundation

/// What happens to a training job. The lifecycle is a pure function from (job, event) to the next job.
public enum TrainingJobEvent: Sendable, Hashable {
    /// Channels and code are being fetched.
    case downloading
    /// The user's code started.
    case training
    /// The code ended well; the model is being uploaded.
    case uploading
    case completed
    case failed(reason: String)
    case stopRequested
    /// The code was stopped (by request or by `MaxRuntimeInSeconds`) and its model uploaded.
    case stopped(maxRuntimeExceeded: Bool)
}

public enum TrainingJobLifecycle {
    /// Applies `event` at `time`: moves the statuses, closes the current secondary transition and opens the next one.
    ///
    /// Throws `.validation` for an event the job's state does not allow (for example, stopping a finished job), with the
    /// message SageMaker gives; the job is unchanged then.
    public static func apply(_ event: TrainingJobEvent, to job: TrainingJob, at time: Date) throws -> TrainingJob {
        var next = job
        guard !job.status.isTerminal else {
            throw OspreyError(
                .validation, "The request was rejected because the training job is in status \(job.status.rawValue).")
        }
        switch event {
        case .downloading:
            try expect(job, in: [.starting], for: event)
            next.open(.downloading, "Downloading input data", at: time)
        case .training:
            try expect(job, in: [.starting, .downloading], for: event)
            next.trainingStartTime = next.trainingStartTime ?? time
            next.open(.training, "Training image download completed. Training in progress.", at: time)
        case .uploading:
            try expect(job, in: [.training, .stopping], for: event)
            next.trainingEndTime = next.trainingEndTime ?? time
            next.open(.uploading, "Uploading generated training model", at: time)
        case .completed:
            try expect(job, in: [.uploading], for: event)
            guard job.status == .inProgress else { throw invalid(job, event) }
            next.status = .completed
            next.open(.completed, "Training job completed", at: time, closing: true)
        case .failed(let reason):
            next.status = .failed
            next.failureReason = reason
            if next.trainingStartTime != nil { next.trainingEndTime = next.trainingEndTime ?? time }
            next.open(.failed, "Training job failed", at: time, closing: true)
        case .stopRequested:
            guard job.status == .inProgress else { throw invalid(job, event) }
            next.status = .stopping
            next.open(.stopping, "Stopping the training job", at: time)
        case .stopped(let maxRuntimeExceeded):
            next.status = .stopped
            if next.trainingStartTime != nil { next.trainingEndTime = next.trainingEndTime ?? time }
            if maxRuntimeExceeded {
                next.open(.maxRuntimeExceeded, "Training job stopped because it reached MaxRuntimeInSeconds", at: time, closing: true)
            } else {
                next.open(.stopped, "Training job stopped", at: time, closing: true)
            }
        }
        next.lastModifiedTime = time
        return next
    }

    private static func expect(_ job: TrainingJob, in allowed: Set<SecondaryStatus>, for event: TrainingJobEvent) throws {
        guard allowed.contains(job.secondaryStatus) else { throw invalid(job, event) }
    }

    private static func invalid(_ job: TrainingJob, _ event: TrainingJobEvent) -> OspreyError {
        OspreyError(
            .validation, "Training job \(job.name) cannot go from \(job.status.rawValue)/\(job.secondaryStatus.rawValue) on \(event).")
    }
}

extension TrainingJob {
    /// Ends the open transition at `time` and opens `status`; a closing status is opened already ended.
    mutating func open(_ status: SecondaryStatus, _ message: String, at time: Date, closing: Bool = false) {
        if let last = transitions.indices.last, transitions[last].endTime == nil { transitions[last].endTime = time }
        transitions.append(SecondaryStatusTransition(status: status, startTime: time, endTime: closing ? time : nil, message: message))
        secondaryStatus = status
    }
}
