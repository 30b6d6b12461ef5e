#pragma once
// How code consumes a probes::Sample: probes::visit_sample with one arm per alternative, never a
// std::get_if chain (a chain skips a type nobody listed, and a new probe kind's samples would
// vanish without a word). visit_sample refuses to compile when
//  - an alternative of Sample has no arm: the error names the missing type, and
//  - the visitor has a catch-all arm (`auto`, a template, a variadic): that arm would swallow the
//    next alternative just as silently as a get_if chain does.
// A consumer that does nothing with a type says so in an arm of its own.
//
//   probes::visit_sample(sample, qw::overloaded{
//       [&](const probes::TargetHealthSample& h) { ... },
//       [&](const probes::QueueProbeSample& q) { ... },
//       [](const probes::QueueHistorySample&) {},  // the rules' business, not ours
//   });
//
// tests/scripts/sample_visit_exhaustive.sh compiles a visitor without an arm, and one with a
// catch-all, and expects both to fail.
#include <type_traits>
#include <utility>
#include <variant>

#include "probes/samples.hpp"

namespace qw {

// The usual overload-set helper: one callable out of several lambdas.
template <typename... Fs>
struct overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

}  // namespace qw

namespace qw::probes {

namespace detail {

// No visitor arm may accept this: one that does is a catch-all.
struct NotASample {};

template <typename Visitor, typename T>
constexpr bool has_arm() {
  static_assert(std::is_invocable_v<Visitor, const T&>,
                "this Sample visitor has no arm for the type T named in the instantiation "
                "above: add one (an empty arm if this consumer has nothing to do with it)");
  return true;
}

template <typename Visitor, typename... Ts>
constexpr bool has_every_arm(const std::variant<Ts...>*) {
  return (has_arm<Visitor, Ts>() && ...);
}

}  // namespace detail

template <typename Visitor>
decltype(auto) visit_sample(const Sample& sample, Visitor&& visitor) {
  static_assert(!std::is_invocable_v<Visitor, const detail::NotASample&>,
                "a Sample visitor must not have a catch-all arm (auto, template, ...): list "
                "each Sample type, so that a new one fails to compile here until it is handled");
  static_assert(detail::has_every_arm<Visitor>(static_cast<const Sample*>(nullptr)));
  return std::visit(std::forward<Visitor>(visitor), sample);
}

}  // namespace qw::probes
