#include "undertow/multipoint/program_point.hpp"

#include <algorithm>
#include <cmath>

#include "undertow/core/error.hpp"
#include "undertow/field/field_ops.hpp"

namespace undertow {
namespace {

std::int64_t field_bytes(const Field<double>& f) {
  return f.valid() ? static_cast<std::int64_t>(f.view().span() * sizeof(double)) : 0;
}

void require_y_index(int j, std::size_t n, const char* what) {
  if (j < 0 || static_cast<std::size_t>(j) >= n) {
    throw Error(std::string("BasisInputMap::") + what + ": a term reads y[" + std::to_string(j) + "] but y has " +
                std::to_string(n) + " values");
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// BasisInputMap

BasisInputMap::Target& BasisInputMap::target(Var v) {
  if (!v.valid()) throw Error("BasisInputMap: invalid target variable");
  for (Target& t : targets_) {
    if (t.var.id == v.id) return t;
  }
  targets_.push_back({v, Field<double>(), {}});
  return targets_.back();
}

BasisInputMap& BasisInputMap::set_base(Var v, const Field<double>& base) {
  if (!base.valid()) throw Error("BasisInputMap::set_base: invalid base field");
  target(v).base = base.clone(base.name());
  return *this;
}

BasisInputMap& BasisInputMap::add_term(Var v, int y_index, const Field<double>& phi) {
  if (y_index < 0) throw Error("BasisInputMap::add_term: negative y index " + std::to_string(y_index));
  if (!phi.valid()) throw Error("BasisInputMap::add_term: invalid basis field");
  target(v).terms.push_back({y_index, phi.clone(phi.name())});
  inputs_used_ = std::max(inputs_used_, y_index + 1);
  return *this;
}

std::vector<Var> BasisInputMap::targets() const {
  std::vector<Var> v;
  for (const Target& t : targets_) v.push_back(t.var);
  return v;
}

void BasisInputMap::apply(Program& program, const std::vector<double>& y) {
  for (const Target& t : targets_) {
    const Field<double>& value = program.value(t.var);
    if (t.base.valid()) {
      copy(value, t.base);
    } else {
      fill(value, 0.0);
    }
    for (const Term& term : t.terms) {
      require_y_index(term.y_index, y.size(), "apply");
      axpy(value, y[static_cast<std::size_t>(term.y_index)], term.phi);
    }
  }
}

void BasisInputMap::tangent(Program&, const std::vector<double>&, const std::vector<double>& ydot,
                            const std::vector<Field<double>>& target_tangents) {
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    for (const Term& term : targets_[i].terms) {
      require_y_index(term.y_index, ydot.size(), "tangent");
      axpy(target_tangents[i], ydot[static_cast<std::size_t>(term.y_index)], term.phi);
    }
  }
}

std::vector<double> BasisInputMap::adjoint(Program&, const std::vector<double>& y,
                                           const std::vector<Field<double>>& target_adjoints) {
  std::vector<double> ybar(y.size(), 0.0);
  // Fixed order (targets, then terms) and ordered reductions: the same bits on every rank.
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    for (const Term& term : targets_[i].terms) {
      require_y_index(term.y_index, y.size(), "adjoint");
      ybar[static_cast<std::size_t>(term.y_index)] += dot(term.phi, target_adjoints[i]);
    }
  }
  return ybar;
}

// ---------------------------------------------------------------------------
// ProgramResponse

ProgramResponse ProgramResponse::objective(std::string name) {
  ProgramResponse r;
  r.name = std::move(name);
  r.kind = Kind::Objective;
  return r;
}

ProgramResponse ProgramResponse::weighted_sum(std::string name, Var variable, Field<double> weight) {
  ProgramResponse r;
  r.name = std::move(name);
  r.kind = Kind::WeightedSum;
  r.variable = variable;
  r.weight = std::move(weight);
  return r;
}

// ---------------------------------------------------------------------------
// ProgramPoint

ProgramPoint::ProgramPoint(ProgramPointSetup setup) : setup_(std::move(setup)) {
  // Without a program there is no communicator to agree on; a factory that returns
  // none does so on every rank of the point.
  if (!setup_.program) throw Error("ProgramPoint: the setup holds no program");
  Program& p = *setup_.program;
  const MPI_Comm comm = p.decomposition().comm();
  collective_check(comm, [&] {
    if (setup_.steps < 1) throw Error("ProgramPoint: steps must be >= 1, got " + std::to_string(setup_.steps));
    if (!setup_.inputs) throw Error("ProgramPoint: no input map (how y enters the program)");
    if (setup_.responses.empty()) throw Error("ProgramPoint: no responses");
    targets_ = setup_.inputs->targets();
    if (targets_.empty()) throw Error("ProgramPoint: the input map writes no variable");
    for (std::size_t i = 0; i < targets_.size(); ++i) {
      const VarRole role = p.role(targets_[i]);  // throws for a foreign variable
      if (role != VarRole::Parameter && role != VarRole::State) {
        throw Error("ProgramPoint: the input map writes '" + p.name(targets_[i]) +
                    "', which is neither a Parameter nor a State (the program would not carry it)");
      }
      for (std::size_t j = 0; j < i; ++j) {
        if (targets_[j].id == targets_[i].id)
          throw Error("ProgramPoint: the input map lists '" + p.name(targets_[i]) + "' twice");
      }
    }
    for (std::size_t r = 0; r < setup_.responses.size(); ++r) {
      const ProgramResponse& resp = setup_.responses[r];
      const std::string who = "ProgramPoint: response " + std::to_string(r) + " '" + resp.name + "'";
      if (resp.kind == ProgramResponse::Kind::Objective) {
        if (has_objective_) throw Error(who + " is a second objective response; a program has one objective");
        has_objective_ = true;
        output_of_response_.push_back(-1);
        continue;
      }
      if (!resp.variable.valid()) throw Error(who + " names no variable");
      if (p.role(resp.variable) == VarRole::Data) {
        throw Error(who + " sums the Data variable '" + p.name(resp.variable) + "', which y cannot change");
      }
      if (!resp.weight.valid()) throw Error(who + " has no weight field");
      detail::require_same_layout(p.value(resp.variable), resp.weight, "ProgramPoint response weight");
      int o = -1;
      for (std::size_t k = 0; k < outputs_.size(); ++k) {
        if (outputs_[k].id == resp.variable.id) o = static_cast<int>(k);
      }
      if (o < 0) {
        o = static_cast<int>(outputs_.size());
        outputs_.push_back(resp.variable);
      }
      output_of_response_.push_back(o);
    }
  });
  for (int id = 0; id < p.variable_count(); ++id) {
    if (p.role(Var{id}) != VarRole::State) continue;
    states_.push_back(Var{id});
    initial_states_.push_back(p.value(Var{id}).clone(p.name(Var{id}) + "_initial"));
  }
  for (Var v : targets_) target_scratch_.push_back(p.value(v).clone_layout(p.name(v) + "_input_derivative"));
  for (Var v : outputs_) output_scratch_.push_back(p.value(v).clone_layout(p.name(v) + "_output_derivative"));
  function_ = std::make_unique<Problem>(p, targets_, outputs_, ProblemOptions{setup_.steps, has_objective_});
}

void ProgramPoint::check_comm(MPI_Comm comm, const char* what) const {
  int result = MPI_UNEQUAL;
  check_mpi(MPI_Comm_compare(comm, setup_.program->decomposition().comm(), &result), "MPI_Comm_compare");
  agree_or_throw(
      comm, result == MPI_IDENT || result == MPI_CONGRUENT,
      std::string("ProgramPoint::") + what + ": called on a communicator other than the one the program was built on");
}

void ProgramPoint::reset() {
  for (std::size_t s = 0; s < states_.size(); ++s) {
    Kokkos::deep_copy(setup_.program->value(states_[s]).view(), initial_states_[s].view());
  }
  setup_.inputs->apply(*setup_.program, y_);
}

std::vector<double> ProgramPoint::analyse(MPI_Comm comm, const std::vector<double>& y) {
  check_comm(comm, "analyse");
  analysed_ = false;
  y_ = y;
  double objective = 0.0;
  collective_check(comm, [&] {
    reset();
    objective = function_->evaluate();
  });
  // evaluate() leaves the program at the initial state: the final values of the
  // summed variables are the function's outputs.
  const std::vector<Field<double>> final_values = function_->outputs();
  std::vector<double> z;
  for (std::size_t r = 0; r < setup_.responses.size(); ++r) {
    const int o = output_of_response_[r];
    z.push_back(o < 0 ? objective : dot(setup_.responses[r].weight, final_values[static_cast<std::size_t>(o)]));
  }
  // Responses come from ordered reductions: every rank sees the same values.
  for (std::size_t r = 0; r < z.size(); ++r) {
    if (!std::isfinite(z[r])) {
      throw Error("ProgramPoint: response '" + setup_.responses[r].name + "' is not finite after " +
                  std::to_string(setup_.steps) + " steps (unstable time step or parameters?)");
    }
  }
  analysed_ = true;
  return z;
}

std::vector<double> ProgramPoint::tangent(MPI_Comm comm, const std::vector<double>& ydot) {
  check_comm(comm, "tangent");
  double objective_tangent = 0.0;
  collective_check(comm, [&] {
    if (!analysed_) throw Error("ProgramPoint::tangent: call analyse first (successfully)");
    if (ydot.size() != y_.size()) {
      throw Error("ProgramPoint::tangent: ydot has " + std::to_string(ydot.size()) + " values, y has " +
                  std::to_string(y_.size()));
    }
    reset();
    for (const Field<double>& f : target_scratch_) fill_all(f, 0.0);
    setup_.inputs->tangent(*setup_.program, y_, ydot, target_scratch_);
    objective_tangent = function_->tangent(target_scratch_, output_scratch_);
  });
  std::vector<double> zdot;
  for (std::size_t r = 0; r < setup_.responses.size(); ++r) {
    const int o = output_of_response_[r];
    zdot.push_back(o < 0 ? objective_tangent
                         : dot(setup_.responses[r].weight, output_scratch_[static_cast<std::size_t>(o)]));
  }
  return zdot;
}

std::vector<double> ProgramPoint::adjoint(MPI_Comm comm, const std::vector<double>& zbar) {
  check_comm(comm, "adjoint");
  std::vector<double> ybar;
  collective_check(comm, [&] {
    if (!analysed_) throw Error("ProgramPoint::adjoint: call analyse first (successfully)");
    if (zbar.size() != setup_.responses.size()) {
      throw Error("ProgramPoint::adjoint: zbar has " + std::to_string(zbar.size()) + " values for " +
                  std::to_string(setup_.responses.size()) + " responses");
    }
    // The output weights: sum over responses of zbar_r * w_r per summed variable.
    double objective_weight = 0.0;
    for (const Field<double>& f : output_scratch_) fill_all(f, 0.0);
    for (std::size_t r = 0; r < setup_.responses.size(); ++r) {
      const int o = output_of_response_[r];
      if (o < 0) {
        objective_weight = zbar[r];
      } else {
        axpy(output_scratch_[static_cast<std::size_t>(o)], zbar[r], setup_.responses[r].weight);
      }
    }
    reset();
    for (const Field<double>& f : target_scratch_) fill_all(f, 0.0);
    function_->adjoint(output_scratch_, objective_weight, target_scratch_);
    ybar = setup_.inputs->adjoint(*setup_.program, y_, target_scratch_);
  });
  return ybar;
}

std::int64_t ProgramPoint::memory_bytes() const {
  const Program& p = *setup_.program;
  std::int64_t bytes = 0, state_bytes = 0;
  for (int id = 0; id < p.variable_count(); ++id) {
    const Var v{id};
    bytes += field_bytes(p.value(v)) + field_bytes(p.adjoint(v));
    if (p.tangent_directions() > 0) bytes += field_bytes(p.tangent(v));
  }
  for (const Field<double>& f : initial_states_) state_bytes += field_bytes(f);
  bytes += state_bytes * (1 + setup_.steps);  // the snapshot plus the adjoint's stored states
  for (const Field<double>& f : target_scratch_) bytes += field_bytes(f);
  for (const Field<double>& f : output_scratch_) bytes += field_bytes(f);
  for (const ProgramResponse& r : setup_.responses) bytes += field_bytes(r.weight);
  return bytes;
}

Multipoint::PointFactory program_point_factory(
    std::function<ProgramPointSetup(int point, MPI_Comm point_comm)> make_setup) {
  return [make_setup = std::move(make_setup)](int point, MPI_Comm comm) -> std::unique_ptr<PointModel> {
    return std::make_unique<ProgramPoint>(make_setup(point, comm));
  };
}

}  // namespace undertow
