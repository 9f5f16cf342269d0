// Numbers in error messages and logs.
//
// `format_number` prints with a given number of significant digits. `format_down`
// prints a positive upper limit (a largest stable time step, say) rounded DOWN to
// six significant digits, so that the printed value itself satisfies the limit: a
// user who copies it into the parameters is not refused again.
#pragma once

#include <string>

namespace undertow {

/// x with `precision` significant digits (std::ostream's default notation).
std::string format_number(double x, int precision = 6);

/// A positive finite x rounded down to 6 significant digits; anything else as
/// format_number prints it.
std::string format_down(double x);

}  // namespace undertow
