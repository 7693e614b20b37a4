import OspreyCore

/// The errors SigV4 verification reports, with the messages AWS uses.
enum SigV4Errors {
    static func signatureDoesNotMatch() -> OspreyError {
        OspreyError(
            .signatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
    }

    static func invalidAccessKeyId() -> OspreyError {
        OspreyError(.invalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records.")
    }

    static func tooSkewed() -> OspreyError {
        OspreyError(.requestTimeTooSkewed, "The difference between the request time and the current time is too large.")
    }

    static func expired() -> OspreyError {
        OspreyError(.accessDenied, "Request has expired")
    }

    static func incomplete(_ message: String) -> OspreyError {
        OspreyError(.incompleteSignature, message)
    }

    static func invalidArgument(_ message: String) -> OspreyError {
        OspreyError(.invalidArgument, message)
    }

    static func malformedChunk(_ message: String) -> OspreyError {
        OspreyError(.invalidRequest, "Malformed aws-chunked body: \(message)")
    }

    static func incompleteBody(_ message: String) -> OspreyError {
        OspreyError(.incompleteBody, message)
    }
}
