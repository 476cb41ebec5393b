// The `taube` command: serve, init, and administration. Each subcommand maps its
// failure to one clear line on stderr and a non-zero exit (2 for usage errors).
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <iostream>
#include <optional>

#include "admin/admin.hpp"
#include "admin/share.hpp"
#include "config/config.hpp"
#include "log/log.hpp"
#include "mailauth/dkim_sign.hpp"
#include "outbound/queue_cli.hpp"
#include "server/server.hpp"

namespace {

using namespace taube;
namespace asio = boost::asio;

constexpr const char* kVersion = TAUBE_VERSION;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "taube: error: %s\n", message.c_str());
  std::exit(1);
}

template <class T>
T or_die(Result<T> r) {
  if (!r) die(r.error().detail.empty() ? std::string(to_string(r.error().code)) : r.error().detail);
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

// Runs one store operation to completion on this thread.
template <class T>
Result<T> run_sync(asio::awaitable<Result<T>> op) {
  asio::io_context io;
  std::optional<Result<T>> out;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(op), [&](std::exception_ptr e, Result<T> r) {
    failure = e;
    if (!e) out.emplace(std::move(r));
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  if (!out) return fail(ErrorCode::kInternal, "store operation did not complete");
  return std::move(*out);
}

std::string read_line_from_terminal(const char* prompt) {
  std::fprintf(stderr, "%s", prompt);
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~tcflag_t(ECHO);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  std::fprintf(stderr, "\n");
  return line;
}

// From a terminal: asked twice without echo. Otherwise: the first line of stdin.
std::string read_password() {
  if (::isatty(STDIN_FILENO)) {
    std::string a = read_line_from_terminal("Password: ");
    std::string b = read_line_from_terminal("Again: ");
    if (a != b) die("the passwords differ");
    if (a.empty()) die("the password must not be empty");
    return a;
  }
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) die("no password on standard input (the password must not be empty)");
  return line;
}

config::Config load(const std::string& config_file, const std::string& data_dir, const std::string& store_url) {
  config::Config cfg = config::default_config();
  if (!config_file.empty()) cfg = or_die(config::load_config(config_file));
  if (!data_dir.empty()) cfg.data_dir = data_dir;
  if (!store_url.empty()) cfg.store_url = store_url;
  log::init(cfg.log_level);
  return cfg;
}

std::unique_ptr<store::Store> open_or_die(const config::Config& cfg) {
  return std::move(or_die(server::open_store(cfg)).store);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Taube: mail and calendar server (SMTP, LMTP, IMAP, POP3, CalDAV/CardDAV)"};
  app.require_subcommand(1);
  std::string config_file, data_dir;
  app.add_option("--config", config_file, "configuration file (TOML)")->check(CLI::ExistingFile);
  app.add_option("--data", data_dir, "data directory (default ./var)");
  std::string store_url;
  app.add_option("--store", store_url, "store URL, e.g. postgresql://host/db (default: SQLite in the data directory)");

  auto* serve = app.add_subcommand("serve", "run the node until SIGTERM/SIGINT");
  auto* init = app.add_subcommand("init", "create the data directory, store and development TLS pair");
  auto* version = app.add_subcommand("version", "print the version");

  auto* domain = app.add_subcommand("domain", "local domains")->require_subcommand(1);
  std::string domain_name;
  domain->add_subcommand("add", "add a local domain")->add_option("DOMAIN", domain_name)->required();
  domain->add_subcommand("list", "list local domains");
  domain->add_subcommand("del", "delete a local domain without accounts")->add_option("DOMAIN", domain_name)->required();

  auto* user = app.add_subcommand("user", "accounts")->require_subcommand(1);
  std::string address, user_domain;
  user->add_subcommand("add", "add an account; password from stdin or asked twice")
      ->add_option("ADDRESS", address)->required();
  user->add_subcommand("list", "list accounts")->add_option("DOMAIN", user_domain);
  user->add_subcommand("del", "delete an account and all its mail")->add_option("ADDRESS", address)->required();
  user->add_subcommand("passwd", "set an account's password")->add_option("ADDRESS", address)->required();

  auto* alias = app.add_subcommand("alias", "aliases; @domain is the domain's catch-all")->require_subcommand(1);
  std::string alias_source;
  std::vector<std::string> alias_targets;
  auto* alias_add = alias->add_subcommand("add", "add an alias to one or more addresses");
  alias_add->add_option("SOURCE", alias_source)->required();
  alias_add->add_option("TARGETS", alias_targets);
  alias->add_subcommand("list", "list aliases");
  alias->add_subcommand("del", "delete an alias")->add_option("SOURCE", alias_source)->required();

  auto* mailbox = app.add_subcommand("mailbox", "mailboxes")->require_subcommand(1);
  mailbox->add_subcommand("list", "a user's mailboxes with counts")->add_option("USER", address)->required();

  auto* share = app.add_subcommand("share", "calendars and address books shared with other accounts")
                    ->require_subcommand(1);
  std::string share_owner, share_collection, share_sharee, share_access = "read", share_address;
  for (const char* verb : {"add", "del"}) {
    auto* sub = share->add_subcommand(verb, std::string(verb) == "add"
                                                ? "share OWNER's COLLECTION with SHAREE (ACCESS: read or read-write)"
                                                : "stop sharing OWNER's COLLECTION with SHAREE");
    sub->add_option("OWNER", share_owner)->required();
    sub->add_option("COLLECTION", share_collection, "e.g. calendar, contacts")->required();
    sub->add_option("SHAREE", share_sharee)->required();
    if (std::string(verb) == "add") sub->add_option("ACCESS", share_access, "read (default) or read-write");
  }
  share->add_subcommand("list", "shares of ADDRESS (as owner or sharee), or all")->add_option("ADDRESS", share_address);

  auto* cluster = app.add_subcommand("cluster", "nodes sharing the store")->require_subcommand(1);
  cluster->add_subcommand("status", "registered nodes (age, version, listeners) and the database role");

  auto* dkim = app.add_subcommand("dkim", "DKIM signing keys")->require_subcommand(1);
  std::string dkim_domain, dkim_selector = "taube", dkim_algorithm = "rsa";
  auto* dkim_generate = dkim->add_subcommand(
      "generate", "create DOMAIN's signing key in <data>/dkim and print the DNS TXT record to publish");
  dkim_generate->add_option("DOMAIN", dkim_domain)->required();
  dkim_generate->add_option("--selector", dkim_selector, "selector (default taube)");
  dkim_generate->add_option("--algorithm", dkim_algorithm, "rsa (2048 bits, default) or ed25519")
      ->check(CLI::IsMember({"rsa", "ed25519"}));

  auto* queue = app.add_subcommand("queue", "the outbound queue (mail for other domains)")->require_subcommand(1);
  std::vector<int64_t> queue_ids;
  queue->add_subcommand("list", "queued entries: one per message and destination domain");
  queue->add_subcommand("show", "an entry with its recipients and their last replies")
      ->add_option("ID", queue_ids)->required();
  queue->add_subcommand("retry", "attempt delivery now")->add_option("ID", queue_ids)->required();
  queue->add_subcommand("hold", "stop attempting delivery until released")->add_option("ID", queue_ids)->required();
  queue->add_subcommand("release", "attempt delivery again (undo hold)")->add_option("ID", queue_ids)->required();
  queue->add_subcommand("delete", "drop an entry without a bounce")->add_option("ID", queue_ids)->required();

  auto* config_cmd = app.add_subcommand("config", "configuration")->require_subcommand(1);
  config_cmd->add_subcommand("check", "validate the configuration and print the result");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (version->parsed()) {
    std::printf("taube %s\n", kVersion);
    return 0;
  }
  config::Config cfg = load(config_file, data_dir, store_url);
  try {
    if (serve->parsed()) return server::serve(cfg, argv[0]);
    if (init->parsed()) {
      bool created = or_die(server::init_node(cfg));
      std::printf("%s %s\n", created ? "initialised" : "already initialised", cfg.data_dir.c_str());
      return 0;
    }
    if (config_cmd->parsed()) {
      std::printf("configuration ok%s%s\n", config_file.empty() ? " (defaults)" : ": ", config_file.c_str());
      return 0;
    }
    if (cluster->parsed()) {
      std::printf("%s", or_die(server::cluster_status(cfg)).c_str());
      return 0;
    }
    if (dkim->parsed()) {
      const auto algorithm = dkim_algorithm == "ed25519" ? mailauth::DkimAlgorithm::kEd25519Sha256
                                                         : mailauth::DkimAlgorithm::kRsaSha256;
      auto key = or_die(mailauth::generate_key_file(cfg.dkim_dir(), dkim_domain, dkim_selector, algorithm));
      std::printf("wrote %s\nPublish this TXT record:\n%s\n",
                  mailauth::key_file(cfg.dkim_dir(), key.domain, key.selector).c_str(),
                  mailauth::dns_zone_line(key).c_str());
      return 0;
    }
    auto store = open_or_die(cfg);
    if (domain->parsed()) {
      if (domain->got_subcommand("add")) {
        auto d = or_die(run_sync(admin::add_domain(*store, domain_name)));
        std::printf("added domain %s\n", d.name.c_str());
      } else if (domain->got_subcommand("list")) {
        for (const auto& d : or_die(run_sync(store->list_domains()))) std::printf("%s\n", d.name.c_str());
      } else {
        or_die(run_sync(admin::delete_domain(*store, domain_name)));
        std::printf("deleted domain %s\n", domain_name.c_str());
      }
    } else if (user->parsed()) {
      if (user->got_subcommand("add")) {
        std::string password = read_password();
        auto a = or_die(run_sync(admin::add_user(*store, address, password)));
        std::printf("added %s\n", a.address.c_str());
      } else if (user->got_subcommand("list")) {
        std::optional<std::string> filter;
        if (!user_domain.empty()) filter = user_domain;
        for (const auto& a : or_die(run_sync(store->list_accounts(filter)))) std::printf("%s\n", a.address.c_str());
      } else if (user->got_subcommand("del")) {
        or_die(run_sync(admin::delete_user(*store, address)));
        std::printf("deleted %s\n", address.c_str());
      } else {
        std::string password = read_password();
        or_die(run_sync(admin::set_password(*store, address, password)));
        std::printf("password changed for %s\n", address.c_str());
      }
    } else if (share->parsed()) {
      if (share->got_subcommand("add")) {
        or_die(run_sync(admin::add_share(*store, share_owner, share_collection, share_sharee, share_access)));
        std::printf("shared %s/%s with %s (%s)\n", share_owner.c_str(), share_collection.c_str(),
                    share_sharee.c_str(), share_access.c_str());
      } else if (share->got_subcommand("del")) {
        or_die(run_sync(admin::remove_share(*store, share_owner, share_collection, share_sharee)));
        std::printf("stopped sharing %s/%s with %s\n", share_owner.c_str(), share_collection.c_str(),
                    share_sharee.c_str());
      } else {
        std::optional<std::string> filter;
        if (!share_address.empty()) filter = share_address;
        std::printf("%s", admin::format_shares(or_die(run_sync(admin::list_shares(*store, filter)))).c_str());
      }
    } else if (alias->parsed()) {
      if (alias->got_subcommand("add")) {
        or_die(run_sync(admin::add_alias(*store, alias_source, alias_targets)));
        std::printf("added alias %s\n", alias_source.c_str());
      } else if (alias->got_subcommand("list")) {
        for (const auto& a : or_die(run_sync(store->list_aliases(std::nullopt)))) {
          std::string targets;
          for (const auto& t : a.targets) targets += (targets.empty() ? "" : ", ") + t;
          std::printf("%s -> %s\n", a.source.c_str(), targets.c_str());
        }
      } else {
        or_die(run_sync(admin::delete_alias(*store, alias_source)));
        std::printf("deleted alias %s\n", alias_source.c_str());
      }
    } else if (queue->parsed()) {
      store::QueueStore& q = store->queue();
      const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
      if (queue->got_subcommand("list")) {
        std::printf("%s", outbound::format_queue_list(or_die(run_sync(q.list())), now).c_str());
      }
      for (int64_t raw_id : queue_ids) {
        store::QueueEntryId id{raw_id};
        if (queue->got_subcommand("show")) {
          std::printf("%s", outbound::format_queue_entry(or_die(run_sync(q.get(id))), now).c_str());
        } else if (queue->got_subcommand("retry")) {
          or_die(run_sync(q.retry_now(id)));
          std::printf("entry %lld: due now (a running node picks it up within a second)\n", (long long)raw_id);
        } else if (queue->got_subcommand("hold")) {
          or_die(run_sync(q.hold(id, true)));
          std::printf("entry %lld: held\n", (long long)raw_id);
        } else if (queue->got_subcommand("release")) {
          or_die(run_sync(q.hold(id, false)));
          or_die(run_sync(q.retry_now(id)));
          std::printf("entry %lld: released, due now\n", (long long)raw_id);
        } else if (queue->got_subcommand("delete")) {
          or_die(run_sync(q.remove(id)));
          std::printf("entry %lld: deleted (no bounce sent)\n", (long long)raw_id);
        }
      }
    } else if (mailbox->parsed()) {
      auto boxes = or_die(run_sync(admin::list_mailboxes(*store, address)));
      std::printf("%-24s %9s %9s %12s  %s\n", "NAME", "MESSAGES", "UNSEEN", "BYTES", "SPECIAL-USE");
      for (const auto& m : boxes) {
        std::printf("%-24s %9u %9u %12llu  %s\n", m.name.c_str(), m.counts.messages, m.counts.unseen,
                    static_cast<unsigned long long>(m.counts.size_bytes),
                    std::string(store::to_string(m.special_use)).c_str());
      }
    }
  } catch (const std::exception& e) {
    die(e.what());
  }
  return 0;
}
