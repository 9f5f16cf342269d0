#!/usr/bin/python3
"""Check Undertow field files (.h5) and their XDMF descriptions (.xmf) from outside.

Independently of the C++ library, with h5py and numpy:
  * every .h5: the root attributes (format, version, completion marker, grid,
    step, time), the layout of every dataset under /fields (float64, shape
    (nz, ny, nx[, ncomp]) from the grid), the dataset attributes, and the stored
    checksum recomputed from the array (see include/undertow/io/checksum.hpp);
  * with --analytic: the values equal the test pattern written by
    tests/io/write_sample.cpp, value = 1 + c*1e6 + i*1e4 + j*1e2 + k + step
    for component c at global cell (i, j, k);
  * with --h5dump PATH: `h5dump -H` lists every attribute and dataset;
  * every .xmf: each cell attribute points at an existing dataset of the stated
    shape, which is the mesh's cell shape (+ components), the CoRectMesh node counts, origin and spacing match the file's grid
    (listed z, y, x) and the <Time> equals the file's time.

Usage: check_h5.py [--analytic] [--h5dump PATH] FILE.h5|FILE.xmf ...
Exits 1 and lists the problems if any check fails.
"""
import argparse
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import h5py
import numpy as np

ROOT_ATTRS = ["format_version", "undertow_version", "layout", "complete", "dim", "cells", "lower", "origin", "upper",
              "spacing", "periodic", "step", "time"]
FIELD_ATTRS = ["name", "components", "centering", "checksum", "checksum_algorithm"]
CHECKSUM_ALGORITHM = "undertow-sum64-splitmix-v1"

problems = []


def fail(where, what):
    problems.append(f"{where}: {what}")


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def mix64(z):
    """splitmix64 finaliser on a uint64 array (wrapping arithmetic)."""
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def checksum(array):
    """Sum mod 2^64 of mix(mix(n) ^ bits(value)) over the flat C-order array."""
    flat = np.ascontiguousarray(array, dtype="<f8").ravel()
    bits = flat.view("<u8").astype(np.uint64)
    n = np.arange(flat.size, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return int(mix64(mix64(n) ^ bits).sum(dtype=np.uint64))


def expected_shape(cells, components):
    """(nz, ny, nx), (ny, nx) or (1, nx) for 1D, plus (ncomp,) if ncomp > 1."""
    shape = tuple(int(c) for c in reversed(cells)) if len(cells) > 1 else (1, int(cells[0]))
    return shape + ((components,) if components > 1 else ())


def analytic(cells, components, step):
    """value[z, y, x, c] = 1 + c*1e6 + i*1e4 + j*1e2 + k + step, (i, j, k) = (x, y, z)."""
    dim = len(cells)
    full = list(cells) + [1] * (3 - dim)
    k, j, i, c = np.meshgrid(np.arange(full[2]), np.arange(full[1]), np.arange(full[0]), np.arange(components),
                             indexing="ij")
    v = 1.0 + c * 1.0e6 + i * 1.0e4 + j * 1.0e2 + k + step
    return v.reshape(expected_shape(cells, components))


def check_h5(path, want_analytic, h5dump):
    where = path
    with h5py.File(path, "r") as f:
        for name in ROOT_ATTRS:
            if name not in f.attrs:
                fail(where, f"root attribute '{name}' missing")
        if problems:
            return
        if int(f.attrs["format_version"]) != 1:
            fail(where, f"format_version {f.attrs['format_version']} != 1")
        if int(f.attrs["complete"]) != 1:
            fail(where, "completion marker is not 1")
        version = text(f.attrs["undertow_version"])
        if len(version.split(".")) != 3:
            fail(where, f"undertow_version '{version}' is not major.minor.patch")
        dim = int(f.attrs["dim"])
        cells = [int(c) for c in f.attrs["cells"]]
        lower, upper = np.asarray(f.attrs["lower"]), np.asarray(f.attrs["upper"])
        spacing = np.asarray(f.attrs["spacing"])
        if len(cells) != dim or len(lower) != dim or len(spacing) != dim or len(f.attrs["periodic"]) != dim:
            fail(where, "grid attributes do not all have 'dim' entries")
        if not np.allclose(spacing, (upper - lower) / np.asarray(cells), rtol=1e-14, atol=0):
            fail(where, f"spacing {spacing} != (upper - lower) / cells")
        if not np.array_equal(np.asarray(f.attrs["origin"]), lower):
            fail(where, "origin != lower")
        for group in ("fields", "scalars", "integers"):
            if group not in f:
                fail(where, f"group '/{group}' missing")
        step = int(f.attrs["step"])
        for name, dset in f["fields"].items():
            dwhere = f"{where}:/fields/{name}"
            for attr in FIELD_ATTRS:
                if attr not in dset.attrs:
                    fail(dwhere, f"attribute '{attr}' missing")
            if any(attr not in dset.attrs for attr in FIELD_ATTRS):
                continue
            ncomp = int(dset.attrs["components"])
            if dset.dtype != np.float64:
                fail(dwhere, f"dtype {dset.dtype}, expected float64")
            if dset.shape != expected_shape(cells, ncomp):
                fail(dwhere, f"shape {dset.shape}, expected {expected_shape(cells, ncomp)}")
                continue
            if text(dset.attrs["name"]) != name or text(dset.attrs["centering"]) != "cell":
                fail(dwhere, "attributes 'name'/'centering' wrong")
            if text(dset.attrs["checksum_algorithm"]) != CHECKSUM_ALGORITHM:
                fail(dwhere, f"checksum algorithm {text(dset.attrs['checksum_algorithm'])}")
            data = dset[...]
            stored, computed = int(dset.attrs["checksum"]), checksum(data)
            if stored != computed:
                fail(dwhere, f"checksum stored {stored:016x} != recomputed {computed:016x}")
            if want_analytic:
                want = analytic(cells, ncomp, step)
                if not np.array_equal(data, want):
                    bad = np.argwhere(data != want)[0]
                    fail(dwhere, f"value at {tuple(bad)} is {data[tuple(bad)]}, expected {want[tuple(bad)]}")
    if h5dump:
        listing = subprocess.run([h5dump, "-H", path], check=True, capture_output=True, text=True).stdout
        for name in ROOT_ATTRS + FIELD_ATTRS:
            if f'ATTRIBUTE "{name}"' not in listing:
                fail(where, f"h5dump -H does not list attribute '{name}'")
        if 'GROUP "fields"' not in listing or "DATASET" not in listing:
            fail(where, "h5dump -H does not list the fields")


def floats(s):
    return np.array([float(x) for x in s.split()])


def check_xmf(path):
    tree = ET.parse(path)
    base = os.path.dirname(os.path.abspath(path))
    grids = [g for g in tree.iter("Grid") if g.get("GridType", "Uniform") == "Uniform"]
    if not grids:
        fail(path, "no uniform grid")
    for grid in grids:
        gwhere = f"{path}, grid '{grid.get('Name')}'"
        topo, geom, time = grid.find("Topology"), grid.find("Geometry"), grid.find("Time")
        attributes = grid.findall("Attribute")
        if topo is None or geom is None or time is None or not attributes:
            fail(gwhere, "needs Topology, Geometry, Time and at least one Attribute")
            continue
        nodes = [int(n) for n in topo.get("Dimensions").split()]
        mesh_dim = len(nodes)
        if topo.get("TopologyType") != f"{mesh_dim}DCoRectMesh":
            fail(gwhere, f"topology {topo.get('TopologyType')} with {mesh_dim} dimensions")
        items = {d.get("Name"): floats(d.text) for d in geom.findall("DataItem")}
        h5files = set()
        for attr in attributes:
            item = attr.find("DataItem")
            if attr.get("Center") != "Cell" or item is None or item.get("Format") != "HDF":
                fail(gwhere, f"attribute '{attr.get('Name')}' is not cell data in HDF")
                continue
            file_part, dataset = item.text.strip().split(":", 1)
            h5path = os.path.join(base, file_part)
            h5files.add(h5path)
            dims = tuple(int(n) for n in item.get("Dimensions").split())
            with h5py.File(h5path, "r") as f:
                if dataset not in f:
                    fail(gwhere, f"{item.text.strip()} does not exist")
                    continue
                if f[dataset].shape != dims:
                    fail(gwhere, f"{dataset} has shape {f[dataset].shape}, XDMF says {dims}")
                ncomp = int(f[dataset].attrs["components"])
                # ParaView's Xdmf3 reader selects the DataItem's shape in the
                # dataset (ranks must agree, checked above); its legacy XDMF
                # reader reads it as the mesh's cells (+ a component axis).
                want = tuple(n - 1 for n in nodes) + ((ncomp,) if ncomp > 1 else ())
                if dims != want:
                    fail(gwhere, f"{dataset}: DataItem Dimensions {dims}, the mesh's cells imply {want}")
                kind = {1: "Scalar", 2: "Vector", 3: "Vector", 6: "Tensor6", 9: "Tensor"}.get(ncomp, "Matrix")
                if attr.get("AttributeType") != kind:
                    fail(gwhere, f"{dataset}: AttributeType {attr.get('AttributeType')}, expected {kind}")
        for h5path in h5files:
            with h5py.File(h5path, "r") as f:
                cells = [int(c) for c in f.attrs["cells"]]
                full = lambda v, pad: list(v) + [pad] * (mesh_dim - len(v))
                want_nodes = [c + 1 for c in reversed(full(cells, 1))]
                if nodes != want_nodes:
                    fail(gwhere, f"node counts {nodes}, expected {want_nodes}")
                lower = np.asarray(full(list(f.attrs["lower"]), 0.0))
                spacing = np.asarray(full(list(f.attrs["spacing"]), 1.0))
                if not np.array_equal(items.get("Origin"), lower[::-1]):
                    fail(gwhere, f"Origin {items.get('Origin')}, expected {lower[::-1]} (z y x)")
                if not np.array_equal(items.get("Spacing"), spacing[::-1]):
                    fail(gwhere, f"Spacing {items.get('Spacing')}, expected {spacing[::-1]} (z y x)")
                if float(time.get("Value")) != float(f.attrs["time"]):
                    fail(gwhere, f"Time {time.get('Value')} != file time {f.attrs['time']}")
    return len(grids)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--analytic", action="store_true", help="check the test pattern of write_sample")
    parser.add_argument("--h5dump", help="path of h5dump, to check `h5dump -H` lists the attributes")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    for path in args.files:
        before = len(problems)
        if not os.path.exists(path):
            fail(path, "does not exist")
        elif path.endswith(".xmf"):
            n = check_xmf(path)
            print(f"{'OK ' if len(problems) == before else 'BAD'} {path} ({n} grid(s))")
        else:
            check_h5(path, args.analytic, args.h5dump)
            print(f"{'OK ' if len(problems) == before else 'BAD'} {path}")
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
