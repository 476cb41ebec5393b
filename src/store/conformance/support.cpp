#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <exception>
#include <mutex>

#include "store/conformance/conformance.hpp"

namespace taube::store::conformance {

namespace asio = boost::asio;

std::string backend_name(const testing::TestParamInfo<Backend>& info) { return info.param.name; }

void run_coroutine(Task body) {
  asio::io_context ctx;
  std::exception_ptr error;
  bool done = false;
  asio::co_spawn(ctx, body, [&](std::exception_ptr e) {
    error = e;
    done = true;
  });
  ctx.run();
  if (error) std::rethrow_exception(error);
  if (!done) throw std::runtime_error("coroutine did not finish");
}

struct Parallel::Impl {
  asio::thread_pool pool;
  std::mutex mu;
  std::exception_ptr error;
  bool joined = false;
  explicit Impl(int threads) : pool(static_cast<std::size_t>(threads)) {}
};

Parallel::Parallel(int threads, std::vector<Task> tasks) : impl_(std::make_unique<Impl>(threads)) {
  for (auto& task : tasks) {
    asio::co_spawn(impl_->pool, std::move(task), [impl = impl_.get()](std::exception_ptr e) {
      if (!e) return;
      std::lock_guard lock(impl->mu);
      if (!impl->error) impl->error = e;
    });
  }
}

Parallel::~Parallel() {
  if (!impl_->joined) impl_->pool.join();
}

void Parallel::join() {
  impl_->pool.join();
  impl_->joined = true;
  if (impl_->error) std::rethrow_exception(impl_->error);
}

TestMessage make_message(const std::string& subject, const std::string& body,
                         const std::string& from) {
  static std::atomic<int> counter{0};
  std::string id = "<" + std::to_string(++counter) + "." + subject.substr(0, 8) + "@test>";
  std::string headers = "From: " + from + "\r\nTo: bob@example.org\r\nSubject: " + subject +
                        "\r\nMessage-ID: " + id + "\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\n";
  TestMessage m;
  m.raw = headers + "\r\n" + body + "\r\n";
  m.meta.envelope = "(\"Thu, 26 Nov 2026 10:00:00 +0000\" \"" + subject +
                    "\" NIL NIL NIL NIL NIL NIL NIL \"" + id + "\")";
  m.meta.body_structure =
      "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" " + std::to_string(body.size() + 2) + " 1)";
  m.meta.body = m.meta.body_structure;
  m.meta.subject = subject;
  m.meta.from = from;
  m.meta.to = "bob@example.org";
  m.meta.sent_date = UnixTime{std::chrono::seconds{1795687200}};
  m.meta.message_id = id;
  m.meta.headers = headers;
  m.meta.preview = body.substr(0, 64);
  m.meta.search_text = body;
  return m;
}

Delivery make_delivery(const TestMessage& m, std::vector<DeliveryTarget> targets) {
  return Delivery{m.raw, m.meta, UnixTime{std::chrono::seconds{1795690000}}, std::move(targets)};
}

void StoreConformance::SetUp() { reset(HarnessOptions{}); }
void StoreConformance::TearDown() { harness_.reset(); }

void StoreConformance::reset(HarnessOptions options) {
  harness_.reset();
  harness_ = GetParam().make(options);
  ASSERT_TRUE(harness_);
}

Account StoreConformance::make_account(const std::string& address) {
  auto parts = split_address(address);
  EXPECT_TRUE(parts) << address;
  if (!parts) return {};
  auto local = sync(store().is_local_domain(parts->domain));
  EXPECT_TRUE(local);
  if (local && !*local) {
    EXPECT_TRUE(sync(store().add_domain(parts->domain)));
  }
  auto account = sync(store().create_account(address, "{PLAIN}secret"));
  EXPECT_TRUE(account) << address << ": " << (account ? "" : account.error().detail);
  return account ? *account : Account{};
}

MailboxId StoreConformance::mailbox_id(AccountId account, const std::string& name) {
  auto mb = sync(store().account(account)->get_mailbox(name));
  EXPECT_TRUE(mb) << name;
  return mb ? mb->id : MailboxId{};
}

Delivered StoreConformance::append(AccountId account, MailboxId mailbox, const std::string& subject,
                                   const std::string& body, Flags flags) {
  auto m = make_message(subject, body);
  auto r = sync(store().account(account)->append(mailbox, m.raw, m.meta, std::move(flags),
                                                 UnixTime{std::chrono::seconds{1795690000}}));
  EXPECT_TRUE(r) << (r ? "" : r.error().detail);
  return r ? *r : Delivered{};
}

}  // namespace taube::store::conformance
