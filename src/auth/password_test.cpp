#include "auth/password.hpp"

#include <gtest/gtest.h>

namespace taube::auth {
namespace {

const HashParams kFast{.memory_kib = 1024, .passes = 1, .lanes = 1};

TEST(Password, Argon2idRoundTripWithRandomSalt) {
  auto a = hash_password("correct horse", kFast);
  auto b = hash_password("correct horse", kFast);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->rfind("$argon2id$v=19$m=1024,t=1,p=1$", 0), 0u) << *a;
  EXPECT_NE(*a, *b);  // salted
  EXPECT_TRUE(verify_password("correct horse", *a));
  EXPECT_FALSE(verify_password("correct horsE", *a));
  EXPECT_FALSE(verify_password("", *a));
  EXPECT_FALSE(needs_rehash(*a));
}

TEST(Password, DefaultParamsAreOwaspArgon2id) {
  auto h = hash_password("pw");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *h;
}

// A hash an old server would hold, made by
// /usr/bin/python3 -c "import crypt; print(crypt.crypt('secret', '$6$saltsalt$'))".
TEST(Password, VerifiesMigratedCryptHashes) {
  const std::string sha512 =
      "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1";
  EXPECT_TRUE(verify_password("secret", sha512));
  EXPECT_FALSE(verify_password("Secret", sha512));
  EXPECT_TRUE(verify_password("secret", "{SHA512-CRYPT}" + sha512));
  EXPECT_TRUE(needs_rehash(sha512));
}

TEST(Password, RejectsUnknownAndMalformedHashes) {
  EXPECT_FALSE(verify_password("secret", ""));
  EXPECT_FALSE(verify_password("secret", "secret"));            // plaintext is never accepted
  EXPECT_FALSE(verify_password("secret", "{PLAIN}secret"));
  EXPECT_FALSE(verify_password("secret", "$argon2id$garbage"));
  EXPECT_FALSE(verify_password("secret", "$1$abc$def"));         // MD5-crypt is refused
  EXPECT_FALSE(verify_password(std::string("sec\0ret", 7), "$6$x$y"));
}

}  // namespace
}  // namespace taube::auth
