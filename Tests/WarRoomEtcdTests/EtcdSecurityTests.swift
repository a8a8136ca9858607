import Foundation
import Testing
import EtcdTestSupport
import WarRoomCore
@testable import WarRoomEtcd
import WarRoomStore

/// A fresh directory of test certificates (openssl CLI), removed by the caller.
func makeCerts() throws -> EtcdTestCerts {
    try EtcdTestCerts(dir: NSTemporaryDirectory() + "warroom-etcd-pki-\(getpid())-\(UUID().uuidString.prefix(8))")
}

/// The error `body` throws, as an `EtcdError` (whatever wraps it).
func etcdError(_ body: () throws -> Void) -> EtcdError? {
    do { try body() } catch let e as EtcdError { return e } catch let e as EtcdStoreError { return e.cause } catch { return nil }
    return nil
}

@Suite(.serialized, .disabled(if: etcdSecurityToolsMissing, "etcd, etcdctl or openssl is not installed"))
struct EtcdMutualTLS {
    @Test func appendAndReadOverMutualTLSAndClearRefusals() throws {
        let certs = try makeCerts(); defer { try? FileManager.default.removeItem(atPath: certs.dir) }
        let etcd = try EtcdCluster(size: 1, security: EtcdTestSecurity(certs: certs, clientCertAuth: true))
        defer { etcd.shutdown() }
        let url = etcd.url("tls/run")
        #expect(url.secure && url.description.hasPrefix("etcds://127.0.0.1:"))

        // With the CA and the client certificate: the journal appends and a follower reads it.
        let j = try EtcdJournal.open(url: url, actor: "dana", now: t0)
        try j.append(.runStarted(started), actor: "dana", time: t0)
        try j.append(item("T1"), actor: "dana", time: t0 + 1)
        let tail = EtcdTail(url: url)
        #expect(try tail.poll().map(\.seq) == [1, 2])
        #expect(tail.lastHash == j.lastHash)

        // No client certificate: etcd refuses the handshake, and the message says to give one.
        var noCert = url
        noCert.access = EtcdAccess(caFile: certs.ca)
        let e1 = try #require(etcdError { _ = try EtcdClient(url: noCert, timeoutMs: 3_000).range(Array("tls/run/head".utf8)) })
        #expect(e1.kind == .tls, "\(e1)")
        #expect(e1.description.contains("etcd asks for a client certificate") && e1.description.contains("--cert"), "\(e1)")

        // etcd's certificate signed by a CA we were not told to trust.
        var wrongCA = url
        wrongCA.access = EtcdAccess(caFile: certs.otherCA, certFile: certs.clientCert, keyFile: certs.clientKey)
        let e2 = try #require(etcdError { _ = try EtcdClient(url: wrongCA, timeoutMs: 3_000).range(Array("x".utf8)) })
        #expect(e2.kind == .tls && !e2.isTransient, "\(e2)")
        #expect(e2.description.contains("etcd's certificate is not trusted") && e2.description.contains("--cacert \(certs.otherCA) did not sign it"), "\(e2)")

        // A client certificate etcd does not trust (another CA signed it).
        var foreignCert = url
        foreignCert.access = EtcdAccess(caFile: certs.ca, certFile: certs.otherClientCert, keyFile: certs.otherClientKey)
        let e3 = try #require(etcdError { _ = try EtcdClient(url: foreignCert, timeoutMs: 3_000).range(Array("x".utf8)) })
        #expect(e3.kind == .tls && e3.description.contains("does not accept the client certificate \(certs.otherClientCert)"), "\(e3)")

        // The journal opened without a certificate fails naming the store.
        let opened = #expect(throws: EtcdStoreError.self) { _ = try EtcdJournal.open(url: noCert, actor: "dana", now: t0) }
        #expect(opened?.description.contains(url.description) == true && opened?.description.contains("client certificate") == true)
    }

    @Test func badFilesAreNamedBeforeAnythingStarts() throws {
        let certs = try makeCerts(); defer { try? FileManager.default.removeItem(atPath: certs.dir) }
        let garbage = certs.dir + "/garbage.pem"
        try "not a certificate\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        let unreadable = certs.dir + "/unreadable.pem"
        try FileManager.default.copyItem(atPath: certs.clientKey, toPath: unreadable)
        chmod(unreadable, 0)
        let missing = certs.dir + "/missing.pem"
        let cases: [(EtcdAccess, String)] = [
            (EtcdAccess(caFile: missing), "cannot load CA file \(missing): it does not exist"),
            (EtcdAccess(caFile: garbage), "cannot load CA file \(garbage): it is not a PEM certificate"),
            (EtcdAccess(certFile: missing, keyFile: certs.clientKey), "client certificate \(missing) does not exist"),
            (EtcdAccess(certFile: garbage, keyFile: certs.clientKey), "client certificate \(garbage) is not a PEM certificate"),
            (EtcdAccess(certFile: certs.clientCert, keyFile: garbage), "client key \(garbage) is not an unencrypted PEM private key"),
            (EtcdAccess(certFile: certs.clientCert, keyFile: certs.otherClientKey), "client key \(certs.otherClientKey) does not match the certificate \(certs.clientCert)"),
            (EtcdAccess(certFile: certs.clientCert), "--cert needs --key"),
        ]
        for (access, expected) in cases {
            let problem = access.problem(secure: true)
            #expect(problem?.contains(expected) == true, "\(problem ?? "no problem found"), expected \(expected)")
        }
        if getuid() != 0 {  // root reads any file
            let problem = EtcdAccess(certFile: certs.clientCert, keyFile: unreadable).problem(secure: true)
            #expect(problem?.contains("client key \(unreadable) cannot be read") == true, "\(problem ?? "none")")
        }
        #expect(EtcdAccess(caFile: certs.ca).problem(secure: false)?.contains("need a TLS store: write etcds://") == true)
        #expect(EtcdAccess(caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey).problem(secure: true) == nil)
    }
}

@Suite(.serialized, .disabled(if: etcdSecurityToolsMissing, "etcd, etcdctl or openssl is not installed"))
struct EtcdUserAuth {
    static let rootPassword = #"r00t-"pa\ss-w0rd"#  // a quote and a backslash: the authenticate body escapes them

    @Test func passwordTokenExpiryAndRefusals() throws {
        let etcd = try EtcdCluster(size: 1, security: EtcdTestSecurity(authTokenTTL: 1)); defer { etcd.shutdown() }
        try etcd.enableAuth(rootPassword: Self.rootPassword, users: [(name: "crew", password: "crew-s3cret-pw", readwrite: "crew/")])

        var url = etcd.url("auth/run")
        let root = EtcdCredentials(user: "root", password: Self.rootPassword, passwordSource: "--password-file /x")
        url.access.credentials = root
        let j = try EtcdJournal.open(url: url, actor: "dana", now: t0)
        try j.append(.runStarted(started), actor: "dana", time: t0)
        #expect(try EtcdTail(url: url).poll().map(\.seq) == [1])
        #expect(root.authentications == 1, "one token serves every client sharing the credentials")
        let firstToken = try #require(root.token)
        #expect(root.secrets.contains(firstToken) && root.secrets.contains(Self.rootPassword))

        // etcd forgets an idle simple token after --auth-token-ttl (1 s here; its keeper looks every second). The next
        // request authenticates again by itself. (Time must pass unused: any request with the token renews it.)
        var retried = false
        for _ in 0..<8 where !retried {
            Thread.sleep(forTimeInterval: 2.5)
            try j.append(item("T\(root.authentications)"), actor: "dana", time: t0 + 1)
            retried = root.authentications > 1
        }
        #expect(retried && root.token != firstToken, "the expired token was replaced")
        #expect(try EtcdTail(url: url).poll().count == j.lineCount)
        // Nothing the run keeps in etcd carries the password or a token.
        let kept = try EtcdClient(url: url).rangePrefix(Array("auth/".utf8)).kvs.flatMap { $0.key + $0.value }
        for secret in root.secrets { #expect(!String(decoding: kept, as: UTF8.self).contains(secret)) }
        #expect(root.secrets.count == 3, "the password and two tokens")

        // Wrong password: who was refused, where, and where the password came from; never the password.
        var wrong = url
        let bad = EtcdCredentials(user: "root", password: "wr0ng-pa55word", passwordSource: "$WARROOM_ETCD_PASSWORD")
        wrong.access.credentials = bad
        let e1 = try #require(etcdError { _ = try EtcdJournal.open(url: wrong, actor: "dana", now: t0) })
        #expect(e1.kind == .denied && !e1.isTransient)
        #expect(e1.description.hasPrefix("etcd refused user root: authentication failed"), "\(e1)")
        #expect(e1.description.contains("$WARROOM_ETCD_PASSWORD") && !e1.description.contains("wr0ng-pa55word"), "\(e1)")
        let opened = #expect(throws: EtcdStoreError.self) { _ = try EtcdJournal.open(url: wrong, actor: "dana", now: t0) }
        #expect(opened?.description.hasPrefix(url.description) == true && opened?.description.contains("wr0ng") == false)

        // No user at all.
        var anonymous = url
        anonymous.access.credentials = nil
        let e2 = try #require(etcdError { _ = try EtcdClient(url: anonymous).range(Array("auth/run/head".utf8)) })
        #expect(e2.kind == .denied && e2.description.contains("has authentication on: give --user NAME"), "\(e2)")

        // A user without rights on the prefix: the key and the prefix are named.
        var crew = url
        crew.access.credentials = EtcdCredentials(user: "crew", password: "crew-s3cret-pw", passwordSource: "--password-file /y")
        let e3 = try #require(etcdError { _ = try EtcdJournal.open(url: crew, actor: "lee", now: t0) })
        #expect(e3.kind == .denied, "\(e3)")
        #expect(e3.description.contains("refused user crew: permission denied on key auth/run/") && e3.description.contains("readwrite on the prefix auth/run/"), "\(e3)")
        #expect(!e3.description.contains("crew-s3cret-pw"))
        crew.prefix = "crew/run"
        let mine = try EtcdJournal.open(url: crew, actor: "lee", now: t0)
        try mine.append(.runStarted(started), actor: "lee", time: t0)
    }

    @Test func authenticateBodyEscapesAndRedacts() throws {
        let c = EtcdCredentials(user: "u\"1", password: "p\\\"w\nx-long", passwordSource: "s")
        let body = String(decoding: c.authenticateBody(), as: UTF8.self)
        #expect(body == #"{"name":"u\"1","password":"p\\\"w\nx-long"}"#)
        #expect(c.redact("saw p\\\"w\nx-long here") == "saw [redacted] here")
        #expect(c.description == "user u\"1" && !"\(c)".contains("x-long"))
    }
}
