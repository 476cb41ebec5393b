#include "base/base64.hpp"

#include <gtest/gtest.h>

namespace taube {
namespace {

// RFC 4648 section 10 test vectors.
TEST(Base64, RfcVectorsBothWays) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(encode_base64(plain), encoded);
    auto decoded = decode_base64_strict(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64, StrictDecoderRejectsNonCanonicalInput) {
  EXPECT_FALSE(decode_base64_strict("Zg="));     // missing padding
  EXPECT_FALSE(decode_base64_strict("Zh=="));    // non-zero pad bits
  EXPECT_FALSE(decode_base64_strict("Zm9v\r\n"));
  EXPECT_FALSE(decode_base64_strict("Zm=v"));    // data after padding
  EXPECT_FALSE(decode_base64_strict("Zm9-"));    // URL alphabet
  EXPECT_EQ(base64_sextet('/'), 63);
  EXPECT_EQ(base64_sextet('-'), -1);
}

}  // namespace
}  // namespace taube
