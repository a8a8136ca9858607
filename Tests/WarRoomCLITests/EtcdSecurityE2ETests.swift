import Foundation
import Testing
import EtcdTestSupport
@testable import WarRoomCLI
import WarRoomCore
import WarRoomEtcd

/// The commands on an etcd store with mutual TLS (`--cacert`, `--cert`, `--key`) and with a user and password
/// (`--user`, `--password-file`, `$WARROOM_ETCD_PASSWORD`), against real etcd members started per test.
@Suite(.serialized, .enabled(if: !etcdSecurityToolsMissing, "etcd, etcdctl or openssl is not installed"))
struct EtcdStoreSecurityCommands {
    @Test func checkThenVerifyOverMutualTLS() throws {
        let certs = try EtcdTestCerts(dir: tempDir("etcd-pki"))
        defer { try? FileManager.default.removeItem(atPath: certs.dir) }
        let etcd = try EtcdCluster(size: 1, security: EtcdTestSecurity(certs: certs, clientCertAuth: true))
        defer { etcd.shutdown() }
        let store = etcd.storeURL("runs/tls")
        #expect(store.hasPrefix("etcds://"))
        let cwd = tempDir("etcd-tls")
        let tls = ["--cacert", certs.ca, "--cert", certs.clientCert, "--key", certs.clientKey]
        let check = try warroom(["check", "T102", "--checklist", canary, "--store", store] + tls, cwd: cwd)
        #expect(check.status == 0 && check.out.contains("T102 done"), "\(check.err)")
        let verify = try warroom(["verify", "--store", store] + tls, cwd: cwd)
        #expect(verify.status == 0 && verify.out.contains("chain intact, 2 entries"), "\(verify.out) \(verify.err)")

        // Without a client certificate: refused, saying what is missing; nothing shown as done.
        let noCert = try warroom(["check", "T103", "--checklist", canary, "--store", store, "--cacert", certs.ca], cwd: cwd)
        #expect(noCert.status == 1 && noCert.err.contains("etcd asks for a client certificate") && !noCert.out.contains("done"), "\(noCert.err)")
        // etcd's certificate signed by another CA.
        let wrongCA = try warroom(["status", "--store", store, "--cacert", certs.otherCA, "--cert", certs.clientCert, "--key", certs.clientKey], cwd: cwd)
        #expect(wrongCA.status == 1 && wrongCA.err.contains("etcd's certificate is not trusted"), "\(wrongCA.err)")
        // A bad file is named before anything starts.
        let badKey = try warroom(["check", "T103", "--checklist", canary, "--store", store, "--cacert", certs.ca,
                                  "--cert", certs.clientCert, "--key", certs.otherClientKey], cwd: cwd)
        #expect(badKey.status == 1 && badKey.err.contains("client key \(certs.otherClientKey) does not match the certificate"), "\(badKey.err)")
        let plain = try warroom(["status", "--store", store.replacingOccurrences(of: "etcds://", with: "etcd://")] + tls, cwd: cwd)
        #expect(plain.status == 1 && plain.err.contains("need a TLS store: write etcds://"), "\(plain.err)")
        let onDir = try warroom(["status", "--state", cwd, "--user", "root"], cwd: cwd)
        #expect(onDir.status == 1 && onDir.err.contains("apply to --store etcd://"), "\(onDir.err)")
    }

    @Test func userAndPasswordFromFileOrEnvironmentNeverShown() throws {
        let etcd = try EtcdCluster(size: 1); defer { etcd.shutdown() }
        let password = "Corr3ct-horse-battery"
        try etcd.enableAuth(rootPassword: password)
        let store = etcd.storeURL("runs/auth")
        let cwd = tempDir("etcd-auth")
        let file = cwd + "/etcd-password"
        try (password + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let check = try warroom(["check", "T102", "--checklist", canary, "--store", store, "--user", "root", "--password-file", file], cwd: cwd)
        #expect(check.status == 0 && check.out.contains("T102 done"), "\(check.err)")
        let verify = try warroom(["verify", "--store", store, "--user", "root"], env: ["WARROOM_ETCD_PASSWORD": password], cwd: cwd)
        #expect(verify.status == 0 && verify.out.contains("chain intact, 2 entries"), "\(verify.err)")
        let named = try warroom(["status", "--store", store, "--user", "root", "--password-env", "MY_ETCD_PW"], env: ["MY_ETCD_PW": password], cwd: cwd)
        #expect(named.status == 0 && named.out.contains("T102"), "\(named.err)")
        let report = try warroom(["report", "--store", store, "--user", "root", "--password-file", file], cwd: cwd)
        #expect(report.status == 0 && report.out.contains("T102") && !report.out.contains(password), "\(report.err)")
        // Neither the run in etcd nor anything local holds the password.
        let kept = try etcd.etcdctl(["get", "--prefix", "runs/auth"], user: "root:\(password)")
        #expect(kept.contains("T102") && !kept.contains(password))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cwd) == ["etcd-password"])

        // Wrong password: exit 1, the user and the store named, the password nowhere.
        let wrongPassword = "Wr0ng-horse-battery"
        try (wrongPassword + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let wrong = try warroom(["check", "T103", "--checklist", canary, "--store", store, "--user", "root", "--password-file", file], cwd: cwd)
        #expect(wrong.status == 1, "\(wrong.err)")
        #expect(wrong.err.contains("etcd refused user root: authentication failed") && wrong.err.contains(store), "\(wrong.err)")
        #expect(!(wrong.out + wrong.err).contains(wrongPassword) && !(wrong.out + wrong.err).contains(password))
        // No password anywhere; no user at all.
        let none = try warroom(["status", "--store", store, "--user", "root"], env: ["WARROOM_ETCD_PASSWORD": ""], cwd: cwd)
        #expect(none.status == 1 && none.err.contains("no password: put it in a file and give --password-file FILE, or set $WARROOM_ETCD_PASSWORD"), "\(none.err)")
        let anonymous = try warroom(["status", "--store", store], cwd: cwd)
        #expect(anonymous.status == 1 && anonymous.err.contains("has authentication on: give --user NAME"), "\(anonymous.err)")
        let missing = try warroom(["status", "--store", store, "--user", "root", "--password-file", cwd + "/nope"], cwd: cwd)
        #expect(missing.status == 1 && missing.err.contains("--password-file \(cwd)/nope does not exist"), "\(missing.err)")
    }

    /// The console's redactor (hooks' and sources' output) knows the store's password.
    @Test func storePasswordIsAKnownSecret() throws {
        let dir = tempDir("etcd-secret")
        try "hunter2-etcd-pw\n".write(toFile: dir + "/pw", atomically: true, encoding: .utf8)
        var options = try StoreAccessOptions.parse(["--user", "root", "--password-file", dir + "/pw"])
        let location = try StoreLocation.resolve(state: nil, store: "etcd://127.0.0.1:2379/x", access: options)
        #expect(location.secrets == ["hunter2-etcd-pw"])
        let config = RunConfig(path: nil, service: "x", checklist: "c.md", plan: RampPlan(steps: []))
        let children = childProcesses(config: config, environment: [:], storeSecrets: location.secrets)
        #expect(children.redactor.redact("echo hunter2-etcd-pw") == "echo [redacted]")

        // The config's store settings under the flags: a flag wins field by field; another user brings its own password.
        let fromConfig = StoreAccessConfig(cacert: "/c/ca.pem", cert: "/c/c.pem", key: "/c/k.pem", user: "warroom", passwordFile: "/c/pw")
        options = try StoreAccessOptions.parse(["--cacert", "/o/ca.pem"])
        #expect(options.merged(over: fromConfig) == StoreAccessConfig(cacert: "/o/ca.pem", cert: "/c/c.pem", key: "/c/k.pem", user: "warroom", passwordFile: "/c/pw"))
        options = try StoreAccessOptions.parse(["--user", "other"])
        #expect(options.merged(over: fromConfig).passwordFile == nil)
    }
}
