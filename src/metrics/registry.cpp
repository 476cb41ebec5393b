#include "metrics/registry.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <variant>

namespace taube::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value) {
  std::size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  uint64_t old_bits = sum_bits_.load(std::memory_order_relaxed);
  for (;;) {
    uint64_t new_bits = std::bit_cast<uint64_t>(std::bit_cast<double>(old_bits) + value);
    if (sum_bits_.compare_exchange_weak(old_bits, new_bits, std::memory_order_relaxed)) break;
  }
  count_.fetch_add(1, std::memory_order_relaxed);
}

double Histogram::sum() const {
  return std::bit_cast<double>(sum_bits_.load(std::memory_order_relaxed));
}

struct Registry::Series {
  Labels labels;
  std::variant<Counter, Gauge, Histogram> metric;
  template <class... A>
  Series(Labels l, A&&... a) : labels(std::move(l)), metric(std::forward<A>(a)...) {}
};

struct Registry::Family {
  std::string help;
  Type type;
  std::map<Labels, std::unique_ptr<Series>> series;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Family& Registry::family(std::string_view name, std::string_view help, Type type) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto f = std::make_unique<Family>();
    f->help = std::string(help);
    f->type = type;
    it = families_.emplace(std::string(name), std::move(f)).first;
  } else if (it->second->type != type) {
    throw std::logic_error("metric " + std::string(name) + " registered with another type");
  }
  return *it->second;
}

Counter& Registry::counter(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard lock(mu_);
  Family& f = family(name, help, Type::kCounter);
  std::sort(labels.begin(), labels.end());
  auto& slot = f.series[labels];
  if (!slot) slot = std::make_unique<Series>(labels, std::in_place_type<Counter>);
  return std::get<Counter>(slot->metric);
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard lock(mu_);
  Family& f = family(name, help, Type::kGauge);
  std::sort(labels.begin(), labels.end());
  auto& slot = f.series[labels];
  if (!slot) slot = std::make_unique<Series>(labels, std::in_place_type<Gauge>);
  return std::get<Gauge>(slot->metric);
}

Histogram& Registry::histogram(std::string_view name, std::string_view help,
                               std::vector<double> bounds, Labels labels) {
  std::lock_guard lock(mu_);
  Family& f = family(name, help, Type::kHistogram);
  std::sort(labels.begin(), labels.end());
  auto& slot = f.series[labels];
  if (!slot) {
    slot = std::make_unique<Series>(labels, std::in_place_type<Histogram>, std::move(bounds));
  } else if (std::get<Histogram>(slot->metric).bounds() != bounds) {
    throw std::logic_error("histogram " + std::string(name) + " registered with other bounds");
  }
  return std::get<Histogram>(slot->metric);
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, r.ptr);
}

namespace {

// `{a="x",b="y"}` or "" when there are no labels; `extra` (e.g. le) goes last.
std::string label_text(const Labels& labels, std::string_view extra_name = {},
                       std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k + "=\"" + escape_label_value(v) + "\"";
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += std::string(extra_name) + "=\"" + std::string(extra_value) + "\"";
  }
  return out + "}";
}

}  // namespace

std::string Registry::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    static constexpr std::string_view kTypeNames[] = {"counter", "gauge", "histogram"};
    out += "# HELP " + name + " " + escape_help(family->help) + "\n";
    out += "# TYPE " + name + " " + std::string(kTypeNames[int(family->type)]) + "\n";
    for (const auto& [labels, series] : family->series) {
      if (const auto* c = std::get_if<Counter>(&series->metric)) {
        out += name + label_text(labels) + " " + std::to_string(c->value()) + "\n";
      } else if (const auto* g = std::get_if<Gauge>(&series->metric)) {
        out += name + label_text(labels) + " " + std::to_string(g->value()) + "\n";
      } else {
        const auto& h = std::get<Histogram>(series->metric);
        uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
          cumulative += h.bucket(i);
          std::string le = i < h.bounds().size() ? format_value(h.bounds()[i]) : "+Inf";
          out += name + "_bucket" + label_text(labels, "le", le) + " " +
                 std::to_string(cumulative) + "\n";
        }
        out += name + "_sum" + label_text(labels) + " " + format_value(h.sum()) + "\n";
        // The +Inf bucket and _count must agree (a scraper checks it), so _count is
        // the cumulative total read above rather than a second racy read.
        out += name + "_count" + label_text(labels) + " " + std::to_string(cumulative) + "\n";
      }
    }
  }
  return out;
}

Registry& default_registry() {
  static Registry* registry =
      new Registry();  // never destroyed: sessions may outlive main's statics
  return *registry;
}

}  // namespace taube::metrics
