#include "net/tls.hpp"

#include <openssl/ssl.h>

namespace taube::net {

namespace ssl = boost::asio::ssl;

Result<std::shared_ptr<TlsContexts>> TlsContexts::load(std::filesystem::path cert_file,
                                                        std::filesystem::path key_file) {
  std::shared_ptr<TlsContexts> t(new TlsContexts(std::move(cert_file), std::move(key_file)));
  auto ctx = t->build();
  if (!ctx) return ctx.error();
  t->server_ = std::move(*ctx);
  return t;
}

Result<std::shared_ptr<ssl::context>> TlsContexts::build() const {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                   ec);
  ctx->use_certificate_chain_file(cert_file_.string(), ec);
  if (ec) return fail(ErrorCode::kInvalidArgument, "TLS certificate " + cert_file_.string() + ": " + ec.message());
  ctx->use_private_key_file(key_file_.string(), ssl::context::pem, ec);
  if (ec) return fail(ErrorCode::kInvalidArgument, "TLS key " + key_file_.string() + ": " + ec.message());
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_check_private_key(native) != 1)
    return fail(ErrorCode::kInvalidArgument, "TLS key " + key_file_.string() + " does not match the certificate");
  // Idle connections (IMAP IDLE) should not keep 2 x 16 KiB of buffers each.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
  return ctx;
}

std::shared_ptr<ssl::context> TlsContexts::server() const {
  std::lock_guard lock(mu_);
  return server_;
}

Result<void> TlsContexts::reload() {
  auto ctx = build();
  if (!ctx) return ctx.error();
  std::lock_guard lock(mu_);
  server_ = std::move(*ctx);
  return {};
}

}  // namespace taube::net
