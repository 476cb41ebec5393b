#include "admin/admin.hpp"

#include "auth/password.hpp"
#include "base/ascii.hpp"

namespace taube::admin {
namespace {

bool is_atext(char c) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return ascii::is_alpha(c) || ascii::is_digit(c) || kSpecials.find(c) != std::string_view::npos;
}

bool is_valid_local_part(std::string_view local) {
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.') return false;
  for (size_t i = 0; i < local.size(); ++i) {
    if (local[i] == '.') {
      if (local[i + 1] == '.') return false;
    } else if (!is_atext(local[i])) {
      return false;
    }
  }
  return true;
}

Error user_error(const Error& e, std::string_view address) {
  if (e.code == ErrorCode::kNotFound) return fail(e.code, "no such account: " + std::string(address));
  return e;
}

}  // namespace

bool is_valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  if (ascii::iequals(domain, "localhost")) return true;
  size_t labels = 0;
  size_t start = 0;
  while (start <= domain.size()) {
    size_t dot = domain.find('.', start);
    std::string_view label = domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!ascii::is_alpha(c) && !ascii::is_digit(c) && c != '-') return false;
    ++labels;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return labels >= 2;
}

bool is_valid_address(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos) return false;
  return is_valid_local_part(address.substr(0, at)) && is_valid_domain(address.substr(at + 1));
}

Async<store::Domain> add_domain(store::Store& s, std::string name) {
  if (!is_valid_domain(name)) co_return fail(ErrorCode::kInvalidArgument, "invalid domain: " + name);
  auto r = co_await s.add_domain(ascii::lower(name));
  if (!r && r.error().code == ErrorCode::kAlreadyExists)
    co_return fail(ErrorCode::kAlreadyExists, "domain " + ascii::lower(name) + " exists already");
  co_return r;
}

Async<void> delete_domain(store::Store& s, std::string name) {
  auto r = co_await s.delete_domain(ascii::lower(name));
  if (!r && r.error().code == ErrorCode::kNotFound)
    co_return fail(ErrorCode::kNotFound, "no such domain: " + name);
  if (!r && r.error().code == ErrorCode::kConflict)
    co_return fail(ErrorCode::kConflict, "domain " + name + " still has accounts; delete them first");
  co_return r;
}

Async<store::Account> add_user(store::Store& s, std::string address, std::string password) {
  if (!is_valid_address(address)) co_return fail(ErrorCode::kInvalidArgument, "invalid address: " + address);
  if (password.empty()) co_return fail(ErrorCode::kInvalidArgument, "the password must not be empty");
  std::string domain = ascii::lower(address.substr(address.rfind('@') + 1));
  auto local = co_await s.is_local_domain(domain);
  if (!local) co_return local.error();
  if (!*local)
    co_return fail(ErrorCode::kNotFound,
                   "domain " + domain + " is not local; add it first with: taube domain add " + domain);
  auto hash = auth::hash_password(password);
  if (!hash) co_return hash.error();
  auto r = co_await s.create_account(address, *hash);
  if (!r && r.error().code == ErrorCode::kAlreadyExists)
    co_return fail(ErrorCode::kAlreadyExists, "account " + address + " exists already");
  co_return r;
}

Async<void> set_password(store::Store& s, std::string address, std::string password) {
  if (password.empty()) co_return fail(ErrorCode::kInvalidArgument, "the password must not be empty");
  auto account = co_await s.find_account(address);
  if (!account) co_return user_error(account.error(), address);
  auto hash = auth::hash_password(password);
  if (!hash) co_return hash.error();
  co_return co_await s.set_password_hash(account->id, *hash);
}

Async<void> delete_user(store::Store& s, std::string address) {
  auto account = co_await s.find_account(address);
  if (!account) co_return user_error(account.error(), address);
  co_return co_await s.delete_account(account->id);
}

Async<void> add_alias(store::Store& s, std::string source, std::vector<std::string> targets) {
  bool catch_all = !source.empty() && source.front() == '@';
  if (catch_all ? !is_valid_domain(source.substr(1)) : !is_valid_address(source))
    co_return fail(ErrorCode::kInvalidArgument, "invalid alias address: " + source);
  if (targets.empty()) co_return fail(ErrorCode::kInvalidArgument, "an alias needs at least one target address");
  for (const auto& t : targets)
    if (!is_valid_address(t)) co_return fail(ErrorCode::kInvalidArgument, "invalid target address: " + t);
  store::Alias alias{source, targets};  // named: see docs/DEVELOPMENT.md (g++ 12)
  auto r = co_await s.add_alias(std::move(alias));
  if (!r && r.error().code == ErrorCode::kNotFound)
    co_return fail(ErrorCode::kNotFound, "the domain of " + source + " is not local");
  if (!r && r.error().code == ErrorCode::kAlreadyExists)
    co_return fail(ErrorCode::kAlreadyExists, "alias " + source + " exists already");
  co_return r;
}

Async<void> delete_alias(store::Store& s, std::string source) {
  auto r = co_await s.delete_alias(source);
  if (!r && r.error().code == ErrorCode::kNotFound)
    co_return fail(ErrorCode::kNotFound, "no such alias: " + source);
  co_return r;
}

Async<std::vector<store::Mailbox>> list_mailboxes(store::Store& s, std::string address) {
  auto account = co_await s.find_account(address);
  if (!account) co_return user_error(account.error(), address);
  co_return co_await s.account(account->id)->list_mailboxes();
}

}  // namespace taube::admin
