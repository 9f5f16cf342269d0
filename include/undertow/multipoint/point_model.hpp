// PointModel: one expensive point of a multipoint model, as the driver sees it.
//
// A point maps the shared derived inputs y (a vector of doubles) to its responses
// z_p by a solve on its own ranks; it also provides the solve's tangent
// (zdot = dz_p/dy ydot) and adjoint (ybar = zbar^T dz_p/dy). Every call is
// collective over the point's communicator and must return the same values on
// every rank of it (Undertow's ordered reductions do that); only the group leader's
// copy is used. `tangent` and `adjoint` linearise about the state of the most
// recent `analyse`, which the point keeps. A point raises errors collectively on its
// communicator (`agree_or_throw`), so that its ranks never wait on each other; the
// driver then makes every rank of the whole model throw. The solver built inside
// (Decomposition, Fields, Halos) lives on the communicator handed to it.
#pragma once

#include <mpi.h>

#include <vector>

namespace undertow {

class PointModel {
 public:
  virtual ~PointModel() = default;

  /// Solves the point at y and returns its responses (one per declared response).
  virtual std::vector<double> analyse(MPI_Comm comm, const std::vector<double>& y) = 0;
  /// Tangent solve about the last analysis: dz/dy * ydot (one value per response).
  virtual std::vector<double> tangent(MPI_Comm comm, const std::vector<double>& ydot) = 0;
  /// Adjoint solve about the last analysis: zbar^T dz/dy (one value per y). A unit
  /// zbar gives one row of dz/dy; the driver counts each call as one adjoint solve.
  virtual std::vector<double> adjoint(MPI_Comm comm, const std::vector<double>& zbar) = 0;
};

}  // namespace undertow
