#include "imap/wire/mutf7.hpp"

#include <gtest/gtest.h>

namespace taube::imap::wire {
namespace {

TEST(ImapMutf7, DecodesRfcExamples) {  // RFC 3501 5.1.3
  EXPECT_EQ(decode_mutf7("~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
  EXPECT_EQ(decode_mutf7("&-"), "&");
  EXPECT_EQ(decode_mutf7("Entw&APw-rfe"), "Entw\xc3\xbcrfe");
  EXPECT_EQ(decode_mutf7("&2D3eAA-"), "\xf0\x9f\x98\x80");  // U+1F600 via a surrogate pair
  EXPECT_EQ(decode_mutf7(""), "");
}

TEST(ImapMutf7, RejectsNonCanonicalAndGarbage) {
  for (const char* bad : {
           "&Jjo!",          // RFC 3501's example of a wrong encoding ("!" is not BASE64)
           "&U,BTFw",        // unterminated
           "&AGE-",          // "a" must be written directly
           "&APw-&APw-",     // two adjacent runs must be one
           "&APx-",          // non-zero padding bits
           "&AP-",           // a partial 16-bit unit
           "&2D0-",          // lone high surrogate
           "&3gA-",          // lone low surrogate
           "&AAA-",          // U+0000
           "&AAo-",          // LF
           "a\x01",          // raw control
           "caf\xc3\xa9",    // raw 8-bit
           "&U/BTFw-",       // "/" instead of ","
       })
    EXPECT_FALSE(decode_mutf7(bad)) << bad;
}

TEST(ImapMutf7, EncodesAndRoundTrips) {
  EXPECT_EQ(encode_mutf7("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  EXPECT_EQ(encode_mutf7("A&B"), "A&-B");
  EXPECT_EQ(encode_mutf7("\xc3\xbc\xc3\xbc"), "&APwA,A-");
  EXPECT_FALSE(encode_mutf7("\xc3"));
  for (const char* name : {"Entw\xc3\xbcrfe", "\xf0\x9f\x98\x80 & \xc3\xa9t\xc3\xa9", "plain", "&&-&"}) {
    auto encoded = encode_mutf7(name);
    ASSERT_TRUE(encoded) << name;
    EXPECT_EQ(decode_mutf7(*encoded), name) << *encoded;
  }
}

}  // namespace
}  // namespace taube::imap::wire
