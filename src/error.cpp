#include "radial/error.hpp"

#include <utility>

namespace radial {

ArgumentError::ArgumentError(std::string argument, std::string expected, std::string got)
    : std::invalid_argument(argument + ": expected " + expected + ", got " + got),
      argument_(std::move(argument)),
      expected_(std::move(expected)),
      got_(std::move(got)) {}

}  // namespace radial
