import OspreyServices
import ServiceLifecycle

/// Runs the autoscaler every `interval` until graceful shutdown (it stops first: it is the last service).
struct AutoScalerLoop: Service {
    let autoscaler: AutoScaler
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { return }
                await autoscaler.tick()
            }
        }
    }
}
