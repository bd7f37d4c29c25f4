// ArgumentError reaches Python with its text unchanged: as TypeError when what was expected is a
// dtype, as ValueError otherwise (one rule, read off the error's own "expected" part).
#include <exception>

#include "bindings.hpp"
#include "radial/error.hpp"

namespace radial::python {

void register_errors(pybind11::module_&) {
  pybind11::register_exception_translator([](std::exception_ptr error) {
    try {
      if (error) std::rethrow_exception(error);
    } catch (const ArgumentError& e) {
      const bool about_dtype = e.expected().find("dtype") != std::string::npos;
      PyErr_SetString(about_dtype ? PyExc_TypeError : PyExc_ValueError, e.what());
    } catch (const RuntimeError& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
}

}  // namespace radial::python
