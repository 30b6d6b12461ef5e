#include "alerts/alert.hpp"

namespace qw::alerts {

const char* to_string(AlertState state) {
  switch (state) {
    case AlertState::inactive:
      return "inactive";
    case AlertState::pending:
      return "pending";
    case AlertState::firing:
      return "firing";
  }
  return "unknown";
}

}  // namespace qw::alerts
