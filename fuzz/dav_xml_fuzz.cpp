// libFuzzer target for src/dav/wire: feeds the input to every request-body parser with
// small limits, and renders what PROPPATCH accepted as a multistatus that must itself parse
// back (the writer's output is namespace-well-formed for any accepted input).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dav/wire/multistatus.hpp"
#include "dav/wire/requests.hpp"

using namespace taube::dav::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.max_body_bytes = 64 * 1024;
  limits.max_depth = 24;
  limits.max_elements = 2000;
  (void)parse_propfind(body, limits);
  (void)parse_mkcol(body, limits);
  (void)parse_report(body, limits);
  auto patch = parse_proppatch(body, limits);
  if (auto* u = std::get_if<PropertyUpdate>(&patch)) {
    Response r;
    r.hrefs = {std::string(body.substr(0, 64))};
    PropStat ok{200, {}};
    for (const auto& op : u->ops) {
      Property p;
      p.element.name = op.property.name;
      if (op.remove) {
        p.element.text = op.property.text;
      } else {
        p.raw_element = op.property.element_xml;
      }
      ok.props.push_back(std::move(p));
    }
    r.propstats.push_back(std::move(ok));
    std::string xml = write_multistatus({r}, std::string(body.substr(0, 16)));
    Limits big;
    big.max_body_bytes = 1 << 24;
    big.max_depth = 64;
    big.max_elements = 1 << 20;
    auto back = parse_xml(xml, big);
    if (std::holds_alternative<Invalid>(back)) __builtin_trap();
  }
  if (size >= 16) (void)parse_utc_time(body.substr(0, 16));
  return 0;
}
