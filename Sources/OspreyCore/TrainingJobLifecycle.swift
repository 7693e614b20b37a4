import Foundation

/// What happens to a training job. The lifecycle is a pure function from (job, event) to the next job.
public enum TrainingJobEvent: Sendable, Hashable {
    /// The job waits in Starting (for capacity); the message of its open transition says why.
    case waiting(message: String)
    /// Channels and code are being fetched.
    case downloading
    /// The user's code started.
    case training
    /// The code ended well; the model is being uploaded.
    case uploading
    case completed
    case failed(reason: String)
    case stopRequested
    /// The code was stopped and its model uploaded.
    case stopped(StopCause)
    /// Managed spot: the capacity was reclaimed and the code stopped; it restarts from its checkpoints.
    case interrupted
    /// Managed spot: the job is getting capacity back after an interruption; `training` follows.
    case restarting
}

/// Why a job's code was stopped.
public enum StopCause: Sendable, Hashable {
    /// StopTrainingJob.
    case request
    /// `MaxRuntimeInSeconds` ran out.
    case maxRuntime
    /// Managed spot: `MaxWaitTimeInSeconds` ran out.
    case maxWait
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
        case .waiting(let message):
            try expect(job, in: [.starting], for: event)
            guard let last = next.transitions.indices.last else { throw invalid(job, event) }
            next.transitions[last].message = message
        case .downloading:
            try expect(job, in: [.starting], for: event)
            next.open(.downloading, "Downloading input data", at: time)
        case .training:
            try expect(job, in: [.starting, .downloading, .restarting], for: event)
            if job.secondaryStatus == .restarting,
                let interruption = job.transitions.last(where: { $0.status == .interrupted })
            {
                // Spot capacity is not billed while the job waits for it.
                next.unbilledSeconds = (job.unbilledSeconds ?? 0) + max(0, time.timeIntervalSince(interruption.startTime))
            }
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
        case .stopped(let cause):
            next.status = .stopped
            if next.trainingStartTime != nil { next.trainingEndTime = next.trainingEndTime ?? time }
            switch cause {
            case .request: next.open(.stopped, "Training job stopped", at: time, closing: true)
            case .maxRuntime:
                next.open(.maxRuntimeExceeded, "Training job stopped because it reached MaxRuntimeInSeconds", at: time, closing: true)
            case .maxWait:
                next.open(.maxWaitTimeExceeded, "Training job stopped because it reached MaxWaitTimeInSeconds", at: time, closing: true)
            }
        case .interrupted:
            try expect(job, in: [.training], for: event)
            guard job.status == .inProgress else { throw invalid(job, event) }
            next.open(.interrupted, "Training job interrupted: its spot capacity was reclaimed", at: time)
        case .restarting:
            try expect(job, in: [.interrupted], for: event)
            next.open(.restarting, "Restarting the training job from its checkpoints", at: time)
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
