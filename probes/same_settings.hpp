#pragma once
// Whether a reload changed what a pool or a probe works with. Where a setting was written (its
// line in the file) is not part of it: a reload that only moved lines changes nothing.
#include "config/config.hpp"

namespace qw::probes {

template <typename T>
bool same_settings(T a, T b) {
  a.mark = {};
  b.mark = {};
  return a == b;
}

}  // namespace qw::probes
