// RFC 5322 address lists (section 3.4) for ENVELOPE and Summary: mailboxes with
// display names, quoted strings, comments, groups and obsolete routes (section 4.4).
// Never fails: garbage yields fewer or odd addresses, not an error.
// Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taube::mime {

struct Address {
  enum class Kind { kMailbox, kGroupStart, kGroupEnd };
  Kind kind = Kind::kMailbox;
  // Display name as written (quotes removed, encoded words NOT decoded); for a
  // mailbox without a phrase, the text of its trailing comment, if any.
  std::optional<std::string> name;
  std::optional<std::string> route;  // obs-route "@a,@b" without the ':'
  // Local part (unquoted); for kGroupStart the group's display name.
  std::optional<std::string> mailbox;
  std::optional<std::string> host;  // domain; absent when the address had none

  friend bool operator==(const Address&, const Address&) = default;
};

// Parses an unfolded address-list or mailbox-list value. Groups come out as
// kGroupStart, their members, kGroupEnd (RFC 3501 7.4.2 representation).
std::vector<Address> parse_address_list(std::string_view value);

// "Name <local@host>, other@host" with RFC 2047 words in names decoded to UTF-8;
// group markers are dropped (their members are listed). For display and search.
std::string display_addresses(const std::vector<Address>& list);

}  // namespace taube::mime
