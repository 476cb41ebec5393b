#include "admin/share.hpp"

#include <map>

namespace taube::admin {
namespace {

Error account_error(const Error& e, const std::string& address) {
  if (e.code == ErrorCode::kNotFound) return fail(e.code, "no such account: " + address);
  return e;
}

struct Target {
  store::Account owner;
  store::Collection collection;
  store::Account sharee;
};

Async<Target> resolve(store::Store& s, const std::string& owner, const std::string& collection,
                      const std::string& sharee) {
  auto o = co_await s.find_account(owner);
  if (!o) co_return account_error(o.error(), owner);
  auto op = s.dav().get_collection(store::kSystemActor, o->id, collection);
  auto c = co_await std::move(op);
  if (!c) {
    if (c.error().code == ErrorCode::kNotFound)
      co_return fail(ErrorCode::kNotFound, "no such collection: " + owner + "/" + collection);
    co_return c.error();
  }
  auto t = co_await s.find_account(sharee);
  if (!t) co_return account_error(t.error(), sharee);
  co_return Target{std::move(*o), std::move(*c), std::move(*t)};
}

}  // namespace

Async<void> add_share(store::Store& s, std::string owner, std::string collection,
                      std::string sharee, std::string access) {
  auto level = store::access_from(access);
  if (!level || (*level != store::Access::kRead && *level != store::Access::kReadWrite))
    co_return fail(ErrorCode::kInvalidArgument, "access is read or read-write, not " + access);
  auto t = co_await resolve(s, owner, collection, sharee);
  if (!t) co_return t.error();
  if (t->owner.id == t->sharee.id)
    co_return fail(ErrorCode::kInvalidArgument, "the owner has every right already");
  co_return co_await s.dav().set_share(t->collection.id, t->sharee.id, *level);
}

Async<void> remove_share(store::Store& s, std::string owner, std::string collection,
                         std::string sharee) {
  auto t = co_await resolve(s, owner, collection, sharee);
  if (!t) co_return t.error();
  auto r = co_await s.dav().remove_share(t->collection.id, t->sharee.id);
  if (!r && r.error().code == ErrorCode::kNotFound)
    co_return fail(ErrorCode::kNotFound,
                   owner + "/" + collection + " is not shared with " + sharee);
  co_return r;
}

Async<std::vector<ShareRow>> list_shares(store::Store& s, std::optional<std::string> address) {
  std::optional<store::AccountId> who;
  if (address) {
    auto a = co_await s.find_account(*address);
    if (!a) co_return account_error(a.error(), *address);
    who = a->id;
  }
  auto shares = co_await s.dav().list_shares(who);
  if (!shares) co_return shares.error();
  std::map<std::int64_t, std::string> addresses;
  std::vector<ShareRow> out;
  for (const auto& sh : *shares) {
    for (auto id : {sh.owner, sh.sharee}) {
      if (addresses.count(id.value)) continue;
      auto a = co_await s.get_account(id);
      addresses[id.value] = a ? a->address : "#" + std::to_string(id.value);
    }
    out.push_back(ShareRow{addresses[sh.owner.value], sh.collection_name, sh.kind,
                           addresses[sh.sharee.value], sh.access});
  }
  co_return out;
}

std::string format_shares(const std::vector<ShareRow>& rows) {
  if (rows.empty()) return "no shares\n";
  std::string out;
  for (const auto& r : rows) {
    out += r.owner + "/" + r.collection + " (" + std::string(store::to_string(r.kind)) + ") -> " +
           r.sharee + " " + std::string(store::to_string(r.access)) + "\n";
  }
  return out;
}

}  // namespace taube::admin
