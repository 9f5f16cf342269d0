// Umbrella header: everything in Undertow's public API.
//
// Include this in applications. Each layer (core, grid, field, halo, ad, kernel,
// program, verify, io, time, multipoint) also has its own headers, one concept
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
