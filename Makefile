# Quick start on Debian 12:  make demo   |   make test
# Both install what is missing (Debian packages, a Kokkos with OpenMP built from
# Debian's trilinos source into .deps/), configure and build incrementally.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
RANKS ?= 4
THREADS ?= 2
CMAKE_ARGS ?=

# Open MPI refuses to run as root unless told; harmless for other users.
export OMPI_ALLOW_RUN_AS_ROOT := 1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM := 1
export OMP_PROC_BIND := false
export OMP_WAIT_POLICY := PASSIVE
export OMPI_MCA_mpi_yield_when_idle := 1

MPIRUN = mpirun -n $(RANKS) --oversubscribe --bind-to none -x OMP_NUM_THREADS=$(THREADS) -x OMP_PROC_BIND

.PHONY: all deps configure build demo test bench clean format

all: build

deps:
	@bash scripts/bootstrap.sh

$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)

configure: deps $(BUILD_DIR)/CMakeCache.txt

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The demo runs RANKS x THREADS on any machine, oversubscribed on a small one on
# purpose: Kokkos' per-rank oversubscription warnings are silenced for it.
demo: build
	$(MPIRUN) -x KOKKOS_DISABLE_WARNINGS=1 $(BUILD_DIR)/examples/shallow_water_demo

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

bench: build
	bash scripts/run_benchmarks.sh $(BUILD_DIR)

format:
	clang-format -i $$(git ls-files '*.hpp' '*.cpp')

clean:
	rm -rf $(BUILD_DIR)
