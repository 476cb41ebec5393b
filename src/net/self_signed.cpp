#include "net/self_signed.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>

namespace taube::net {
namespace {

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Ext = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

Error ssl_error(const char* what) { return fail(ErrorCode::kInternal, std::string("openssl: ") + what); }

Result<void> add_ext(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  Ext ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return ssl_error("add extension");
  return {};
}

Result<void> write_pem(const std::filesystem::path& path, mode_t mode, auto&& write) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wx");
  if (!f) return fail(ErrorCode::kInternal, "cannot create " + tmp.string());
  ::chmod(tmp.c_str(), mode);
  bool ok = write(f) == 1;
  ok = (std::fflush(f) == 0) && ok;
  ok = (::fsync(fileno(f)) == 0) && ok;
  std::fclose(f);
  std::error_code ec;
  if (!ok) {
    std::filesystem::remove(tmp, ec);
    return fail(ErrorCode::kInternal, "cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return fail(ErrorCode::kInternal, "cannot rename to " + path.string() + ": " + ec.message());
  return {};
}

}  // namespace

Result<bool> ensure_self_signed(const std::filesystem::path& cert_file,
                                const std::filesystem::path& key_file, const std::string& hostname,
                                int days) {
  std::error_code ec;
  if (std::filesystem::exists(cert_file, ec) && std::filesystem::exists(key_file, ec)) return false;
  std::filesystem::create_directories(cert_file.parent_path(), ec);
  std::filesystem::create_directories(key_file.parent_path(), ec);

  PKey key(EVP_EC_gen("P-256"));
  if (!key) return ssl_error("EC key generation");
  Cert cert(X509_new());
  if (!cert) return ssl_error("X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), long(std::time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), long(days) * 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Taube development"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(hostname.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  std::string san = "DNS:" + hostname;
  if (hostname != "localhost") san += ",DNS:localhost";
  san += ",IP:127.0.0.1,IP:::1";
  TAUBE_TRY(add_ext(cert.get(), NID_subject_alt_name, san));
  TAUBE_TRY(add_ext(cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  TAUBE_TRY(add_ext(cert.get(), NID_ext_key_usage, "serverAuth"));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return ssl_error("sign");

  TAUBE_TRY(write_pem(key_file, 0600, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  }));
  TAUBE_TRY(write_pem(cert_file, 0644, [&](FILE* f) { return PEM_write_X509(f, cert.get()); }));
  return true;
}

}  // namespace taube::net
