#include "smtp/wire/auth_response.hpp"

#include <gtest/gtest.h>

namespace taube::smtp::wire {
namespace {

TEST(SmtpAuthResponse, Base64MatchesRfc4648TestVectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(encode_base64(plain), encoded);
    EXPECT_EQ(decode_base64(encoded), plain);
  }
  const std::string binary("\0\xFF\x80 \n", 5);
  EXPECT_EQ(decode_base64(encode_base64(binary)), binary);
}

TEST(SmtpAuthResponse, RejectsNonCanonicalBase64) {
  for (std::string_view bad : {"Zg", "Zg=", "Zh==", "Zm9=", "====", "Z===", "Zg==Zg==", "Zm9v\r\n",
                               "Zm 9v", "Zm-v", "Zg=a"})
    EXPECT_FALSE(decode_base64(bad).has_value()) << bad;
}

TEST(SmtpAuthResponse, SplitsInitialResponsesAndContinuations) {
  // RFC 4954 4: "=" is an empty initial response; "*" cancels a continuation.
  auto ir = decode_sasl_response("=", true);
  ASSERT_TRUE(std::holds_alternative<std::string>(ir));
  EXPECT_EQ(std::get<std::string>(ir), "");
  auto plain = decode_sasl_response("dGVzdAB0ZXN0ADEyMzQ=", true);
  EXPECT_EQ(std::get<std::string>(plain), std::string("test\0test\0"
                                                      "1234",
                                                      14));
  EXPECT_TRUE(std::holds_alternative<SaslCancel>(decode_sasl_response("*", false)));
  auto star_ir = decode_sasl_response("*", true);
  ASSERT_TRUE(std::holds_alternative<Invalid>(star_ir));
  EXPECT_EQ(format_reply(std::get<Invalid>(star_ir).reply),
            "501 5.5.2 Cannot decode base64 response\r\n");
  EXPECT_TRUE(std::holds_alternative<Invalid>(decode_sasl_response("=", false)));
  EXPECT_EQ(std::get<std::string>(decode_sasl_response("", false)), "");
}

}  // namespace
}  // namespace taube::smtp::wire
