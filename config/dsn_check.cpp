#include "config/dsn_check.hpp"

#include <libpq-fe.h>

#include <cstring>
#include <memory>

namespace qw::config {

DsnCheck check_dsn(const std::string& dsn) {
  DsnCheck result;
  char* raw_error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(dsn.c_str(), &raw_error), &PQconninfoFree);
  if (!options) {
    // libpq's message quotes the offending fragment, which may be part of a password: drop it.
    if (raw_error != nullptr) PQfreemem(raw_error);
    result.error =
        "is not a valid libpq connection string (expected key=value pairs such as "
        "\"host=db port=5432 dbname=app\" or a postgresql:// URI)";
    return result;
  }
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr && o->val[0] != '\0') {
      result.has_password = true;
    }
  }
  return result;
}

}  // namespace qw::config
