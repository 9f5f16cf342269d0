#!/usr/bin/python3
"""Generate the HDF5 cell fields of the sample meshes in meshes/.

Each meshes/<name>.toml is the single source of truth for its grid: this script
reads it (tomllib), computes every cell field it declares at the cell centres and
writes the HDF5 files it references, in the layout the loader expects (C order, x
fastest: (nx,), (ny, nx), (nz, ny, nx); see meshes/README.md). Output is
deterministic (no timestamps), so regenerating gives identical data.

Usage (Debian's numpy/h5py are installed for /usr/bin/python3):
    /usr/bin/python3 scripts/make_meshes.py           # (re)write meshes/*.h5
    /usr/bin/python3 scripts/make_meshes.py --check   # verify them, write nothing
"""
import argparse
import pathlib
import sys
import tomllib

import h5py
import numpy as np

MESHES = pathlib.Path(__file__).resolve().parent.parent / "meshes"
KM = 1000.0


def cell_centres(grid):
    """Cell-centre coordinates, one 1D array per dimension, x first."""
    origin = grid.get("origin", [0.0] * grid["dimension"])
    return [o + (np.arange(n) + 0.5) * (length / n) for n, length, o in zip(grid["cells"], grid["length"], origin)]


def ring1d(grid):
    (x,) = cell_centres(grid)
    return {"conductivity": 1.0 + 0.5 * np.sin(2.0 * np.pi * x)}


def channel2d(grid):
    x, y = cell_centres(grid)
    Y, X = np.meshgrid(y, x, indexing="ij")  # shape (ny, nx)
    wall_distance = np.minimum(Y, grid["length"][1] - Y)
    diffusivity = 0.01 + 0.02 * np.exp(-wall_distance / 0.05)
    fluid = ((X - 1.0) ** 2 + (Y - 0.5) ** 2 >= 0.15**2).astype(np.uint8)
    return {"diffusivity": diffusivity, "fluid": fluid}


def coastal_basin(grid):
    x, y = cell_centres(grid)
    Y, X = np.meshgrid(y, x, indexing="ij")  # shape (ny, nx), metres
    # Coastline: a bay (coast pushed east) around y = 120 km, a headland (pushed
    # west) around y = 50 km. s = distance offshore of the coast, along x.
    coast = 228 * KM + 14 * KM * np.exp(-(((Y - 120 * KM) / (18 * KM)) ** 2)) \
        - 12 * KM * np.exp(-(((Y - 50 * KM) / (12 * KM)) ** 2))
    s = coast - X
    # Shelf and beach: 0 m at the coast, 150 m at 70 km offshore; land rises inland.
    shelf = np.where(s >= 0, 150.0 * np.clip(s / (70 * KM), 0.0, 1.0), np.maximum(0.004 * s, -100.0))
    # Continental slope near x = 130 km down to the 4000 m abyssal plain.
    deep = (4000.0 - 150.0) * 0.5 * (1.0 - np.tanh((X - 130 * KM) / (12 * KM)))
    depth = shelf + deep
    # A seamount offshore and an island on the shelf.
    depth -= 2500.0 * np.exp(-((X - 70 * KM) ** 2 + (Y - 60 * KM) ** 2) / (15 * KM) ** 2)
    depth -= 200.0 * np.exp(-((X - 180 * KM) ** 2 + (Y - 150 * KM) ** 2) / (10 * KM) ** 2)
    return {"bathymetry": depth, "water_mask": (depth > 0.0).astype(np.uint8)}


def box3d(grid):
    x, y, z = cell_centres(grid)
    Lx, Ly, _ = grid["length"]
    Z, Y, X = np.meshgrid(z, y, x, indexing="ij")  # shape (nz, ny, nx)
    k = 1.0 + 0.2 * np.sin(2.0 * np.pi * X / Lx) * np.cos(2.0 * np.pi * Y / Ly)
    k[(X - 0.3) ** 2 + (Y - 0.3) ** 2 + (Z - 0.4) ** 2 < 0.15**2] = 5.0
    k[(X - 0.85) ** 2 + (Y - 0.7) ** 2 + (Z - 0.3) ** 2 < 0.12**2] = 0.2
    return {"conductivity": k}


GENERATORS = {"ring1d": ring1d, "channel2d": channel2d, "coastal_basin": coastal_basin, "box3d": box3d}


def build(toml_path):
    """{h5 path: [(dataset, array, attrs)]} for one mesh file."""
    with open(toml_path, "rb") as f:
        mesh = tomllib.load(f)
    name = mesh["name"]
    grid = mesh["grid"]
    data = GENERATORS[name](grid)
    shape = tuple(reversed(grid["cells"]))
    files = {}
    for field_name, field in mesh.get("fields", {}).items():
        array = data[field["dataset"]]
        if array.shape != shape:
            sys.exit(f"{toml_path}: generator gave {field['dataset']} shape {array.shape}, expected {shape}")
        if (field["kind"] == "mask") != np.issubdtype(array.dtype, np.integer):
            sys.exit(f"{toml_path}: {field['dataset']} has dtype {array.dtype}, wrong for kind {field['kind']}")
        attrs = {"kind": field["kind"], "units": field.get("units", ""), "description": field.get("description", "")}
        files.setdefault(toml_path.parent / field["file"], []).append((field["dataset"], array, attrs))
    return name, shape, files


def write(path, mesh_name, shape, datasets):
    with h5py.File(path, "w", libver="earliest", track_order=False) as f:
        f.attrs["mesh"] = mesh_name
        f.attrs["generated_by"] = "scripts/make_meshes.py"
        f.attrs["layout"] = "C order, x fastest: (nx,), (ny, nx) or (nz, ny, nx)"
        f.attrs["shape"] = np.array(shape, dtype=np.int64)
        for dataset, array, attrs in datasets:
            d = f.create_dataset(dataset, data=array, track_times=False)
            for key, value in attrs.items():
                d.attrs[key] = value


def check(path, datasets):
    if not path.exists():
        return [f"{path}: missing"]
    problems = []
    with h5py.File(path, "r") as f:
        for dataset, array, _ in datasets:
            if dataset not in f:
                problems.append(f"{path}: no dataset {dataset}")
            else:
                stored = f[dataset][()]
                # numpy's sin/cos/exp pick SIMD code by CPU: the last bit may differ
                # from the machine that wrote the file, so compare to round-off.
                if stored.dtype != array.dtype or stored.shape != array.shape or not np.allclose(
                        stored, array, rtol=1e-12, atol=0.0):
                    problems.append(f"{path}: dataset {dataset} differs from what the script generates")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the files instead of writing them")
    args = parser.parse_args()
    problems = []
    for toml_path in sorted(MESHES.glob("*.toml")):
        name, shape, files = build(toml_path)
        for path, datasets in files.items():
            if args.check:
                problems += check(path, datasets)
            else:
                write(path, name, shape, datasets)
                print(f"wrote {path.relative_to(MESHES.parent)} ({path.stat().st_size} bytes): "
                      + ", ".join(f"{d} {a.dtype}{list(a.shape)}" for d, a, _ in datasets))
    for p in problems:
        print(p, file=sys.stderr)
    if args.check:
        print("meshes: " + ("OK" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
