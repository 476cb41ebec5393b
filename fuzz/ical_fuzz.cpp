// libFuzzer target for src/ical: iCalendar ingestion (validation), recurrence expansion with
// small caps over a fixed range, overlap tests, and the vCard parser, all on the same input.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ical/calendar.hpp"
#include "ical/expand.hpp"
#include "ical/vcard.hpp"

using namespace taube::ical;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.max_object_bytes = 64 * 1024;
  limits.max_components = 200;
  limits.max_properties = 2000;
  limits.max_instances = 200;
  limits.max_iterations = 20000;
  limits.max_expand_time = std::chrono::milliseconds(100);
  auto parsed = Calendar::parse(text, limits);
  if (auto* cal = std::get_if<Calendar>(&parsed)) {
    using namespace std::chrono;
    Time start(sys_days(2000y / 1 / 1).time_since_epoch());
    Time end(sys_days(2040y / 1 / 1).time_since_epoch());
    Expansion e = expand(*cal, start, end, limits);
    if (e.instances.size() > limits.max_instances) __builtin_trap();
    for (std::size_t i = 1; i < e.instances.size(); ++i)
      if (e.instances[i].start < e.instances[i - 1].start) __builtin_trap();
    for (const Instance& in : e.instances)
      if (in.end < in.start) __builtin_trap();
    (void)overlaps(*cal, Time(sys_days(2026y / 1 / 1).time_since_epoch()),
                   Time(sys_days(2026y / 2 / 1).time_since_epoch()), limits);
    (void)cal->to_ical();
  }
  VcardLimits vl;
  vl.max_object_bytes = 64 * 1024;
  vl.max_properties = 500;
  auto card = parse_vcard(text, vl);
  if (auto* v = std::get_if<Vcard>(&card)) {
    if (v->version != "3.0" && v->version != "4.0") __builtin_trap();
  }
  return 0;
}
