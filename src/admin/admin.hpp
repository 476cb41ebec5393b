// Administration as a library: domains, accounts, aliases and mailboxes, with the
// validation and password hashing that every front end (the `taube` command now, an
// HTTP API later) must share. Operations are awaitables over a store::Store; errors
// carry a detail that is safe and meant to be shown to the administrator.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace taube::admin {

using store::Async;

// Syntax checks shared by the operations (pure). A domain is LDH labels with at
// least one dot, or "localhost"; a local part is a dot-atom of at most 64 bytes.
bool is_valid_domain(std::string_view domain);
bool is_valid_address(std::string_view address);

Async<store::Domain> add_domain(store::Store& s, std::string name);
Async<void> delete_domain(store::Store& s, std::string name);

// Errors: kInvalidArgument (address, empty password), kNotFound (domain not local),
// kAlreadyExists.
Async<store::Account> add_user(store::Store& s, std::string address, std::string password);
Async<void> set_password(store::Store& s, std::string address, std::string password);
Async<void> delete_user(store::Store& s, std::string address);

// source is user@domain or @domain (catch-all); at least one target address.
Async<void> add_alias(store::Store& s, std::string source, std::vector<std::string> targets);
Async<void> delete_alias(store::Store& s, std::string source);

Async<std::vector<store::Mailbox>> list_mailboxes(store::Store& s, std::string address);

}  // namespace taube::admin
