import Foundation

/// Parses the two date forms S3 uses, without a `DateFormatter`.
enum S3DateParser {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `2009-10-12T17:50:30.000Z` (XML bodies); fractional seconds are kept.
    static func iso8601(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { "-T:Z".contains($0) })
        guard parts.count >= 6, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            let hour = Int(parts[3]), let minute = Int(parts[4]), let seconds = Double(parts[5])
        else { return nil }
        return date(year: year, month: month, day: day, hour: hour, minute: minute, seconds: seconds)
    }

    /// `Wed, 12 Oct 2009 17:50:00 GMT` (headers).
    static func rfc1123(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == ":" || $0 == "," })
        guard parts.count >= 7, let day = Int(parts[1]), let monthIndex = months.firstIndex(of: String(parts[2])),
            let year = Int(parts[3]), let hour = Int(parts[4]), let minute = Int(parts[5]), let seconds = Double(parts[6])
        else { return nil }
        return date(year: year, month: monthIndex + 1, day: day, hour: hour, minute: minute, seconds: seconds)
    }

    /// The UTC instant of a civil date and time (days-from-civil, proleptic Gregorian calendar).
    private static func date(year: Int, month: Int, day: Int, hour: Int, minute: Int, seconds: Double) -> Date? {
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute) else { return nil }
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let total = Double(days * 86_400 + hour * 3_600 + minute * 60) + seconds
        return Date(timeIntervalSince1970: total)
    }
}
