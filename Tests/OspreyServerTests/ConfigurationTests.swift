import Foundation
import OspreyCore
import Testing

@testable import OspreyServer

@Suite struct ConfigurationTests {
    @Test func defaultsDeriveFromTheDataDir() {
        let config = ServerConfiguration(dataDir: "/srv/osprey")
        #expect(config.databaseURL == "sqlite:/srv/osprey/osprey.db")
        #expect(config.artifactsURL == "file:/srv/osprey/artifacts")
        #expect(config.host == "127.0.0.1" && config.port == 8080 && config.region == "us-east-1")
    }

    @Test func environmentOverridesYAML() throws {
        var config = ServerConfiguration(dataDir: "/d")
        try config.apply(yaml: "port: 9000\nhost: 0.0.0.0\ndatabase: postgres://u:p@h/db\n")
        try config.apply(environment: ["OSPREY_PORT": "9100", "OSPREY_DATA_DIR": "/e", "OSPREY_ROOT_ACCESS_KEY_ID": "AKID", "HOME": "/h"])
        #expect(config.port == 9100)
        #expect(config.host == "0.0.0.0")
        #expect(config.dataDir == "/e")
        #expect(config.databaseURL == "postgres://u:p@h/db")
        #expect(config.rootAccessKeyId == "AKID")
    }

    @Test func badSettingsAreRefused() {
        var config = ServerConfiguration(dataDir: "/d")
        #expect(throws: OspreyError.self) { try config.apply(environment: ["OSPREY_PORT": "http"]) }
        #expect(throws: OspreyError.self) { try config.apply(yaml: "- just\n- a list\n") }
    }

    @Test func credentialsFilesRoundTrip() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "[default]\naws_access_key_id = OTHER\naws_secret_access_key = other\n".write(toFile: path, atomically: true, encoding: .utf8)
        try CredentialsFile.write(profile: "osprey", accessKeyId: "AKID", secret: "s3cr3t", to: path)
        let sections = CredentialsFile.parse(try String(contentsOfFile: path, encoding: .utf8))
        #expect(sections["osprey"] == ["aws_access_key_id": "AKID", "aws_secret_access_key": "s3cr3t"])
        #expect(sections["default"]?["aws_access_key_id"] == "OTHER")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
