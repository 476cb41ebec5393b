#include "metrics/registry.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace taube::metrics {
namespace {

TEST(MetricsRegistry, RendersCounterWithHelpTypeAndSortedLabels) {
  Registry r;
  r.counter("requests_total", "Requests.", {{"code", "200"}, {"a", "x"}}).inc(3);
  r.counter("requests_total", "Requests.", {{"a", "x"}, {"code", "404"}}).inc();
  EXPECT_EQ(r.render(),
            "# HELP requests_total Requests.\n"
            "# TYPE requests_total counter\n"
            "requests_total{a=\"x\",code=\"200\"} 3\n"
            "requests_total{a=\"x\",code=\"404\"} 1\n");
}

TEST(MetricsRegistry, SameSeriesIsSameObject) {
  Registry r;
  Counter& a = r.counter("c", "h", {{"x", "1"}, {"y", "2"}});
  Counter& b = r.counter("c", "h", {{"y", "2"}, {"x", "1"}});
  EXPECT_EQ(&a, &b);
}

TEST(MetricsRegistry, RendersGaugeWithoutLabelsAndNegativeValues) {
  Registry r;
  r.gauge("taube_degraded", "1 when degraded.").set(1);
  r.gauge("temp", "T.").add(-5);
  EXPECT_EQ(r.render(),
            "# HELP taube_degraded 1 when degraded.\n"
            "# TYPE taube_degraded gauge\n"
            "taube_degraded 1\n"
            "# HELP temp T.\n"
            "# TYPE temp gauge\n"
            "temp -5\n");
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
  Registry r;
  r.gauge("g", "line1\nback\\slash \"quoted\"", {{"v", "a\\b\"c\nd"}}).set(2);
  EXPECT_EQ(r.render(),
            "# HELP g line1\\nback\\\\slash \"quoted\"\n"
            "# TYPE g gauge\n"
            "g{v=\"a\\\\b\\\"c\\nd\"} 2\n");
}

TEST(MetricsRegistry, RendersHistogramCumulativeBucketsSumAndCount) {
  Registry r;
  Histogram& h = r.histogram("lat_seconds", "Latency.", {0.01, 0.1, 1}, {{"op", "q"}});
  h.observe(0.005);
  h.observe(0.01);  // le is inclusive
  h.observe(0.5);
  h.observe(7);
  EXPECT_EQ(r.render(),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{op=\"q\",le=\"0.01\"} 2\n"
            "lat_seconds_bucket{op=\"q\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{op=\"q\",le=\"1\"} 3\n"
            "lat_seconds_bucket{op=\"q\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{op=\"q\"} 7.515\n"
            "lat_seconds_count{op=\"q\"} 4\n");
}

TEST(MetricsRegistry, RendersUnlabelledHistogram) {
  Registry r;
  r.histogram("h", "H.", {1}).observe(0.25);
  EXPECT_EQ(r.render(),
            "# HELP h H.\n# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 0.25\nh_count 1\n");
}

TEST(MetricsRegistry, RejectsSameNameWithAnotherType) {
  Registry r;
  r.counter("x", "X.");
  EXPECT_THROW(r.gauge("x", "X."), std::logic_error);
  r.histogram("h", "H.", {1, 2});
  EXPECT_THROW(r.histogram("h", "H.", {1, 3}), std::logic_error);
}

TEST(MetricsRegistry, EmptyRegistryRendersNothing) {
  Registry r;
  EXPECT_EQ(r.render(), "");
}

TEST(MetricsRegistry, ConcurrentUpdatesAreNotLost) {
  Registry r;
  Counter& c = r.counter("c", "C.");
  Histogram& h = r.histogram("h", "H.", {0.5});
  Gauge& g = r.gauge("g", "G.");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        h.observe(1.0);
        g.add(1);
        g.sub(1);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000u);
  EXPECT_EQ(h.count(), 40000u);
  EXPECT_EQ(h.bucket(1), 40000u);
  EXPECT_DOUBLE_EQ(h.sum(), 40000.0);
  EXPECT_EQ(g.value(), 0);
}

TEST(MetricsFormat, FormatsValuesAsPrometheusDoes) {
  EXPECT_EQ(format_value(1), "1");
  EXPECT_EQ(format_value(0.005), "0.005");
  EXPECT_EQ(format_value(2.5), "2.5");
  EXPECT_EQ(format_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(format_value(0.0 / 0.0), "NaN");
}

}  // namespace
}  // namespace taube::metrics
