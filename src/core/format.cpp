#include "undertow/core/format.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace undertow {

std::string format_number(double x, int precision) {
  std::ostringstream os;
  os.precision(precision);
  os << x;
  return os.str();
}

std::string format_down(double x) {
  if (!(x > 0) || !std::isfinite(x)) return format_number(x);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.5e", x);
  double v = std::strtod(buf, nullptr);
  if (v > x) {  // printing rounded up: step one unit of the sixth digit down
    v -= std::pow(10.0, static_cast<int>(std::floor(std::log10(x))) - 5);
    std::snprintf(buf, sizeof(buf), "%.5e", v);
  }
  std::snprintf(buf, sizeof(buf), "%.6g", std::strtod(buf, nullptr));
  return buf;
}

}  // namespace undertow
