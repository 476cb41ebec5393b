// DKIM signing checked by an independent implementation: Debian's python3-dkim
// (run with /usr/bin/python3) verifies what dkim_sign() produces. The reverse
// direction (python3-dkim signs, we verify) is in verify_test.cpp.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "mailauth/dkim_sign.hpp"

namespace taube::mailauth {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMessage =
    "Received: from somewhere by mx\r\n"
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.org,\r\n"
    "  carol@example.org\r\n"
    "Subject:   Hello   there \r\n"
    "Date: Thu, 26 Nov 2026 23:00:00 +0000\r\n"
    "Message-ID: <1@example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hello Bob,  \r\n"
    "\r\n"
    "two  spaces\tand a tab.\r\n"
    "\r\n"
    "\r\n";

bool python_dkim_available() {
  return std::system("/usr/bin/python3 -c 'import dkim, nacl' >/dev/null 2>&1") == 0;
}

fs::path temp_dir() {
  fs::path dir = fs::temp_directory_path() / ("mailauth_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

void write_file(const fs::path& p, std::string_view text) {
  std::ofstream(p, std::ios::binary) << text;
}

// True when python3-dkim verifies `message` against the key record `record`.
bool python_verifies(std::string_view message, std::string_view record) {
  const fs::path dir = temp_dir();
  write_file(dir / "msg", message);
  write_file(dir / "rec", record);
  write_file(dir / "verify.py",
             "import dkim, sys\n"
             "msg = open(sys.argv[1], 'rb').read()\n"
             "rec = open(sys.argv[2], 'rb').read()\n"
             "ok = dkim.verify(msg, dnsfunc=lambda name, timeout=5: rec)\n"
             "sys.exit(0 if ok else 1)\n");
  const std::string cmd = "/usr/bin/python3 " + (dir / "verify.py").string() + " " +
                          (dir / "msg").string() + " " + (dir / "rec").string();
  const int rc = std::system(cmd.c_str());
  fs::remove_all(dir);
  return rc == 0;
}

class DkimSignAgainstPython : public ::testing::TestWithParam<DkimAlgorithm> {};

TEST_P(DkimSignAgainstPython, PythonDkimVerifiesOurSignature) {
  if (!python_dkim_available()) GTEST_SKIP() << "python3-dkim or python3-nacl missing";
  Result<SigningKey> key = generate_signing_key("Example.com", "sel1", GetParam());
  ASSERT_TRUE(key);
  Result<std::string> header = dkim_sign(kMessage, *key);
  ASSERT_TRUE(header) << header.error().detail;
  EXPECT_EQ(header->rfind("DKIM-Signature: v=1; a=", 0), 0u);
  for (std::size_t pos = 0; pos < header->size();) {  // folded: no line over 78 + CRLF
    std::size_t end = header->find("\r\n", pos);
    EXPECT_LE(end - pos, 80u);
    pos = end + 2;
  }
  const std::string signed_message = *header + std::string(kMessage);
  EXPECT_TRUE(python_verifies(signed_message, dns_record_value(*key)));
  // A changed body or an added From no longer verifies.
  std::string tampered = signed_message;
  tampered.replace(tampered.find("Hello Bob"), 5, "Hallo");
  EXPECT_FALSE(python_verifies(tampered, dns_record_value(*key)));
  EXPECT_FALSE(python_verifies("From: mallory@example.net\r\n" + signed_message,
                               dns_record_value(*key)));
}

INSTANTIATE_TEST_SUITE_P(Algorithms, DkimSignAgainstPython,
                         ::testing::Values(DkimAlgorithm::kRsaSha256,
                                           DkimAlgorithm::kEd25519Sha256));

TEST(DkimKeys, PemRoundTripAndDirectoryLoad) {
  const fs::path dir = temp_dir();
  Result<SigningKey> key = generate_signing_key("example.com", "s2026", DkimAlgorithm::kEd25519Sha256);
  ASSERT_TRUE(key);
  write_file(key_file(dir, "Example.com", "s2026"), private_key_pem(*key));
  write_file(dir / "junk.key", "not a key");
  std::vector<std::string> problems;
  std::vector<SigningKey> keys = load_signing_keys(dir, &problems);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].domain, "example.com");
  EXPECT_EQ(keys[0].selector, "s2026");
  EXPECT_EQ(keys[0].algorithm, DkimAlgorithm::kEd25519Sha256);
  EXPECT_EQ(dns_record_value(keys[0]), dns_record_value(*key));
  EXPECT_EQ(problems.size(), 1u);
  fs::remove_all(dir);
}

TEST(DkimSign, RefusesMessageWithoutFrom) {
  Result<SigningKey> key = generate_signing_key("example.com", "s", DkimAlgorithm::kEd25519Sha256);
  ASSERT_TRUE(key);
  EXPECT_FALSE(dkim_sign("To: x@y\r\n\r\nbody\r\n", *key));
}

}  // namespace
}  // namespace taube::mailauth
