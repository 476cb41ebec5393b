#include "dav/wire/xml.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>

namespace taube::dav::wire {

void DocDeleter::operator()(_xmlDoc* d) const { xmlFreeDoc(d); }

namespace {

struct Guard {
  bool doctype = false;
};

// SAX hooks that stop the parser at the first DOCTYPE or entity declaration, before any
// declaration is read: this is what keeps XXE and billion laughs out (with NONET and without
// NOENT/DTDLOAD as the second line).
void on_internal_subset(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  static_cast<Guard*>(ctxt->_private)->doctype = true;
  xmlStopParser(ctxt);
}
void on_entity_decl(void* ctx, const xmlChar*, int, const xmlChar*, const xmlChar*, xmlChar*) {
  on_internal_subset(ctx, nullptr, nullptr, nullptr);
}
xmlEntityPtr on_get_entity(void* ctx, const xmlChar* name) {
  // Only the five predefined entities exist; libxml2 resolves those without this hook.
  (void)name;
  on_internal_subset(ctx, nullptr, nullptr, nullptr);
  return nullptr;
}

bool check_tree(xmlNode* node, std::size_t depth, const Limits& limits, std::size_t& count,
                Invalid& out) {
  for (xmlNode* n = node; n != nullptr; n = n->next) {
    if (n->type == XML_ENTITY_REF_NODE || n->type == XML_DTD_NODE ||
        n->type == XML_ENTITY_DECL) {
      out = Invalid{"entities are not allowed in request bodies"};
      return false;
    }
    if (n->type != XML_ELEMENT_NODE) continue;
    // libxml2 writes namespace names unescaped when it serialises (dead property values):
    // a name that needs escaping would come back out as broken XML. URIs never need it.
    for (xmlNs* d = n->nsDef; d != nullptr; d = d->next) {
      for (const xmlChar* c = d->href; c != nullptr && *c != 0; ++c) {
        if (*c == '&' || *c == '<' || *c == '>' || *c == '"' || *c == '\'' || *c < 0x21) {
          out = Invalid{"namespace name is not a URI"};
          return false;
        }
      }
    }
    if (depth > limits.max_depth) {
      out = Invalid{"request body is nested too deeply"};
      return false;
    }
    if (++count > limits.max_elements) {
      out = Invalid{"request body has too many elements", true};
      return false;
    }
    if (!check_tree(n->children, depth + 1, limits, count, out)) return false;
  }
  return true;
}

}  // namespace

std::variant<Doc, Invalid> parse_xml(std::string_view body, const Limits& limits) {
  if (body.size() > limits.max_body_bytes) return Invalid{"request body is too large", true};
  if (body.empty()) return Invalid{"request body is empty"};
  // Only UTF-8 (RFC 4918 allows any, clients send UTF-8): a UTF-16 body could hide a
  // DOCTYPE from the byte scan below.
  auto b0 = static_cast<unsigned char>(body[0]);
  if (b0 == 0xFE || b0 == 0xFF || b0 == 0x00 || body.find('\0') != std::string_view::npos)
    return Invalid{"request body must be UTF-8 XML"};
  if (body.find("<!DOCTYPE") != std::string_view::npos ||
      body.find("<!ENTITY") != std::string_view::npos)
    return Invalid{"DOCTYPE and entity declarations are not allowed in request bodies"};
  if (body.size() > static_cast<std::size_t>(INT32_MAX)) return Invalid{"too large", true};

  xmlInitParser();
  std::unique_ptr<xmlParserCtxt, decltype(&xmlFreeParserCtxt)> ctxt(xmlNewParserCtxt(),
                                                                    &xmlFreeParserCtxt);
  if (!ctxt) throw std::bad_alloc();
  Guard guard;
  ctxt->_private = &guard;
  ctxt->sax->internalSubset = on_internal_subset;
  ctxt->sax->externalSubset = on_internal_subset;
  ctxt->sax->entityDecl = on_entity_decl;
  ctxt->sax->getEntity = on_get_entity;
  ctxt->sax->getParameterEntity = on_get_entity;
  // NONET: never fetch; no NOENT, no DTDLOAD, no DTDATTR, no XINCLUDE, no HUGE.
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                      XML_PARSE_NOCDATA;
  Doc doc(xmlCtxtReadMemory(ctxt.get(), body.data(), static_cast<int>(body.size()),
                            "request.xml", "UTF-8", options));
  if (guard.doctype)
    return Invalid{"DOCTYPE and entity declarations are not allowed in request bodies"};
  if (!doc || !ctxt->wellFormed) return Invalid{"request body is not well-formed XML"};
  if (!ctxt->nsWellFormed) return Invalid{"request body is not namespace-well-formed XML"};
  if (doc->intSubset != nullptr || doc->extSubset != nullptr)
    return Invalid{"DOCTYPE and entity declarations are not allowed in request bodies"};
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr) return Invalid{"request body has no root element"};
  std::size_t count = 0;
  Invalid bad;
  if (!check_tree(root, 1, limits, count, bad)) return bad;
  return doc;
}

}  // namespace taube::dav::wire
