// Typed WebDAV, CalDAV and CardDAV request bodies (RFC 4918, 4791, 5689, 6352, 6578),
// parsed from untrusted bytes by namespace URI + local name. Used by src/dav/*. Every parse
// returns the value or an Invalid (400/413); results own their data. Pure, no shared state.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dav/wire/xml.hpp"

namespace taube::dav::wire {

template <class T>
using Parsed = std::variant<T, Invalid>;

using Time = std::chrono::sys_seconds;

// RFC 4791 9.9 / 9.6.5: start and end in the UTC form "20060104T000000Z"; either may be
// absent (open-ended), not both.
struct TimeRange {
  std::optional<Time> start;
  std::optional<Time> end;
};
std::optional<Time> parse_utc_time(std::string_view text);  // "YYYYMMDDTHHMMSSZ"
std::string format_utc_time(Time t);

// RFC 4918 9.1 / 14.20: allprop (with optional include), propname, or prop.
struct Propfind {
  enum class Kind { kAllProp, kPropName, kProp };
  Kind kind = Kind::kAllProp;
  std::vector<Name> props;    // kProp
  std::vector<Name> include;  // kAllProp: DAV:include
};

// One property of a PROPPATCH, MKCOL or MKCALENDAR body.
struct PropertyValue {
  Name name;
  std::string element_xml;  // the whole property element, self-contained (namespaces declared)
  std::string text;         // its text content (displayname, calendar-description...)
};

// RFC 4918 14.19: set/remove instructions in document order.
struct PropertyUpdate {
  struct Op {
    bool remove = false;
    PropertyValue property;  // for remove only `name` is meaningful
  };
  std::vector<Op> ops;
};

// RFC 5689 (DAV:mkcol) and RFC 4791 5.3.1 (CALDAV:mkcalendar): properties to set.
struct MkcolBody {
  std::vector<PropertyValue> set;
};

// RFC 4791 9.6: CALDAV:calendar-data in a REPORT's prop.
struct CalendarDataRequest {
  std::optional<TimeRange> expand;
  std::optional<TimeRange> limit_recurrence_set;
  std::optional<TimeRange> limit_freebusy_set;
  std::string content_type = "text/calendar";
  std::string version = "2.0";
};

// Text match shared by CalDAV (RFC 4791 9.7.5) and CardDAV (RFC 6352 10.5.4).
struct TextMatch {
  enum class Type { kEquals, kContains, kStartsWith, kEndsWith };
  std::string text;
  std::string collation = "i;ascii-casemap";
  bool negate = false;
  Type match_type = Type::kContains;  // CardDAV only; CalDAV is always contains
};

struct ParamFilter {
  std::string name;
  bool is_not_defined = false;
  std::optional<TextMatch> text_match;
};

struct PropFilter {
  std::string name;
  bool is_not_defined = false;
  bool all_of = false;  // CardDAV test="allof"
  std::optional<TimeRange> time_range;
  std::vector<TextMatch> text_matches;  // CalDAV: at most one
  std::vector<ParamFilter> param_filters;
};

struct CompFilter {
  std::string name;  // "VCALENDAR", "VEVENT", ...
  bool is_not_defined = false;
  std::optional<TimeRange> time_range;
  std::vector<PropFilter> prop_filters;
  std::vector<CompFilter> comp_filters;
};

// The properties a REPORT asks for, plus calendar-data/address-data details.
struct ReportProps {
  Propfind props;
  std::optional<CalendarDataRequest> calendar_data;
  bool address_data = false;
};

struct CalendarQuery {  // RFC 4791 7.8
  ReportProps props;
  CompFilter filter;
  std::optional<std::string> timezone;
};
struct CalendarMultiget {  // RFC 4791 7.9
  ReportProps props;
  std::vector<std::string> hrefs;
};
struct AddressbookQuery {  // RFC 6352 8.6
  ReportProps props;
  bool all_of = false;  // filter test="allof"
  std::vector<PropFilter> filters;
  std::optional<std::uint32_t> limit;
};
struct AddressbookMultiget {  // RFC 6352 8.7
  ReportProps props;
  std::vector<std::string> hrefs;
};
struct FreeBusyQuery {  // RFC 4791 7.10
  TimeRange range;
};
struct SyncCollection {  // RFC 6578 3.2
  std::string sync_token;  // empty: initial sync
  bool infinite = false;   // sync-level "infinite" rather than "1"
  std::optional<std::uint32_t> limit;
  Propfind props;
};

using Report = std::variant<CalendarQuery, CalendarMultiget, AddressbookQuery,
                            AddressbookMultiget, FreeBusyQuery, SyncCollection>;

// An empty body means allprop (RFC 4918 9.1).
Parsed<Propfind> parse_propfind(std::string_view body, const Limits& limits);
Parsed<PropertyUpdate> parse_proppatch(std::string_view body, const Limits& limits);
// Accepts DAV:mkcol (RFC 5689) and CALDAV:mkcalendar (RFC 4791 5.3.1); an empty body gives
// no properties.
Parsed<MkcolBody> parse_mkcol(std::string_view body, const Limits& limits);
// Dispatches on the root element; an unknown report is Invalid (the caller answers 403
// DAV:supported-report or 400 as it sees fit).
Parsed<Report> parse_report(std::string_view body, const Limits& limits);

}  // namespace taube::dav::wire
