// Numbers in messages: format_down prints an upper limit that itself satisfies it.
#include "test_util.hpp"
#include "undertow/core/format.hpp"

using namespace undertow;

TEST_CASE("format_down rounds a limit down to six significant digits", "[core][format]") {
  CHECK(format_down(1.2345678e-3) == "0.00123456");
  CHECK(format_down(2.9999996) == "2.99999");  // "%.6g" would print 3, above the limit
  CHECK(format_down(7.0) == "7");
  for (double x : {1.0 / 3.0, 2.0 / 3.0, 9.9999999e7, 4.4e-9}) {
    INFO(x);
    CHECK(std::strtod(format_down(x).c_str(), nullptr) <= x);
    CHECK(std::strtod(format_down(x).c_str(), nullptr) >= x * (1.0 - 1e-5));
  }
  CHECK(format_down(-2.0) == "-2");
  CHECK(format_down(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(format_number(1.0 / 3.0) == "0.333333");
  CHECK(format_number(1.0 / 3.0, 3) == "0.333");
}
