#include "outbound/dkim_signer.hpp"

#include <gtest/gtest.h>

namespace taube::outbound {
namespace {

TEST(DkimSigner, FromDomain) {
  EXPECT_EQ(from_domain("From: Alice <alice@A.Test>\r\nTo: x@y\r\n\r\nbody"), "a.test");
  EXPECT_EQ(from_domain("Subject: x\r\nfrom: bob@b.test\r\n\r\n"), "b.test");
  EXPECT_EQ(from_domain("From:\r\n  \"Folded\" <c@c.test>\r\n\r\n"), "c.test");
  EXPECT_EQ(from_domain("Subject: x\r\n\r\nFrom: body@not.header\r\n"), "");
}

TEST(DkimSigner, NoKeysNoSigner) {
  EXPECT_FALSE(make_dkim_signer("/nonexistent/dkim"));
}

}  // namespace
}  // namespace taube::outbound
