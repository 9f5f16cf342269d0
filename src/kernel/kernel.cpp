#include "undertow/kernel/kernel.hpp"

namespace undertow {

const char* to_string(AdjointForm form) {
  switch (form) {
    case AdjointForm::Gather: return "gather";
    case AdjointForm::ScatterAtomic: return "scatter-atomic";
    case AdjointForm::ScatterColoured: return "scatter-coloured";
  }
  return "?";
}

}  // namespace undertow
