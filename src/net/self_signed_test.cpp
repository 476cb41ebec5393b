#include "net/self_signed.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>

namespace taube::net {
namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/taube-tls-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

TEST(SelfSigned, CreatesMatchingPairOnceWithPrivateKeyMode) {
  TempDir dir;
  auto cert = dir.path / "tls" / "cert.pem";
  auto key = dir.path / "tls" / "key.pem";
  auto made = ensure_self_signed(cert, key, "mail.example.org");
  ASSERT_TRUE(made) << made.error().detail;
  EXPECT_TRUE(*made);
  struct stat st{};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  FILE* cf = std::fopen(cert.c_str(), "r");
  ASSERT_NE(cf, nullptr);
  X509* x = PEM_read_X509(cf, nullptr, nullptr, nullptr);
  std::fclose(cf);
  ASSERT_NE(x, nullptr);
  FILE* kf = std::fopen(key.c_str(), "r");
  ASSERT_NE(kf, nullptr);
  EVP_PKEY* k = PEM_read_PrivateKey(kf, nullptr, nullptr, nullptr);
  std::fclose(kf);
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(X509_check_private_key(x, k), 1);
  EXPECT_EQ(X509_check_host(x, "mail.example.org", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(x, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
  EXPECT_NE(X509_check_host(x, "other.example.org", 0, 0, nullptr), 1);
  X509_free(x);
  EVP_PKEY_free(k);

  auto again = ensure_self_signed(cert, key, "mail.example.org");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);  // kept, not replaced
}

}  // namespace
}  // namespace taube::net
