#include "mime/imap_envelope.hpp"

#include "mime/address.hpp"
#include "mime/charset.hpp"
#include "mime/imap_string.hpp"

namespace taube::mime {
namespace {

// Header value as ENVELOPE reports it: unfolded, 8-bit bytes read as UTF-8 or Latin-1.
std::optional<std::string> env_value(const Part& m, std::string_view raw, std::string_view name) {
  auto v = field_value(raw, m.header.fields, name);
  if (!v) return std::nullopt;
  return utf8_or_latin1(*v);
}

std::vector<Address> env_addresses(const Part& m, std::string_view raw, std::string_view name) {
  auto v = env_value(m, raw, name);
  if (!v) return {};
  return parse_address_list(*v);
}

void append_address(std::string& out, const Address& a) {
  out += '(';
  switch (a.kind) {
    case Address::Kind::kGroupStart:
      out += "NIL NIL ";
      append_imap_nstring(out, a.mailbox);
      out += " NIL";
      break;
    case Address::Kind::kGroupEnd:
      out += "NIL NIL NIL NIL";
      break;
    case Address::Kind::kMailbox: {
      append_imap_nstring(out, a.name);
      out += ' ';
      append_imap_nstring(out, a.route);
      out += ' ';
      bool null_path = a.mailbox && a.mailbox->empty() && !a.host;
      append_imap_string(out, a.mailbox.value_or("MISSING_MAILBOX"));
      out += ' ';
      append_imap_string(out, a.host.value_or(null_path ? "" : "MISSING_DOMAIN"));
      break;
    }
  }
  out += ')';
}

void append_address_list(std::string& out, const std::vector<Address>& list) {
  if (list.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  for (const Address& a : list) append_address(out, a);
  out += ')';
}

}  // namespace

void append_envelope(std::string& out, const Part& m, std::string_view raw) {
  std::vector<Address> from = env_addresses(m, raw, "From");
  std::vector<Address> sender = env_addresses(m, raw, "Sender");
  std::vector<Address> reply_to = env_addresses(m, raw, "Reply-To");
  if (sender.empty()) sender = from;
  if (reply_to.empty()) reply_to = from;
  out += '(';
  append_imap_nstring(out, env_value(m, raw, "Date"));
  out += ' ';
  append_imap_nstring(out, env_value(m, raw, "Subject"));
  out += ' ';
  append_address_list(out, from);
  out += ' ';
  append_address_list(out, sender);
  out += ' ';
  append_address_list(out, reply_to);
  out += ' ';
  append_address_list(out, env_addresses(m, raw, "To"));
  out += ' ';
  append_address_list(out, env_addresses(m, raw, "Cc"));
  out += ' ';
  append_address_list(out, env_addresses(m, raw, "Bcc"));
  out += ' ';
  append_imap_nstring(out, env_value(m, raw, "In-Reply-To"));
  out += ' ';
  append_imap_nstring(out, env_value(m, raw, "Message-ID"));
  out += ')';
}

std::string render_envelope(const Part& message, std::string_view raw) {
  std::string out;
  append_envelope(out, message, raw);
  return out;
}

}  // namespace taube::mime
