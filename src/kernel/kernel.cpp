#include "undertow/kernel/kernel.hpp"

namespace undertow {

const char* to_string(AdjointForm form) {
  switch (form) {
    case AdjointForm::Gather:
      return "gather";
    case AdjointForm::ScatterAtomic:
      return "scatter-atomic";
    case AdjointForm::ScatterColoured:
      return "scatter-coloured";
  }
  return "?";
}

const char* to_string(LocalDerivative method) {
  switch (method) {
    case LocalDerivative::Automatic:
      return "automatic";
    case LocalDerivative::Reverse:
      return "local reverse";
    case LocalDerivative::SeededForward:
      return "seeded forward";
  }
  return "?";
}

}  // namespace undertow
