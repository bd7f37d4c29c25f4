#pragma once
// One error type for every bad argument the library is handed. The message always reads
// "<argument>: expected <what was expected>, got <what came in>", so that the C++ API, the
// command-line tool and the Python package report the same sentence.
#include <stdexcept>
#include <string>

namespace radial {

class ArgumentError : public std::invalid_argument {
 public:
  ArgumentError(std::string argument, std::string expected, std::string got);

  const std::string& argument() const noexcept { return argument_; }
  const std::string& expected() const noexcept { return expected_; }
  const std::string& got() const noexcept { return got_; }

 private:
  std::string argument_;
  std::string expected_;
  std::string got_;
};

// A failure of the runtime underneath (CUDA, allocation), carrying file, line and expression.
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace radial
