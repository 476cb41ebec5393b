// Result and Error: how operational failures travel through Taube.
// A client's malformed input is not an Error (parsers return their own Invalid
// values); an Error is a store, disk, network or policy failure that a protocol
// maps to a reply. `detail` is for the log only and is never sent to a client.
// Value types; no threading concerns.
#pragma once

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace taube {

enum class ErrorCode {
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kQuotaExceeded,
  kTooLarge,
  kConflict,
  kInvalidArgument,
  kBusy,
  kUnavailable,
  kInternal,
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string detail;

  friend bool operator==(const Error& a, const Error& b) { return a.code == b.code; }
};

// Thrown only by Result::value() on an error, which is a bug at the call site.
class ErrorException : public std::exception {
 public:
  explicit ErrorException(Error e);
  const char* what() const noexcept override { return what_.c_str(); }
  const Error& error() const { return error_; }

 private:
  Error error_;
  std::string what_;
};

[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

template <class T>
using Result = boost::system::result<T, Error>;

// Shorthands that read well at a return statement: `return fail(ErrorCode::kNotFound, "...")`.
inline Error fail(ErrorCode code, std::string detail = {}) { return Error{code, std::move(detail)}; }

}  // namespace taube

// Returns the error of a Result-valued expression from the enclosing function, which
// must itself return a Result (or an Error). For statements whose value is not needed.
#define TAUBE_TRY(expr)                       \
  do {                                        \
    auto&& taube_try_result_ = (expr);        \
    if (!taube_try_result_) return taube_try_result_.error(); \
  } while (0)
