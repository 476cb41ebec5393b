// Conformance: domains, accounts, aliases and recipient resolution.
#include <algorithm>
#include <map>

#include "store/conformance/conformance.hpp"
#include "store/content.hpp"

namespace taube::store::conformance {
namespace {

std::vector<std::string> names(const std::vector<Mailbox>& boxes) {
  std::vector<std::string> out;
  for (const auto& b : boxes) out.push_back(b.name);
  return out;
}

TEST_P(StoreConformance, DomainsAreAddedListedAndDeleted) {
  ASSERT_TRUE(sync(store().add_domain("Example.ORG")));
  ASSERT_TRUE(sync(store().add_domain("example.net")));
  EXPECT_EQ(sync(store().add_domain("EXAMPLE.org")).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(sync(store().add_domain("bad domain")).error().code, ErrorCode::kInvalidArgument);
  auto list = sync(store().list_domains());
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "example.net");
  EXPECT_EQ((*list)[1].name, "example.org");
  EXPECT_TRUE(*sync(store().is_local_domain("EXAMPLE.net")));
  ASSERT_TRUE(sync(store().delete_domain("example.net")));
  EXPECT_FALSE(*sync(store().is_local_domain("example.net")));
  EXPECT_EQ(sync(store().delete_domain("example.net")).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreConformance, DomainWithAccountsIsNotDeleted) {
  make_account("bob@example.org");
  EXPECT_EQ(sync(store().delete_domain("example.org")).error().code, ErrorCode::kConflict);
}

TEST_P(StoreConformance, NewAccountHasDefaultSpecialUseMailboxesSubscribed) {
  auto bob = make_account("bob@example.org");
  EXPECT_EQ(bob.address, "bob@example.org");
  auto boxes = sync(store().account(bob.id)->list_mailboxes());
  ASSERT_TRUE(boxes);
  EXPECT_EQ(names(*boxes),
            (std::vector<std::string>{"Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"}));
  const std::map<std::string, SpecialUse> expected_use{
      {"INBOX", SpecialUse::kNone}, {"Drafts", SpecialUse::kDrafts},
      {"Sent", SpecialUse::kSent},  {"Trash", SpecialUse::kTrash},
      {"Junk", SpecialUse::kJunk},  {"Archive", SpecialUse::kArchive}};
  std::vector<std::uint32_t> validities;
  for (const auto& b : *boxes) {
    EXPECT_TRUE(b.subscribed) << b.name;
    EXPECT_EQ(b.uid_next, 1u);
    EXPECT_NE(b.uid_validity, 0u);
    EXPECT_EQ(b.counts.messages, 0u);
    validities.push_back(b.uid_validity);
    EXPECT_EQ(b.special_use, expected_use.at(b.name)) << b.name;
  }
  std::sort(validities.begin(), validities.end());
  EXPECT_EQ(std::unique(validities.begin(), validities.end()), validities.end());
}

TEST_P(StoreConformance, AccountsAreFoundCaseInsensitively) {
  auto bob = make_account("Bob.Smith@example.org");
  auto found = sync(store().find_account("bob.smith@EXAMPLE.ORG"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, bob.id);
  EXPECT_EQ(found->password_hash, "{PLAIN}secret");
  EXPECT_EQ(sync(store().create_account("BOB.SMITH@example.org", "x")).error().code,
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(sync(store().create_account("carol@unknown.example", "x")).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(sync(store().create_account("no-at-sign", "x")).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(sync(store().find_account("nobody@example.org")).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(sync(store().set_password_hash(bob.id, "{ARGON2ID}new")));
  EXPECT_EQ(sync(store().get_account(bob.id))->password_hash, "{ARGON2ID}new");
  make_account("alice@example.net");
  EXPECT_EQ(sync(store().list_accounts(std::nullopt))->size(), 2u);
  auto org = sync(store().list_accounts(std::string("example.org")));
  ASSERT_EQ(org->size(), 1u);
  EXPECT_EQ((*org)[0].id, bob.id);
}

TEST_P(StoreConformance, RecipientsResolveToAccountAliasThenCatchAll) {
  auto bob = make_account("bob@example.org");
  auto carol = make_account("carol@example.org");
  auto dave = make_account("dave@example.org");
  ASSERT_TRUE(
      sync(store().add_alias(Alias{"team@example.org", {"bob@example.org", "carol@example.org"}})));
  ASSERT_TRUE(sync(store().add_alias(
      Alias{"all@example.org", {"team@example.org", "Bob@example.org", "dave@example.org"}})));
  ASSERT_TRUE(sync(store().add_alias(Alias{"outside@example.org", {"someone@remote.example"}})));

  EXPECT_EQ(*sync(store().resolve_recipient("BOB@Example.org")), std::vector<AccountId>{bob.id});
  EXPECT_EQ(*sync(store().resolve_recipient("team@example.org")),
            (std::vector<AccountId>{bob.id, carol.id}));
  EXPECT_EQ(*sync(store().resolve_recipient("all@example.org")),
            (std::vector<AccountId>{bob.id, carol.id, dave.id}));
  EXPECT_EQ(sync(store().resolve_recipient("nobody@example.org")).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(sync(store().resolve_recipient("outside@example.org")).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(sync(store().resolve_recipient("bob@elsewhere.example")).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(sync(store().resolve_recipient("not an address")).error().code,
            ErrorCode::kInvalidArgument);

  ASSERT_TRUE(sync(store().add_alias(Alias{"@example.org", {"dave@example.org"}})));
  EXPECT_EQ(*sync(store().resolve_recipient("nobody@example.org")),
            std::vector<AccountId>{dave.id});
  EXPECT_EQ(*sync(store().resolve_recipient("bob@example.org")), std::vector<AccountId>{bob.id});
  EXPECT_EQ(sync(store().add_alias(Alias{"team@example.org", {"dave@example.org"}})).error().code,
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(sync(store().add_alias(Alias{"x@nowhere.example", {"dave@example.org"}})).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(sync(store().add_alias(Alias{"y@example.org", {}})).error().code,
            ErrorCode::kInvalidArgument);

  auto aliases = sync(store().list_aliases(std::string("example.org")));
  ASSERT_TRUE(aliases);
  ASSERT_EQ(aliases->size(), 4u);
  EXPECT_EQ((*aliases)[0].source, "@example.org");
  EXPECT_EQ((*aliases)[3].source, "team@example.org");
  EXPECT_EQ((*aliases)[3].targets,
            (std::vector<std::string>{"bob@example.org", "carol@example.org"}));
  ASSERT_TRUE(sync(store().delete_alias("@example.org")));
  EXPECT_EQ(sync(store().resolve_recipient("nobody@example.org")).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(sync(store().delete_alias("@example.org")).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreConformance, AliasLoopsTerminate) {
  auto bob = make_account("bob@example.org");
  ASSERT_TRUE(sync(store().add_alias(Alias{"a@example.org", {"b@example.org"}})));
  ASSERT_TRUE(
      sync(store().add_alias(Alias{"b@example.org", {"a@example.org", "bob@example.org"}})));
  EXPECT_EQ(*sync(store().resolve_recipient("a@example.org")), std::vector<AccountId>{bob.id});
}

TEST_P(StoreConformance, DeletingAnAccountRemovesEverythingItOwns) {
  auto bob = make_account("bob@example.org");
  auto carol = make_account("carol@example.org");
  auto baseline = *sync(store().blobs().count());
  auto own = make_message("only bob", "private");
  auto shared = make_message("both", "shared");
  ASSERT_TRUE(sync(store().deliver(make_delivery(own, {DeliveryTarget{bob.id}}))));
  ASSERT_TRUE(sync(
      store().deliver(make_delivery(shared, {DeliveryTarget{bob.id}, DeliveryTarget{carol.id}}))));
  ASSERT_TRUE(sync(store().account(bob.id)->create_mailbox("Projects/2026")));
  EXPECT_EQ(*sync(store().blobs().count()), baseline + 2);

  ASSERT_TRUE(sync(store().delete_account(bob.id)));
  EXPECT_EQ(sync(store().find_account("bob@example.org")).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sync(store().account(bob.id)->list_mailboxes())->size(), 0u);
  EXPECT_EQ(sync(store().account(bob.id)->list_subscriptions())->size(), 0u);
  EXPECT_EQ(*sync(store().blobs().count()), baseline + 1);  // carol still holds "both"
  EXPECT_EQ(sync(store().blobs().get(sha256_hex(own.raw))).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(sync(store().blobs().get(sha256_hex(shared.raw))));
  EXPECT_EQ(sync(store().delete_account(bob.id)).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace taube::store::conformance
