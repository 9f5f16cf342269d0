// bench_common.hpp: the shared scaffolding of Undertow's benchmark programs.
//
// Every benchmark under benchmarks/ is an MPI program that measures several
// variants of one operation (primal, tangent, adjoint, a hand-written reference...)
// in ONE run and prints them side by side. This header gives them the same
// conventions: command-line parsing with CLI11 and the common flags (`--json FILE`,
// `--reps`, `--batch`, `--warmup`, `--triad-mib`); timing as the median over
// repetitions of the slowest rank's time, each repetition started by an MPI barrier
// (`time_interleaved` runs the variants alternately so that noise from other jobs
// on a shared machine hits all of them alike); a STREAM-like triad measured in the
// same run as the memory-bandwidth reference; and a `Table` that prints aligned
// columns, computes ratio columns, and writes its rows as JSON objects (keys = the
// column names) with nlohmann-json. Ratios, not absolute times, are the figures
// that matter on a shared machine.
#pragma once

#include <mpi.h>

#include <CLI/CLI.hpp>
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "undertow/core/environment.hpp"
#include "undertow/core/error.hpp"
#include "undertow/core/types.hpp"

namespace undertow::bench {

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

/// Flags every benchmark accepts (see `add_common_options`).
struct CommonOptions {
  std::string json_path;   // empty: no JSON output
  int repetitions = 50;    // timed samples per variant; the median is reported
  int batch = 10;          // calls per sample (amortises the barrier for microsecond operations)
  int warmup = 3;          // untimed calls per variant before the first sample
  double triad_mib = 768;  // triad working set (3 arrays) summed over all ranks, in MiB
};

/// Registers the common flags on `app`, writing into `options`.
inline void add_common_options(CLI::App& app, CommonOptions& options) {
  app.add_option("--json", options.json_path, "Also write the table rows as JSON objects to FILE")->type_name("FILE");
  app.add_option("--reps", options.repetitions, "Timed samples per variant (the median is reported)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--batch", options.batch, "Calls per timed sample")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--warmup", options.warmup, "Untimed calls per variant before timing")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--triad-mib", options.triad_mib,
                 "STREAM triad working set over all ranks in MiB (0 skips it); well above the last-level cache "
                 "to measure memory rather than cache")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

/// Parses the command line identically on every rank of `comm` (all ranks see the
/// same argv under mpirun). Returns std::nullopt to go on, or the exit code `main`
/// should return: 0 after --help, non-zero after a parse error. Only rank 0 prints.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream silent;
    return rank == 0 ? app.exit(e) : app.exit(e, silent, silent);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------

/// Seconds per call of one variant. Every sample is the maximum over ranks (the
/// slowest rank decides when a parallel operation is done); `median` is the figure
/// to report, `min` and `max` show the spread.
struct Timing {
  double median = 0.0;
  double min = 0.0;
  double max = 0.0;
  int samples = 0;
};

/// Median of a non-empty sample (the mean of the two middle values for even sizes).
inline double median(std::vector<double> values) {
  if (values.empty()) throw Error("bench::median: no values");
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

/// Times several variants alternately: each repetition runs variant 0, then 1, ...
/// each as one sample of `batch` calls between an MPI barrier and a Kokkos fence.
/// Interleaving makes a burst of load from other processes hit every variant,
/// so the ratios between them stay meaningful on a shared machine. Collective over
/// `comm`; the variants must themselves be collective (or purely local).
inline std::vector<Timing> time_interleaved(MPI_Comm comm, const CommonOptions& options,
                                            const std::vector<std::function<void()>>& variants) {
  const std::size_t nvar = variants.size();
  const int reps = options.repetitions;
  for (const auto& run : variants) {
    for (int w = 0; w < options.warmup; ++w) run();
  }
  Kokkos::fence();
  // local[v * reps + r]: this rank's seconds per call in sample r of variant v.
  std::vector<double> local(nvar * static_cast<std::size_t>(reps), 0.0);
  for (int r = 0; r < reps; ++r) {
    for (std::size_t v = 0; v < nvar; ++v) {
      MPI_Barrier(comm);
      const double start = MPI_Wtime();
      for (int b = 0; b < options.batch; ++b) variants[v]();
      Kokkos::fence();  // asynchronous back-ends: count the work, not its launch
      local[v * reps + r] = (MPI_Wtime() - start) / options.batch;
    }
  }
  std::vector<double> slowest(local.size(), 0.0);
  check_mpi(MPI_Allreduce(local.data(), slowest.data(), static_cast<int>(local.size()), MPI_DOUBLE, MPI_MAX, comm),
            "MPI_Allreduce");
  std::vector<Timing> result(nvar);
  for (std::size_t v = 0; v < nvar; ++v) {
    const std::vector<double> samples(slowest.begin() + static_cast<std::ptrdiff_t>(v * reps),
                                      slowest.begin() + static_cast<std::ptrdiff_t>((v + 1) * reps));
    result[v].median = median(samples);
    result[v].min = *std::min_element(samples.begin(), samples.end());
    result[v].max = *std::max_element(samples.begin(), samples.end());
    result[v].samples = reps;
  }
  return result;
}

/// Times a single variant (see `time_interleaved`).
inline Timing time_median(MPI_Comm comm, const CommonOptions& options, const std::function<void()>& body) {
  return time_interleaved(comm, options, {body}).front();
}

// ---------------------------------------------------------------------------
// Memory-bandwidth reference
// ---------------------------------------------------------------------------

/// A STREAM triad a = b + s * c on every rank at once. `gb_per_s` is the bytes
/// counted the STREAM way (3 doubles per element: two loads, one store; no
/// write-allocate traffic) summed over ranks, divided by the median time.
struct TriadResult {
  std::int64_t elements_per_rank = 0;
  Timing timing;
  double gb_per_s = 0.0;
};

/// Measures the triad with a working set of `total_mib` MiB over all ranks of
/// `comm` (3 arrays). Collective. Returns zeros if `total_mib` is 0.
inline TriadResult measure_triad(MPI_Comm comm, double total_mib, int repetitions) {
  TriadResult result;
  if (total_mib <= 0) return result;
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const double bytes_per_rank = total_mib * 1024.0 * 1024.0 / ranks;
  result.elements_per_rank =
      std::max<std::int64_t>(1, static_cast<std::int64_t>(bytes_per_rank / (3 * sizeof(double))));
  using Array = Kokkos::View<double*, MemSpace>;
  const std::int64_t n = result.elements_per_rank;
  Array a(Kokkos::view_alloc(Kokkos::WithoutInitializing, "triad_a"), n);
  Array b(Kokkos::view_alloc(Kokkos::WithoutInitializing, "triad_b"), n);
  Array c(Kokkos::view_alloc(Kokkos::WithoutInitializing, "triad_c"), n);
  using Policy = Kokkos::RangePolicy<ExecSpace, Kokkos::IndexType<std::int64_t>>;
  // First touch by the same threads that run the triad (NUMA placement).
  Kokkos::parallel_for(
      "bench::triad_init", Policy(0, n), KOKKOS_LAMBDA(std::int64_t i) {
        a(i) = 0.0;
        b(i) = 1.0;
        c(i) = 2.0;
      });
  const double scalar = 3.0;
  CommonOptions timing_options;
  timing_options.repetitions = repetitions;
  timing_options.batch = 1;
  timing_options.warmup = 1;
  result.timing = time_median(comm, timing_options, [&] {
    Kokkos::parallel_for(
        "bench::triad", Policy(0, n), KOKKOS_LAMBDA(std::int64_t i) { a(i) = b(i) + scalar * c(i); });
  });
  const double bytes = 3.0 * sizeof(double) * static_cast<double>(n) * ranks;
  result.gb_per_s = bytes / result.timing.median * 1e-9;
  return result;
}

// ---------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------

/// One table cell: text, an integer, or a real number. Implicit from the obvious
/// C++ types so that rows can be written as {{"name", value}, ...}.
class Value {
 public:
  enum class Kind { Empty, Text, Integer, Real };

  Value() = default;
  Value(const char* text) : kind_(Kind::Text), text_(text) {}
  Value(std::string text) : kind_(Kind::Text), text_(std::move(text)) {}
  template <class T, std::enable_if_t<std::is_integral<T>::value, int> = 0>
  Value(T number) : kind_(Kind::Integer), integer_(static_cast<std::int64_t>(number)) {}
  template <class T, std::enable_if_t<std::is_floating_point<T>::value, int> = 0>
  Value(T number) : kind_(Kind::Real), real_(static_cast<double>(number)) {}

  Kind kind() const { return kind_; }
  bool numeric() const { return kind_ == Kind::Integer || kind_ == Kind::Real; }
  double as_double() const { return kind_ == Kind::Integer ? static_cast<double>(integer_) : real_; }

  /// Text for a table; reals with `precision` digits after the point.
  std::string format(int precision) const {
    std::ostringstream os;
    switch (kind_) {
      case Kind::Empty:
        return "";
      case Kind::Text:
        return text_;
      case Kind::Integer:
        os << integer_;
        return os.str();
      case Kind::Real:
        if (!std::isfinite(real_)) return real_ != real_ ? "nan" : (real_ > 0 ? "inf" : "-inf");
        os << std::fixed << std::setprecision(precision) << real_;
        return os.str();
    }
    return "";
  }

  /// JSON value (null for an empty cell or a non-finite real, which JSON cannot hold).
  nlohmann::ordered_json to_json() const {
    switch (kind_) {
      case Kind::Text:
        return text_;
      case Kind::Integer:
        return integer_;
      case Kind::Real:
        return std::isfinite(real_) ? nlohmann::ordered_json(real_) : nlohmann::ordered_json();
      case Kind::Empty:
        break;
    }
    return nlohmann::ordered_json();
  }

 private:
  Kind kind_ = Kind::Empty;
  std::string text_;
  std::int64_t integer_ = 0;
  double real_ = 0.0;
};

/// A table of benchmark results. Columns are declared once, in print order; a
/// ratio column is computed from two numeric columns of the same row when the row
/// is added. Text is left-aligned, numbers right-aligned, every column as wide as
/// its widest entry. `to_json` gives one object per row, keys = column names, plus
/// the run metadata set with `add_metadata` (benchmark name, date, ...).
class Table {
 public:
  explicit Table(std::string title) : title_(std::move(title)) {}

  /// A column filled by `add_row`; reals are printed with `precision` decimals.
  Table& add_column(const std::string& name, int precision = 3) {
    require_new_column(name);
    columns_.push_back({name, precision, -1, -1});
    return *this;
  }

  /// A column holding numerator / denominator of the named columns (already declared).
  Table& add_ratio_column(const std::string& name, const std::string& numerator, const std::string& denominator,
                          int precision = 2) {
    require_new_column(name);
    columns_.push_back({name, precision, column_index(numerator), column_index(denominator)});
    return *this;
  }

  /// A key/value written into every JSON row but not printed (run metadata).
  Table& add_metadata(const std::string& key, Value value) {
    metadata_.emplace_back(key, std::move(value));
    return *this;
  }

  /// Adds a row given as {column name, value} pairs; every plain column must be
  /// given exactly once, ratio columns never.
  void add_row(const std::vector<std::pair<std::string, Value>>& cells) {
    std::vector<Value> row(columns_.size());
    std::vector<bool> given(columns_.size(), false);
    for (const auto& [name, value] : cells) {
      const int c = column_index(name);
      if (columns_[c].is_ratio()) throw Error("Table '" + title_ + "': column '" + name + "' is computed, not given");
      if (given[c]) throw Error("Table '" + title_ + "': column '" + name + "' given twice");
      row[c] = value;
      given[c] = true;
    }
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const Column& col = columns_[c];
      if (!col.is_ratio()) {
        if (!given[c]) throw Error("Table '" + title_ + "': row lacks column '" + col.name + "'");
        continue;
      }
      const Value& num = row[col.numerator];
      const Value& den = row[col.denominator];
      if (!num.numeric() || !den.numeric()) {
        throw Error("Table '" + title_ + "': ratio column '" + col.name + "' needs numeric operands");
      }
      row[c] = num.as_double() / den.as_double();
    }
    rows_.push_back(std::move(row));
  }

  const std::string& title() const { return title_; }
  std::size_t rows() const { return rows_.size(); }
  /// The value in row r of the named column.
  const Value& at(std::size_t r, const std::string& column) const { return rows_.at(r)[column_index(column)]; }

  /// Prints the title, a header, a rule and the rows.
  void print(std::ostream& out) const {
    std::vector<std::vector<std::string>> text(rows_.size(), std::vector<std::string>(columns_.size()));
    std::vector<std::size_t> width(columns_.size());
    std::vector<bool> right(columns_.size(), true);
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      width[c] = columns_[c].name.size();
      for (std::size_t r = 0; r < rows_.size(); ++r) {
        text[r][c] = rows_[r][c].format(columns_[c].precision);
        width[c] = std::max(width[c], text[r][c].size());
        if (rows_[r][c].kind() == Value::Kind::Text) right[c] = false;
      }
    }
    auto line = [&](auto&& cell_text) {
      std::string s;
      for (std::size_t c = 0; c < columns_.size(); ++c) {
        const std::string t = cell_text(c);
        const std::string pad(width[c] - t.size(), ' ');
        s += (c ? "  " : "") + (right[c] ? pad + t : t + pad);
      }
      while (!s.empty() && s.back() == ' ') s.pop_back();
      out << s << '\n';
    };
    out << title_ << '\n';
    line([&](std::size_t c) { return columns_[c].name; });
    line([&](std::size_t c) { return std::string(width[c], '-'); });
    for (std::size_t r = 0; r < rows_.size(); ++r) line([&](std::size_t c) { return text[r][c]; });
    out.flush();
  }

  /// One JSON object per row: the metadata, then every column by name.
  nlohmann::ordered_json to_json() const {
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    for (const auto& row : rows_) {
      nlohmann::ordered_json object = nlohmann::ordered_json::object();
      for (const auto& [key, value] : metadata_) object[key] = value.to_json();
      for (std::size_t c = 0; c < columns_.size(); ++c) object[columns_[c].name] = row[c].to_json();
      array.push_back(std::move(object));
    }
    return array;
  }

 private:
  struct Column {
    std::string name;
    int precision;
    int numerator;  // ratio operands (column indices), -1 for a plain column
    int denominator;
    bool is_ratio() const { return numerator >= 0; }
  };

  int column_index(const std::string& name) const {
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      if (columns_[c].name == name) return static_cast<int>(c);
    }
    throw Error("Table '" + title_ + "': no column '" + name + "'");
  }
  void require_new_column(const std::string& name) const {
    for (const auto& c : columns_) {
      if (c.name == name) throw Error("Table '" + title_ + "': column '" + name + "' declared twice");
    }
  }

  std::string title_;
  std::vector<Column> columns_;
  std::vector<std::pair<std::string, Value>> metadata_;
  std::vector<std::vector<Value>> rows_;
};

/// Prints the table on rank 0 of `comm` only.
inline void print_on_root(MPI_Comm comm, const Table& table) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) table.print(std::cout);
}

/// Writes the rows of all `tables` to `path` as one JSON array (one object per row,
/// one row per line so that files diff and grep well). Rank 0 writes; the outcome
/// is agreed collectively, so a failed write throws `Error` on every rank.
inline void write_json(MPI_Comm comm, const std::string& path, const std::vector<const Table*>& tables) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string problem;
  if (rank == 0) {
    std::ofstream file(path);
    if (!file) {
      problem = "cannot open '" + path + "' for writing";
    } else {
      file << "[";
      bool first = true;
      for (const Table* table : tables) {
        for (const auto& row : table->to_json()) {
          file << (first ? "\n" : ",\n") << row.dump();
          first = false;
        }
      }
      file << "\n]\n";
      if (!file.good()) problem = "error while writing '" + path + "'";
    }
  }
  agree_or_throw(comm, problem.empty(), "bench::write_json: " + problem);
}

// ---------------------------------------------------------------------------
// Run description
// ---------------------------------------------------------------------------

/// UTC date and time of now, ISO 8601 (for the JSON metadata and the header).
inline std::string utc_timestamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

/// Adds the metadata every benchmark records (benchmark name, date, ranks,
/// threads, Kokkos execution space) to `table`.
inline void add_run_metadata(Table& table, const Environment& env, const std::string& benchmark) {
  table.add_metadata("benchmark", benchmark)
      .add_metadata("date", utc_timestamp())
      .add_metadata("ranks", env.size())
      .add_metadata("threads", env.threads())
      .add_metadata("backend", ExecSpace::name());
}

}  // namespace undertow::bench
