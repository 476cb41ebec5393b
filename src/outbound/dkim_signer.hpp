// The DKIM signer for outbound mail: the keys under <data>/dkim (see
// mailauth/dkim_sign.hpp), chosen by the domain of the message's From: address
// (DMARC alignment, RFC 7489 3.1.1), else of the envelope sender. Mail from a
// domain without a key leaves unsigned.
#pragma once

#include <filesystem>

#include "outbound/service.hpp"

namespace taube::outbound {

// Loads the keys once (a new key needs a restart); logs keys that do not load.
Signer make_dkim_signer(const std::filesystem::path& key_directory);

// The domain of the first address in the From: field, lower case; "" if none.
std::string from_domain(std::string_view raw);

}  // namespace taube::outbound
