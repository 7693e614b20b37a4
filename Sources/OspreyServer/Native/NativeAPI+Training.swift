import Foundation
import Hummingbird
import OspreyCore
import OspreyServices

/// `POST /api/v1/training-jobs/{name}/interrupt`: a simulated spot interruption (`osprey jobs interrupt`).
extension NativeAPI {
    static func isInterruptPath(_ path: String) -> Bool {
        path.hasPrefix(trainingJobsPrefix) && path.hasSuffix("/interrupt")
            && !path.dropFirst(trainingJobsPrefix.count).dropLast("/interrupt".count).contains("/")
    }

    func interruptTrainingJob(path: String, accountId: String) async throws -> Response {
        let name = String(path.dropFirst(Self.trainingJobsPrefix.count).dropLast("/interrupt".count))
        try await training.interrupt(name: name.removingPercentEncoding ?? name, accountId: accountId)
        return try Self.json(["trainingJobName": name, "interrupted": true], status: .accepted)
    }
}
