// What OpenSSL itself keeps per idle server-side TLS connection, the floor under
// any IMAPS server's memory per connection on this machine (issue 4: "TLS
// included as far as OpenSSL allows"). N server SSL objects complete a handshake
// with in-process clients over memory BIOs, exchange a line each way (LOGIN, OK),
// release their buffers (SSL_MODE_RELEASE_BUFFERS, as Taube), the clients and
// test BIOs are freed; then the live heap (mallinfo2) is divided by N.
// Taube's settings: P-256 certificate, TLS 1.2+, server session cache.
//
// Usage: tls_floor [N]   (prints one JSON line)
#include <malloc.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

std::size_t live_heap() { return mallinfo2().uordblks; }

// Moves the bytes one side wrote to the other side's input.
void pump(SSL* from, SSL* to) {
  char buf[16384];
  int n;
  while ((n = BIO_read(SSL_get_wbio(from), buf, sizeof buf)) > 0) BIO_write(SSL_get_rbio(to), buf, n);
}

bool self_signed(SSL_CTX* ctx) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  if (!key || !cert) return false;
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  bool ok = X509_sign(cert, key, EVP_sha256()) > 0 && SSL_CTX_use_certificate(ctx, cert) == 1 &&
            SSL_CTX_use_PrivateKey(ctx, key) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 2000;
  SSL_CTX* server = SSL_CTX_new(TLS_server_method());
  SSL_CTX* client = SSL_CTX_new(TLS_client_method());
  if (!server || !client || !self_signed(server) || n <= 0) {
    std::fprintf(stderr, "tls_floor: setup failed\n");
    return 1;
  }
  SSL_CTX_set_min_proto_version(server, TLS1_2_VERSION);
  SSL_CTX_set_mode(server, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(server, SSL_SESS_CACHE_SERVER);

  const std::size_t before = live_heap();
  std::vector<SSL*> servers;
  int failed = 0;
  const char* version = "?";
  for (int i = 0; i < n; ++i) {
    SSL* s = SSL_new(server);
    SSL* c = SSL_new(client);
    SSL_set_bio(s, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_set_bio(c, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_set_accept_state(s);
    SSL_set_connect_state(c);
    for (int round = 0; round < 8 && !(SSL_is_init_finished(s) && SSL_is_init_finished(c)); ++round) {
      SSL_do_handshake(c);
      pump(c, s);
      SSL_do_handshake(s);
      pump(s, c);
    }
    char buf[4096];
    SSL_write(c, "a LOGIN user pass\r\n", 19);
    pump(c, s);
    if (SSL_read(s, buf, sizeof buf) <= 0) ++failed;
    SSL_write(s, "a OK\r\n", 6);
    pump(s, c);
    SSL_read(c, buf, sizeof buf);
    SSL_read(s, buf, sizeof buf);  // nothing pending: the idle state, buffers released
    version = SSL_get_version(s);
    // Fresh empty BIOs: the test BIOs' grown buffers are not OpenSSL's state.
    SSL_set_bio(s, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_free(c);
    servers.push_back(s);
  }
  const std::size_t after = live_heap();
  std::printf("{\"connections\": %d, \"failed\": %d, \"version\": \"%s\", \"openssl\": \"%s\", "
              "\"live_heap_bytes_per_connection\": %zu}\n",
              n, failed, version, OpenSSL_version(OPENSSL_VERSION), (after - before) / std::size_t(n));
  for (SSL* s : servers) SSL_free(s);
  SSL_CTX_free(server);
  SSL_CTX_free(client);
  return failed == 0 ? 0 : 1;
}
