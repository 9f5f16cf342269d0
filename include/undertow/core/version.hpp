// Undertow's version, as a string and as numbers.
//
// `UNDERTOW_VERSION` is the library version written into every file Undertow
// produces (see io/field_io.hpp), so that a reader can refuse data written by an
// incompatible release. It must equal `project(Undertow VERSION ...)` in the top
// CMakeLists.txt; the build checks this (src/io/CMakeLists.txt).
#pragma once

#define UNDERTOW_VERSION "0.1.0"
#define UNDERTOW_VERSION_MAJOR 0
#define UNDERTOW_VERSION_MINOR 1
#define UNDERTOW_VERSION_PATCH 0

namespace undertow {

/// The library version, "major.minor.patch".
inline constexpr const char* version_string = UNDERTOW_VERSION;

}  // namespace undertow
