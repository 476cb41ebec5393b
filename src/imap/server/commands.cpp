#include "imap/server/commands.hpp"

#include <algorithm>
#include <iterator>

namespace taube::imap::server {

namespace {
constexpr unsigned kAny = unsigned(State::kNotAuthenticated) | unsigned(State::kAuthenticated) |
                          unsigned(State::kSelected);
constexpr unsigned kNotAuth = unsigned(State::kNotAuthenticated);
constexpr unsigned kAuth = unsigned(State::kAuthenticated) | unsigned(State::kSelected);
constexpr unsigned kSel = unsigned(State::kSelected);

// Sorted by name for lookup.
constexpr CommandSpec kCommands[] = {
    {"APPEND", cmd_append, kAuth},
    {"AUTHENTICATE", cmd_authenticate, kNotAuth},
    {"CAPABILITY", cmd_capability, kAny},
    {"CHECK", cmd_check, kSel},
    {"CLOSE", cmd_close, kSel},
    {"COMPRESS", cmd_compress, kAuth},
    {"COPY", cmd_copy, kSel, false},
    {"CREATE", cmd_create, kAuth},
    {"DELETE", cmd_delete, kAuth},
    {"ENABLE", cmd_enable, unsigned(State::kAuthenticated)},  // RFC 5161 3.1
    {"EXAMINE", cmd_select, kAuth},
    {"EXPUNGE", cmd_expunge, kSel},
    {"FETCH", cmd_fetch, kSel, false},
    {"GETQUOTA", cmd_getquota, kAuth},
    {"GETQUOTAROOT", cmd_getquotaroot, kAuth},
    {"ID", cmd_id, kAny},
    {"IDLE", cmd_idle, kAuth},
    {"LIST", cmd_list, kAuth},
    {"LOGIN", cmd_login, kNotAuth},
    {"LOGOUT", cmd_logout, kAny},
    {"LSUB", cmd_list, kAuth},
    {"MOVE", cmd_move, kSel, false},
    {"NAMESPACE", cmd_namespace, kAuth},
    {"NOOP", cmd_noop, kAny},
    {"RENAME", cmd_rename, kAuth},
    {"SEARCH", cmd_search, kSel, false},
    {"SELECT", cmd_select, kAuth},
    {"SORT", cmd_sort, kSel, false},
    {"STARTTLS", cmd_starttls, kNotAuth},
    {"STATUS", cmd_status, kAuth},
    {"STORE", cmd_store, kSel, false},
    {"SUBSCRIBE", cmd_subscribe, kAuth},
    {"THREAD", cmd_thread, kSel, false},
    {"UID COPY", cmd_copy, kSel},
    {"UID EXPUNGE", cmd_expunge, kSel},
    {"UID FETCH", cmd_fetch, kSel},
    {"UID MOVE", cmd_move, kSel},
    {"UID SEARCH", cmd_search, kSel},
    {"UID SORT", cmd_sort, kSel},
    {"UID STORE", cmd_store, kSel},
    {"UID THREAD", cmd_thread, kSel},
    {"UNSELECT", cmd_unselect, kSel},
    {"UNSUBSCRIBE", cmd_unsubscribe, kAuth},
};
}  // namespace

const CommandSpec* find_command(std::string_view name) {
  auto it = std::lower_bound(std::begin(kCommands), std::end(kCommands), name,
                             [](const CommandSpec& c, std::string_view n) { return c.name < n; });
  if (it == std::end(kCommands) || it->name != name) return nullptr;
  return &*it;
}

}  // namespace taube::imap::server
