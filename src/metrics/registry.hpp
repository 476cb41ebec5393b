// Counters, gauges and histograms with labels, rendered in the Prometheus text
// exposition format 0.0.4 for GET /metrics. Used by every protocol session (through
// node_metrics.hpp) and by the HTTP server. Thread-safe: looking a series up takes
// the registry's mutex (do it once and keep the reference); updating a series is a
// relaxed atomic operation. Series live as long as their Registry.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taube::metrics {

// Label name/value pairs of one series; order does not matter (they are sorted).
using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  void sub(int64_t n) { value_.fetch_sub(n, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Observations counted into buckets with the given upper bounds (plus +Inf).
// A concurrent render may see an observation in `count` but not yet in `sum`.
class Histogram {
 public:
  // REQUIRES: bounds strictly increasing and finite.
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  // Non-cumulative count of bucket i; i == bounds().size() is the +Inf bucket.
  uint64_t bucket(std::size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_bits_{0};  // a double, updated with compare-exchange
};

class Registry {
 public:
  Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry();

  // The series `name{labels}`, created at zero on first use. Asking for an existing
  // name with another type (or other histogram bounds) is a bug: std::logic_error.
  // REQUIRES: name and label names match [a-zA-Z_:][a-zA-Z0-9_:]*; no label "le"
  // on a histogram. Label values and help may be any text (they are escaped).
  Counter& counter(std::string_view name, std::string_view help, Labels labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, Labels labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                       Labels labels = {});

  // All series, families by name and series by labels, in text format 0.0.4.
  std::string render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series;
  struct Family;
  Family& family(std::string_view name, std::string_view help, Type type);
  Series& series(Family& family, Labels labels);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
};

// The process-wide registry that the node's /metrics serves. Tests pass their own
// Registry wherever a component takes one.
Registry& default_registry();

// Text-format escaping (exposed for tests): label values escape \ " and newline,
// help text escapes \ and newline.
std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);
// A sample value as Prometheus writes it: "1", "0.25", "+Inf", "NaN".
std::string format_value(double value);

}  // namespace taube::metrics
