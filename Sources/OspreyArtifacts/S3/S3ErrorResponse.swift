import OspreyCore

/// Turns S3's error answers and transport failures into `OspreyError`s.
enum S3ErrorResponse {
    /// The error an S3 answer with `status` and (possibly empty) `body` stands for.
    ///
    /// An XML `<Error>` body gives `OspreyError(Code(rawValue: <Code>), <Message>)`; without one the status decides.
    static func error(status: Int, body: [UInt8], method: String, path: String) -> OspreyError {
        let xml = S3XML(body)
        if xml.rootName == "Error", let code = xml.text("Code"), !code.isEmpty {
            let message = xml.text("Message").flatMap { $0.isEmpty ? nil : $0 } ?? "\(method) \(path) failed with HTTP \(status)."
            return OspreyError(OspreyError.Code(rawValue: code), message)
        }
        return OspreyError(code(status: status), "\(method) \(path) failed with HTTP \(status).")
    }

    /// The code for an answer without an XML error (HEAD answers, proxies).
    static func code(status: Int) -> OspreyError.Code {
        switch status {
        case 400: return .invalidRequest
        case 401, 403: return .accessDenied
        case 404: return .notFound
        case 405: return .methodNotAllowed
        case 409: return .alreadyExists
        case 411, 413: return .entityTooLarge
        case 412: return .preconditionFailed
        case 416: return .invalidRange
        case 501: return .notImplemented
        case 502, 503, 504: return .unavailable
        default: return .internalError
        }
    }

    /// A failure to talk to `endpoint` at all (refused, reset, timed out).
    static func unreachable(_ endpoint: S3Endpoint, _ error: any Error) -> OspreyError {
        OspreyError(.unavailable, "Cannot reach \(endpoint): \(error)", cause: error)
    }
}
