import OspreyCore

/// One container of a variant, as the router calls it: a pool of workers for one model, or a multi-model container that
/// loads models as requests name them.
protocol ServingStage: Sendable {
    /// A name for logs and errors: `endpoint/variant/container`.
    var label: String { get }
    func invoke(_ request: InvocationRequest) async throws -> InvocationResponse
    /// Changes the stage's instance count from `old` to `new`, keeping its workers per instance.
    func resize(from old: Int, to new: Int) async throws
    /// Stops every worker once its calls are answered.
    func close() async
}

extension WorkerPool: ServingStage {
    func resize(from old: Int, to new: Int) async throws {
        let perInstance = max(1, count / max(1, old))
        let change = (new - old) * perInstance
        if change > 0 { try await grow(by: change) } else if change < 0 { await shrink(by: -change) }
    }
}
