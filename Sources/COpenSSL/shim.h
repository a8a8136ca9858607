// The system OpenSSL (libssl-dev) for the telemetry client's and the loopback server's TLS, with the macros Swift
// cannot import as small inline functions. Nothing here decides policy: that is in Sources/WarRoomTelemetry/HTTP/TLS.swift.
#ifndef WARROOM_COPENSSL_SHIM_H
#define WARROOM_COPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/// SSL_CTX_set_min_proto_version is a macro.
static inline int warroom_ssl_ctx_min_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

/// SSL_CTX_set_max_proto_version is a macro.
static inline int warroom_ssl_ctx_max_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
}

/// Partial writes (our loop resends the rest) and a moving buffer (a Swift array's storage may move between tries).
static inline void warroom_ssl_ctx_set_modes(SSL_CTX *ctx) {
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

/// A peer that closes without close_notify ends the stream like one that sends it (HTTP frames its own bodies).
static inline void warroom_ssl_ctx_ignore_unexpected_eof(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
}

/// SNI: SSL_set_tlsext_host_name is a macro.
static inline int warroom_ssl_set_sni(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

/// The certificate must name `host` (a DNS name, wildcards as RFC 6125 allows) or, for an address, carry it as an
/// IP subjectAltName. Returns 1 on success.
static inline int warroom_ssl_expect_host(SSL *ssl, const char *host, int isAddress) {
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    if (isAddress) return X509_VERIFY_PARAM_set1_ip_asc(param, host);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return X509_VERIFY_PARAM_set1_host(param, host, 0);
}

/// An encrypted private key fails to load instead of OpenSSL prompting for a passphrase on the terminal.
static int warroom_no_passphrase(char *buf, int size, int rwflag, void *u) {
    (void)buf; (void)size; (void)rwflag; (void)u;
    return 0;
}
static inline void warroom_ssl_ctx_no_passphrase(SSL_CTX *ctx) {
    SSL_CTX_set_default_passwd_cb(ctx, warroom_no_passphrase);
}

#endif
