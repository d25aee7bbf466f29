#pragma once
// The generated per-version tables (python_3_X.cpp, one per minor version).
// Use layout_for() from python/python_versions.hpp rather than these names.
#include "python/python_layout.hpp"

namespace corostack::python {

extern const PythonLayout kPython27;
extern const PythonLayout kPython36;
extern const PythonLayout kPython37;
extern const PythonLayout kPython38;
extern const PythonLayout kPython39;
extern const PythonLayout kPython310;
extern const PythonLayout kPython311;
extern const PythonLayout kPython312;
extern const PythonLayout kPython313;
extern const PythonLayout kPython314;
extern const PythonLayout kPython314t;  // free-threaded (--disable-gil)
extern const PythonLayout kPython315;   // from 3.14's and 3.15's headers, not generated
extern const PythonLayout kPython315t;

}  // namespace corostack::python
