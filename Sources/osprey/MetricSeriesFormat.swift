import Foundation

/// How `osprey jobs metrics` prints a job's metric series.
enum MetricSeriesFormat {
    struct Point: Equatable {
        var timestamp: Double
        var value: Double
    }

    /// The series of a `/api/v1/training-jobs/{name}/metrics` answer, by metric name.
    static func parse(_ answer: Any?) -> [String: [Point]] {
        let metrics = (answer as? [String: Any])?["metrics"] as? [String: Any] ?? [:]
        return metrics.mapValues { points in
            (points as? [[String: Any]] ?? []).compactMap { point in
                guard let time = point["timestamp"] as? Double, let value = point["value"] as? Double else { return nil }
                return Point(timestamp: time, value: value)
            }
        }
    }

    /// One line per metric, by name: `loss  count 3  last 0.2  min 0.2  max 0.9  █▄▁`.
    static func summary(_ series: [String: [Point]], width: Int = 40) -> [String] {
        let nameWidth = series.keys.map(\.count).max() ?? 0
        return series.keys.sorted().compactMap { name in
            guard let points = series[name], let last = points.last, let low = points.map(\.value).min(),
                let high = points.map(\.value).max()
            else { return nil }
            let padded = name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            return "\(padded)  count \(points.count)  last \(number(last.value))  min \(number(low))  max \(number(high))  "
                + sparkline(points.map(\.value), width: width)
        }
    }

    /// Every point as `time<TAB>metric<TAB>value`, by metric name then time.
    static func table(_ series: [String: [Point]]) -> [String] {
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return series.keys.sorted().flatMap { name in
            (series[name] ?? []).map { "\(format.string(from: Date(timeIntervalSince1970: $0.timestamp)))\t\(name)\t\(number($0.value))" }
        }
    }

    /// The values in at most `width` columns (each the mean of its share of the points), scaled from the lowest to the highest.
    static func sparkline(_ values: [Double], width: Int) -> String {
        let levels = Array("▁▂▃▄▅▆▇█")
        guard !values.isEmpty, width > 0 else { return "" }
        let columns = min(width, values.count)
        let means = (0..<columns).map { column -> Double in
            let slice = values[(column * values.count / columns)..<((column + 1) * values.count / columns)]
            return slice.reduce(0, +) / Double(slice.count)
        }
        guard let low = means.min(), let high = means.max(), high > low else { return String(repeating: levels[0], count: columns) }
        return String(means.map { levels[min(levels.count - 1, Int((($0 - low) / (high - low)) * Double(levels.count - 1) + 0.5))] })
    }

    /// Up to six significant digits, without a trailing `.0`.
    static func number(_ value: Double) -> String { String(format: "%.6g", value) }
}
