// Undertow's error type and the collective error agreement.
//
// A mistake that only one rank sees (a missing file, a NaN, a bad argument that
// depends on the local subdomain) must not leave the other ranks waiting in the
// next collective. `agree_or_throw` makes every rank of a communicator take part
// in one small collective: if any rank reports a problem, every rank throws the
// same `undertow::Error`, carrying the message of the lowest failing rank.
#pragma once

#include <mpi.h>

#include <stdexcept>
#include <string>

namespace undertow {

/// Every error Undertow raises on purpose. The message says what was wrong and,
/// where it helps, what would have been accepted.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

/// Collective: every rank of `comm` must call it. If `ok` is false on any rank,
/// all ranks throw `Error` with the message of the lowest failing rank (and the
/// number of ranks that failed). Costs one allreduce plus, on failure, one bcast.
void agree_or_throw(MPI_Comm comm, bool ok, const std::string& message_if_not_ok);

/// Runs `check` (which throws `Error` on a problem) on every rank and turns a
/// local throw into a collective one via `agree_or_throw`.
template <class Check>
void collective_check(MPI_Comm comm, Check&& check) {
  std::string message;
  bool ok = true;
  try {
    check();
  } catch (const Error& e) {
    ok = false;
    message = e.what();
  }
  agree_or_throw(comm, ok, message);
}

/// Aborts with the MPI error string if an MPI call failed; MPI errors are not
/// recoverable in Undertow (communicators use MPI_ERRORS_ARE_FATAL semantics).
void check_mpi(int mpi_return_code, const char* call);

}  // namespace undertow
