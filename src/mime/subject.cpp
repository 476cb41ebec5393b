#include "mime/subject.hpp"

#include "base/ascii.hpp"
#include "mime/encoded_word.hpp"

namespace taube::mime {
namespace {

// subj-blob = "[" *BLOBCHAR "]" *WSP; returns the length matched at s[0], or 0.
std::size_t match_blob(std::string_view s) {
  if (s.empty() || s[0] != '[') return 0;
  std::size_t i = 1;
  while (i < s.size() && s[i] != '[' && s[i] != ']') ++i;
  if (i >= s.size() || s[i] != ']') return 0;
  ++i;
  while (i < s.size() && s[i] == ' ') ++i;
  return i;
}

// subj-leader = (*subj-blob subj-refwd) / WSP; length matched, or 0.
std::size_t match_leader(std::string_view s) {
  if (!s.empty() && s[0] == ' ') return 1;
  std::size_t i = 0;
  while (std::size_t n = match_blob(s.substr(i))) i += n;
  std::string_view r = s.substr(i);
  std::size_t k;
  if (ascii::istarts_with(r, "re")) {
    k = 2;
  } else if (ascii::istarts_with(r, "fwd")) {
    k = 3;
  } else if (ascii::istarts_with(r, "fw")) {
    k = 2;
  } else {
    return 0;
  }
  while (k < r.size() && r[k] == ' ') ++k;
  k += match_blob(r.substr(k));
  if (k < r.size() && r[k] == ':') return i + k + 1;
  return 0;
}

}  // namespace

std::string base_subject(std::string_view subject) {
  // (1) decode, collapse whitespace.
  std::string decoded = decode_encoded_words(subject);
  std::string s;
  for (char c : decoded) {
    bool ws = c == ' ' || c == '\t' || c == '\r' || c == '\n';
    if (ws) {
      if (!s.empty() && s.back() != ' ') s += ' ';
    } else {
      s += c;
    }
  }
  // Views only from here on, so that hostile subjects stay linear.
  std::string_view v = s;
  while (true) {
    // (2) trailing "(fwd)" and blanks.
    while (true) {
      if (!v.empty() && v.back() == ' ') {
        v.remove_suffix(1);
      } else if (v.size() >= 5 && ascii::iequals(v.substr(v.size() - 5), "(fwd)")) {
        v.remove_suffix(5);
      } else {
        break;
      }
    }
    // (3)-(5) leaders and blobs. When no leader matched, removing blobs cannot
    // create one, so every leading blob goes at once (keeping a non-empty rest).
    bool changed = true;
    while (changed) {
      changed = false;
      while (std::size_t n = match_leader(v)) {
        v.remove_prefix(n);
        changed = true;
      }
      while (std::size_t blob = match_blob(v)) {
        if (blob >= v.size()) break;
        v.remove_prefix(blob);
        changed = true;
      }
    }
    // (6) "[fwd: ... ]".
    if (v.size() >= 6 && ascii::istarts_with(v, "[fwd:") && v.back() == ']') {
      v = v.substr(5, v.size() - 6);
      continue;
    }
    return std::string(v);
  }
}

}  // namespace taube::mime
