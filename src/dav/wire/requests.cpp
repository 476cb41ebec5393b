#include "dav/wire/requests.hpp"

#include <libxml/tree.h>

#include <charconv>
#include <cstdio>

namespace taube::dav::wire {
namespace {

using std::chrono::days;
using std::chrono::seconds;

std::string_view sv(const xmlChar* s) {
  return s == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(s));
}

bool is(const xmlNode* n, std::string_view ns, std::string_view local) {
  return n != nullptr && n->type == XML_ELEMENT_NODE && n->ns != nullptr &&
         sv(n->ns->href) == ns && sv(n->name) == local;
}

Name name_of(const xmlNode* n) {
  return Name{n->ns != nullptr ? std::string(sv(n->ns->href)) : std::string(),
              std::string(sv(n->name))};
}

template <class F>
void for_elements(const xmlNode* parent, F&& f) {
  for (xmlNode* c = parent->children; c != nullptr; c = c->next)
    if (c->type == XML_ELEMENT_NODE) f(c);
}

const xmlNode* first_child(const xmlNode* parent, std::string_view ns, std::string_view local) {
  for (xmlNode* c = parent->children; c != nullptr; c = c->next)
    if (is(c, ns, local)) return c;
  return nullptr;
}

std::string content(const xmlNode* n) {
  xmlChar* s = xmlNodeGetContent(n);
  std::string out(sv(s));
  xmlFree(s);
  return out;
}

std::optional<std::string> attr(const xmlNode* n, const char* name) {
  xmlChar* s = xmlGetNoNsProp(n, reinterpret_cast<const xmlChar*>(name));
  if (s == nullptr) return std::nullopt;
  std::string out(sv(s));
  xmlFree(s);
  return out;
}

std::string trim(std::string s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && ws(s.back())) s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && ws(s[b])) ++b;
  return s.substr(b);
}

// The property element copied into a fresh document, where libxml2 redeclares every
// namespace it uses on the copy: the text stands alone.
std::string element_xml(const xmlNode* n) {
  xmlDocPtr doc = xmlNewDoc(reinterpret_cast<const xmlChar*>("1.0"));
  xmlNodePtr copy = xmlDocCopyNode(const_cast<xmlNode*>(n), doc, 1);
  std::string out;
  if (copy != nullptr) {
    xmlDocSetRootElement(doc, copy);
    xmlBufferPtr buf = xmlBufferCreate();
    xmlNodeDump(buf, doc, copy, 0, 0);
    out.assign(reinterpret_cast<const char*>(xmlBufferContent(buf)),
               static_cast<std::size_t>(xmlBufferLength(buf)));
    xmlBufferFree(buf);
  }
  xmlFreeDoc(doc);
  return out;
}

struct Fail {
  std::string reason;
};

Parsed<Doc> root_of(std::string_view body, const Limits& limits) { return parse_xml(body, limits); }

std::vector<Name> prop_names(const xmlNode* prop) {
  std::vector<Name> out;
  for_elements(prop, [&](xmlNode* c) { out.push_back(name_of(c)); });
  return out;
}

std::optional<TimeRange> time_range(const xmlNode* n, std::string& error, bool need_both) {
  TimeRange r;
  std::optional<std::string> s = attr(n, "start");
  std::optional<std::string> e = attr(n, "end");
  if (s) {
    r.start = parse_utc_time(*s);
    if (!r.start) error = "time-range start is not a UTC date-time like 20060104T000000Z";
  }
  if (e && error.empty()) {
    r.end = parse_utc_time(*e);
    if (!r.end) error = "time-range end is not a UTC date-time like 20060104T000000Z";
  }
  if (error.empty() && !s && !e) error = "time-range needs a start or an end";
  if (error.empty() && need_both && (!s || !e)) error = "this time-range needs start and end";
  if (error.empty() && r.start && r.end && *r.end <= *r.start)
    error = "time-range end is not after its start";
  if (!error.empty()) return std::nullopt;
  return r;
}

std::optional<TextMatch> text_match(const xmlNode* n, bool carddav, std::string& error) {
  TextMatch m;
  m.text = content(n);
  if (auto c = attr(n, "collation")) m.collation = *c;
  if (m.collation != "i;ascii-casemap" && m.collation != "i;octet" &&
      m.collation != "i;unicode-casemap") {
    error = "unsupported collation " + m.collation.substr(0, 64);
    return std::nullopt;
  }
  if (auto neg = attr(n, "negate-condition")) {
    if (*neg == "yes") {
      m.negate = true;
    } else if (*neg != "no") {
      error = "negate-condition must be yes or no";
      return std::nullopt;
    }
  }
  if (auto t = attr(n, "match-type")) {
    if (!carddav) {
      error = "match-type is a CardDAV attribute";
      return std::nullopt;
    }
    if (*t == "equals") m.match_type = TextMatch::Type::kEquals;
    else if (*t == "contains") m.match_type = TextMatch::Type::kContains;
    else if (*t == "starts-with") m.match_type = TextMatch::Type::kStartsWith;
    else if (*t == "ends-with") m.match_type = TextMatch::Type::kEndsWith;
    else {
      error = "unknown match-type " + t->substr(0, 32);
      return std::nullopt;
    }
  }
  return m;
}

std::optional<std::string> required_name(const xmlNode* n, std::string& error) {
  std::optional<std::string> name = attr(n, "name");
  if (!name || name->empty()) error = std::string(sv(n->name)) + " needs a name attribute";
  return name;
}

bool test_attr(const xmlNode* n, bool& all_of, std::string& error) {
  if (auto t = attr(n, "test")) {
    if (*t == "allof") all_of = true;
    else if (*t == "anyof") all_of = false;
    else {
      error = "test must be anyof or allof";
      return false;
    }
  }
  return true;
}

std::optional<ParamFilter> param_filter(const xmlNode* n, std::string_view ns, bool carddav,
                                        std::string& error) {
  ParamFilter f;
  auto name = required_name(n, error);
  if (!name) return std::nullopt;
  f.name = *name;
  bool ok = true;
  for_elements(n, [&](xmlNode* c) {
    if (!ok) return;
    if (is(c, ns, "is-not-defined")) {
      f.is_not_defined = true;
    } else if (is(c, ns, "text-match")) {
      f.text_match = text_match(c, carddav, error);
      ok = f.text_match.has_value();
    }
  });
  if (!ok) return std::nullopt;
  return f;
}

std::optional<PropFilter> prop_filter(const xmlNode* n, std::string_view ns, bool carddav,
                                      std::string& error) {
  PropFilter f;
  auto name = required_name(n, error);
  if (!name) return std::nullopt;
  f.name = *name;
  if (!test_attr(n, f.all_of, error)) return std::nullopt;
  bool ok = true;
  for_elements(n, [&](xmlNode* c) {
    if (!ok) return;
    if (is(c, ns, "is-not-defined")) {
      f.is_not_defined = true;
    } else if (!carddav && is(c, ns, "time-range")) {
      f.time_range = time_range(c, error, false);
      ok = f.time_range.has_value();
    } else if (is(c, ns, "text-match")) {
      auto m = text_match(c, carddav, error);
      ok = m.has_value();
      if (ok) f.text_matches.push_back(std::move(*m));
      if (ok && !carddav && f.text_matches.size() > 1) {
        error = "prop-filter has more than one text-match";
        ok = false;
      }
    } else if (is(c, ns, "param-filter")) {
      auto p = param_filter(c, ns, carddav, error);
      ok = p.has_value();
      if (ok) f.param_filters.push_back(std::move(*p));
    }
  });
  if (!ok) return std::nullopt;
  return f;
}

std::optional<CompFilter> comp_filter(const xmlNode* n, std::string& error) {
  CompFilter f;
  auto name = required_name(n, error);
  if (!name) return std::nullopt;
  f.name = *name;
  bool ok = true;
  for_elements(n, [&](xmlNode* c) {
    if (!ok) return;
    if (is(c, ns::kCalDav, "is-not-defined")) {
      f.is_not_defined = true;
    } else if (is(c, ns::kCalDav, "time-range")) {
      f.time_range = time_range(c, error, false);
      ok = f.time_range.has_value();
    } else if (is(c, ns::kCalDav, "prop-filter")) {
      auto p = prop_filter(c, ns::kCalDav, false, error);
      ok = p.has_value();
      if (ok) f.prop_filters.push_back(std::move(*p));
    } else if (is(c, ns::kCalDav, "comp-filter")) {
      auto s = comp_filter(c, error);
      ok = s.has_value();
      if (ok) f.comp_filters.push_back(std::move(*s));
    }
  });
  if (!ok) return std::nullopt;
  return f;
}

std::optional<CalendarDataRequest> calendar_data(const xmlNode* n, std::string& error) {
  CalendarDataRequest d;
  if (auto t = attr(n, "content-type")) d.content_type = *t;
  if (auto v = attr(n, "version")) d.version = *v;
  bool ok = true;
  for_elements(n, [&](xmlNode* c) {
    if (!ok) return;
    std::optional<TimeRange>* target = nullptr;
    if (is(c, ns::kCalDav, "expand")) target = &d.expand;
    else if (is(c, ns::kCalDav, "limit-recurrence-set")) target = &d.limit_recurrence_set;
    else if (is(c, ns::kCalDav, "limit-freebusy-set")) target = &d.limit_freebusy_set;
    if (target == nullptr) return;  // comp/prop selection: not used by the server yet
    *target = time_range(c, error, true);
    ok = target->has_value();
  });
  if (!ok) return std::nullopt;
  return d;
}

// DAV:allprop / DAV:propname / DAV:prop inside a REPORT or PROPFIND root.
std::optional<ReportProps> report_props(const xmlNode* root, std::string& error) {
  ReportProps out;
  out.props.kind = Propfind::Kind::kAllProp;
  bool ok = true;
  for_elements(root, [&](xmlNode* c) {
    if (!ok) return;
    if (is(c, ns::kDav, "propname")) {
      out.props.kind = Propfind::Kind::kPropName;
    } else if (is(c, ns::kDav, "allprop")) {
      out.props.kind = Propfind::Kind::kAllProp;
    } else if (is(c, ns::kDav, "include")) {
      out.props.include = prop_names(c);
    } else if (is(c, ns::kDav, "prop")) {
      out.props.kind = Propfind::Kind::kProp;
      out.props.props = prop_names(c);
      for_elements(c, [&](xmlNode* p) {
        if (!ok) return;
        if (is(p, ns::kCalDav, "calendar-data")) {
          out.calendar_data = calendar_data(p, error);
          ok = out.calendar_data.has_value();
        } else if (is(p, ns::kCardDav, "address-data")) {
          out.address_data = true;
        }
      });
    }
  });
  if (!ok) return std::nullopt;
  return out;
}

std::vector<std::string> hrefs(const xmlNode* root) {
  std::vector<std::string> out;
  for_elements(root, [&](xmlNode* c) {
    if (is(c, ns::kDav, "href")) out.push_back(trim(content(c)));
  });
  return out;
}

std::optional<std::uint32_t> parse_limit(const xmlNode* limit, std::string& error) {
  const xmlNode* nr = first_child(limit, ns::kDav, "nresults");
  if (nr == nullptr) nr = first_child(limit, ns::kCardDav, "nresults");
  std::string t = nr != nullptr ? trim(content(nr)) : std::string();
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size()) {
    error = "limit needs nresults with a number";
    return std::nullopt;
  }
  return v;
}

std::optional<PropertyValue> property_value(const xmlNode* n) {
  return PropertyValue{name_of(n), element_xml(n), content(n)};
}

// DAV:set / DAV:remove children: DAV:prop with one or more properties.
bool collect_props(const xmlNode* instruction, bool remove, std::vector<PropertyUpdate::Op>& ops) {
  bool any = false;
  for_elements(instruction, [&](xmlNode* c) {
    if (!is(c, ns::kDav, "prop")) return;
    for_elements(c, [&](xmlNode* p) {
      PropertyUpdate::Op op;
      op.remove = remove;
      op.property = remove ? PropertyValue{name_of(p), {}, {}} : *property_value(p);
      ops.push_back(std::move(op));
      any = true;
    });
  });
  return any;
}

template <class T>
Parsed<T> fail(std::string reason) {
  return Invalid{std::move(reason)};
}

}  // namespace

std::optional<Time> parse_utc_time(std::string_view t) {
  if (t.size() != 16 || t[8] != 'T' || t[15] != 'Z') return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    out = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      out = out * 10 + (t[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!num(0, 4, y) || !num(4, 2, mo) || !num(6, 2, d) || !num(9, 2, h) || !num(11, 2, mi) ||
      !num(13, 2, s))
    return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(unsigned(mo)),
                                  std::chrono::day(unsigned(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  return Time(std::chrono::sys_days(ymd).time_since_epoch() + std::chrono::hours(h) +
              std::chrono::minutes(mi) + seconds(std::min(s, 59)));
}

std::string format_utc_time(Time t) {
  auto day = std::chrono::floor<days>(t);
  std::chrono::year_month_day ymd(day);
  std::chrono::hh_mm_ss hms(t - day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                int(hms.minutes().count()), int(hms.seconds().count()));
  return buf;
}

Parsed<Propfind> parse_propfind(std::string_view body, const Limits& limits) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return Propfind{};
  auto doc = root_of(body, limits);
  if (auto* bad = std::get_if<Invalid>(&doc)) return *bad;
  const xmlNode* root = xmlDocGetRootElement(std::get<Doc>(doc).get());
  if (!is(root, ns::kDav, "propfind")) return fail<Propfind>("root element is not DAV:propfind");
  int kinds = 0;
  for_elements(root, [&](xmlNode* c) {
    kinds += is(c, ns::kDav, "prop") || is(c, ns::kDav, "allprop") || is(c, ns::kDav, "propname");
  });
  if (kinds != 1) return fail<Propfind>("propfind needs exactly one of prop, allprop, propname");
  std::string error;
  auto p = report_props(root, error);
  if (!p) return fail<Propfind>(error);
  if (!p->props.include.empty() && p->props.kind != Propfind::Kind::kAllProp)
    return fail<Propfind>("include is only allowed with allprop");
  return p->props;
}

Parsed<PropertyUpdate> parse_proppatch(std::string_view body, const Limits& limits) {
  auto doc = root_of(body, limits);
  if (auto* bad = std::get_if<Invalid>(&doc)) return *bad;
  const xmlNode* root = xmlDocGetRootElement(std::get<Doc>(doc).get());
  if (!is(root, ns::kDav, "propertyupdate"))
    return fail<PropertyUpdate>("root element is not DAV:propertyupdate");
  PropertyUpdate out;
  bool ok = true;
  for_elements(root, [&](xmlNode* c) {
    if (is(c, ns::kDav, "set")) ok = collect_props(c, false, out.ops) && ok;
    else if (is(c, ns::kDav, "remove")) ok = collect_props(c, true, out.ops) && ok;
  });
  if (!ok) return fail<PropertyUpdate>("set and remove need a prop with at least one property");
  if (out.ops.empty()) return fail<PropertyUpdate>("propertyupdate has no set or remove");
  return out;
}

Parsed<MkcolBody> parse_mkcol(std::string_view body, const Limits& limits) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return MkcolBody{};
  auto doc = root_of(body, limits);
  if (auto* bad = std::get_if<Invalid>(&doc)) return *bad;
  const xmlNode* root = xmlDocGetRootElement(std::get<Doc>(doc).get());
  if (!is(root, ns::kDav, "mkcol") && !is(root, ns::kCalDav, "mkcalendar"))
    return fail<MkcolBody>("root element is not DAV:mkcol or CALDAV:mkcalendar");
  std::vector<PropertyUpdate::Op> ops;
  bool ok = true;
  for_elements(root, [&](xmlNode* c) {
    if (is(c, ns::kDav, "set")) ok = collect_props(c, false, ops) && ok;
  });
  if (!ok) return fail<MkcolBody>("set needs a prop with at least one property");
  MkcolBody out;
  for (auto& op : ops) out.set.push_back(std::move(op.property));
  return out;
}

Parsed<Report> parse_report(std::string_view body, const Limits& limits) {
  auto doc = root_of(body, limits);
  if (auto* bad = std::get_if<Invalid>(&doc)) return *bad;
  const xmlNode* root = xmlDocGetRootElement(std::get<Doc>(doc).get());
  std::string error;
  if (is(root, ns::kCalDav, "calendar-query")) {
    CalendarQuery q;
    auto props = report_props(root, error);
    if (!props) return fail<Report>(error);
    q.props = std::move(*props);
    const xmlNode* filter = first_child(root, ns::kCalDav, "filter");
    if (filter == nullptr) return fail<Report>("calendar-query needs a filter");
    const xmlNode* top = first_child(filter, ns::kCalDav, "comp-filter");
    if (top == nullptr) return fail<Report>("filter needs one comp-filter");
    auto f = comp_filter(top, error);
    if (!f) return fail<Report>(error);
    if (f->name != "VCALENDAR") return fail<Report>("the top comp-filter must name VCALENDAR");
    q.filter = std::move(*f);
    if (const xmlNode* tz = first_child(root, ns::kCalDav, "timezone")) q.timezone = content(tz);
    return q;
  }
  if (is(root, ns::kCalDav, "calendar-multiget") || is(root, ns::kCardDav, "addressbook-multiget")) {
    auto props = report_props(root, error);
    if (!props) return fail<Report>(error);
    std::vector<std::string> h = hrefs(root);
    if (h.empty()) return fail<Report>("multiget needs at least one href");
    if (is(root, ns::kCalDav, "calendar-multiget"))
      return CalendarMultiget{std::move(*props), std::move(h)};
    return AddressbookMultiget{std::move(*props), std::move(h)};
  }
  if (is(root, ns::kCardDav, "addressbook-query")) {
    AddressbookQuery q;
    auto props = report_props(root, error);
    if (!props) return fail<Report>(error);
    q.props = std::move(*props);
    const xmlNode* filter = first_child(root, ns::kCardDav, "filter");
    if (filter == nullptr) return fail<Report>("addressbook-query needs a filter");
    if (!test_attr(filter, q.all_of, error)) return fail<Report>(error);
    bool ok = true;
    for_elements(filter, [&](xmlNode* c) {
      if (!ok || !is(c, ns::kCardDav, "prop-filter")) return;
      auto p = prop_filter(c, ns::kCardDav, true, error);
      ok = p.has_value();
      if (ok) q.filters.push_back(std::move(*p));
    });
    if (!ok) return fail<Report>(error);
    if (const xmlNode* l = first_child(root, ns::kCardDav, "limit")) {
      q.limit = parse_limit(l, error);
      if (!q.limit) return fail<Report>(error);
    }
    return q;
  }
  if (is(root, ns::kCalDav, "free-busy-query")) {
    const xmlNode* tr = first_child(root, ns::kCalDav, "time-range");
    if (tr == nullptr) return fail<Report>("free-busy-query needs a time-range");
    auto r = time_range(tr, error, false);
    if (!r) return fail<Report>(error);
    return FreeBusyQuery{*r};
  }
  if (is(root, ns::kDav, "sync-collection")) {
    SyncCollection s;
    const xmlNode* token = first_child(root, ns::kDav, "sync-token");
    if (token == nullptr) return fail<Report>("sync-collection needs a sync-token (maybe empty)");
    s.sync_token = trim(content(token));
    const xmlNode* level = first_child(root, ns::kDav, "sync-level");
    if (level == nullptr) return fail<Report>("sync-collection needs a sync-level");
    std::string lv = trim(content(level));
    if (lv == "infinite") s.infinite = true;
    else if (lv != "1") return fail<Report>("sync-level must be 1 or infinite");
    if (const xmlNode* l = first_child(root, ns::kDav, "limit")) {
      s.limit = parse_limit(l, error);
      if (!s.limit) return fail<Report>(error);
    }
    const xmlNode* prop = first_child(root, ns::kDav, "prop");
    if (prop == nullptr) return fail<Report>("sync-collection needs a prop");
    s.props.kind = Propfind::Kind::kProp;
    s.props.props = prop_names(prop);
    return s;
  }
  return fail<Report>("unsupported REPORT " + name_of(root).ns.substr(0, 64) + " " +
                      name_of(root).local.substr(0, 64));
}

}  // namespace taube::dav::wire
