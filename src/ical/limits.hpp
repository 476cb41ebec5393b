// Limits for iCalendar and vCard ingestion and recurrence expansion, passed in by the
// caller (the CalDAV/CardDAV layer reads them from configuration). Plain values.
#pragma once
#include <chrono>
#include <cstddef>

namespace taube::ical {

struct Limits {
  std::size_t max_object_bytes = 1 << 20;  // a PUT body; RFC 4791 max-resource-size
  std::size_t max_components = 2000;       // all nested components, VTIMEZONE/VALARM included
  std::size_t max_properties = 20000;      // all properties of all components
  std::size_t max_instances = 10000;       // instances one expansion may return
  // Recurrence-iterator steps (also those before the range): stops an RRULE that starts
  // in 1970 with FREQ=SECONDLY from walking for minutes.
  std::size_t max_iterations = 1000000;
  std::chrono::milliseconds max_expand_time{250};
};

}  // namespace taube::ical
