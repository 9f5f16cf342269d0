// Umbrella header: everything in Undertow's public API.
//
// Include this in applications. Each layer (core, grid, field, halo, ad, kernel,
// each, for code that wants less.
#pragma once

#include "undertow/core/environment.hpp"
#include "undertow/core/error.hpp"
#include "undertow/core/log.hpp"
#include "undertow/core/types.hpp"
#include "undertow/field/field.hpp"
#include "undertow/field/field_ops.hpp"
#include "undertow/field/global_access.hpp"
#include "undertow/grid/decomposition.hpp"
#include "undertow/grid/grid_spec.hpp"
#include "undertow/halo/halo.hpp"
#include "undertow/ad/dual.hpp"
#include "undertow/ad/math.hpp"
#include "undertow/kernel/cell_access.hpp"
#include "undertow/kernel/kernel.hpp"
#include "undertow/kernel/kernel_application.hpp"
#include "undertow/kernel/stencil.hpp"
#include "undertow/program/boundary.hpp"
#include "undertow/program/program.hpp"
#include "undertow/verify/differentiable.hpp"
#include "undertow/verify/program_function.hpp"
#include "undertow/verify/random.hpp"
#include "undertow/verify/verification.hpp"
