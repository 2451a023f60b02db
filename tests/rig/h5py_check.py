#!/usr/bin/python3
"""Cross-check of the rig's response files against h5py (Debian's python3-h5py), both ways.

1. The .mat files the simulated rig's writer makes (MATLAB v7.3 through matio) are read the way
   XDream's load_block_mat reads a block: f['stimulusID'] holds object references, each name is
   ''.join(chr(c) for c in f[ref][:].flatten()), the references are row 0 of the dataset (HDF5
   shape (1, N): MATLAB's N x 1 cell), and f['tEvokedResp'][:] has the images on axis 0. The
   names, values and channel labels must equal what was written.
2. Files h5py writes (.h5 with variable-length or byte strings, indices; a .mat laid out as MATLAB
   does but with h5py's own string attributes) are read by the C++ reader, which must find what
   h5py wrote.

    /usr/bin/python3 tests/rig/h5py_check.py PATH/TO/xdream_rig_h5py_fixtures

Prints one "FAIL ..." line per mismatch and exits 1 if there was any.
"""
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

failures = []


def fail(message):
    failures.append(message)
    print("FAIL", message)


def same_values(got, expected):
    """Row lists (None = NaN) against a 2-D array or row lists."""
    got = [[math.nan if v is None else float(v) for v in row] for row in got]
    expected = [[math.nan if v is None else float(v) for v in row] for row in expected]
    if len(got) != len(expected):
        return False
    for a_row, b_row in zip(got, expected):
        if len(a_row) != len(b_row):
            return False
        for a, b in zip(a_row, b_row):
            if math.isnan(a) != math.isnan(b) or (not math.isnan(a) and a != b):
                return False
    return True


def cell_strings(f, name, row_cell):
    """A cell of char as XDream reads stimulusID: row 0 of the references of a (1, N) dataset."""
    refs = f[name]
    if row_cell:
        # MATLAB's 1 x N cell is HDF5 shape (N, 1); XDream's refs[0] would see only its first
        # entry, so the whole column is taken here.
        if refs.shape[1] != 1:
            fail(f"{name}: a 1 x N cell should have HDF5 shape (N, 1), not {refs.shape}")
        row = refs[:, 0]
    else:
        if refs.shape[0] != 1:
            fail(f"{name}: an N x 1 cell should have HDF5 shape (1, N), not {refs.shape}")
        row = refs[0]
    return ["".join(chr(c) for c in f[ref][:].flatten()) for ref in row]


def check_written_by_cpp(fixtures, directory):
    subprocess.run([fixtures, "write", str(directory)], check=True)
    expected = json.loads((directory / "expected.json").read_text())
    for case in expected:
        path = directory / case["file"]
        with open(path, "rb") as raw:
            header = raw.read(128)
        if not header.startswith(b"MATLAB 7.3 MAT-file") or header[124:128] != b"\x00\x02IM":
            fail(f"{case['file']}: not a MATLAB v7.3 header: {header[:20]!r} {header[124:]!r}")
        with h5py.File(path, "r") as f:
            names = cell_strings(f, "stimulusID", case["row_cell"])
            if names != case["names"]:
                fail(f"{case['file']}: stimulusID {names} != {case['names']}")
            response = f["tEvokedResp"][:]
            if case["transposed"]:
                response = response.T
            if response.shape != (len(case["names"]), len(case["channels"])):
                fail(f"{case['file']}: tEvokedResp axis 0 = images: shape {response.shape}")
            if not same_values(response.tolist(), case["values"]):
                fail(f"{case['file']}: tEvokedResp {response.tolist()} != {case['values']}")
            labels = cell_strings(f, "channelLabels", False)
            if labels != case["channels"]:
                fail(f"{case['file']}: channelLabels {labels} != {case['channels']}")
            stimulus_class = f["stimulusID"].attrs["MATLAB_class"]
            matrix_class = f["tEvokedResp"].attrs["MATLAB_class"]
            if stimulus_class != b"cell" or matrix_class != b"double":
                fail(f"{case['file']}: MATLAB_class {stimulus_class!r} / {matrix_class!r}")
            padding = f["stimulusID"].attrs.get_id("MATLAB_class").get_type().get_strpad()
            wanted = h5py.h5t.STR_NULLPAD if case["h5py_strings"] else h5py.h5t.STR_NULLTERM
            if padding != wanted:
                fail(f"{case['file']}: stimulusID's MATLAB_class padding {padding} != {wanted}")
        print(f"ok   {case['file']}: {len(names)} names, {len(case['channels'])} channels")


def read_with_cpp(fixtures, path, images=()):
    out = subprocess.run([fixtures, "read", str(path), *images], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def check_table(label, table, names, values, channels, transposed=False):
    before = len(failures)
    if "error" in table:
        fail(f"{label}: refused: {table['error']}")
        return
    if table["names"] != names:
        fail(f"{label}: names {table['names']} != {names}")
    if table["channels"] != channels:
        fail(f"{label}: channels {table['channels']} != {channels}")
    if not same_values(table["values"], values):
        fail(f"{label}: values {table['values']} != {values}")
    if table["transposed"] != transposed:
        fail(f"{label}: transposed {table['transposed']} != {transposed}")
    if len(failures) == before:
        print(f"ok   {label}")


def write_matlab_like(path, names, values, attribute):
    """A .mat laid out as MATLAB does (512-byte header, #refs#, uint16 chars), written by h5py
    with `attribute(text)` making each MATLAB_class value."""
    with h5py.File(path, "w", userblock_size=512) as f:
        refs_group = f.create_group("#refs#")
        refs = []
        for i, name in enumerate(names):
            chars = np.array([[ord(c)] for c in name], dtype=np.uint16)
            d = refs_group.create_dataset(format(i, "x"), data=chars)
            d.attrs["MATLAB_class"] = attribute("char")
            d.attrs["MATLAB_int_decode"] = np.int32(2)
            refs.append(d.ref)
        cell = f.create_dataset("stimulusID", data=np.array([refs], dtype=h5py.ref_dtype))
        cell.attrs["MATLAB_class"] = attribute("cell")
        matrix = f.create_dataset("tEvokedResp", data=np.array(values, dtype=np.float64))
        matrix.attrs["MATLAB_class"] = attribute("double")
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created by: h5py".ljust(116, b" ")
    header += b"\x00" * 8 + b"\x00\x02IM"
    with open(path, "r+b") as raw:
        raw.write(header)


def check_written_by_h5py(fixtures, directory):
    names = ["block003_000_0a1b2c3d-g1-0.png", "block003_001_ref-x.png", "0a1b2c3d-g1-2"]
    values = [[1.0, 2.0], [3.0, math.nan], [5.0, 6.0]]

    path = directory / "vlen.h5"
    with h5py.File(path, "w") as f:
        f["scores"] = np.array(values, dtype=np.float32)
        f.create_dataset("stim_ids", data=names, dtype=h5py.string_dtype())
        f.create_dataset("channels", data=["ch1", "ch2"], dtype=h5py.string_dtype())
    check_table("h5py .h5, variable-length strings, float32", read_with_cpp(fixtures, path),
                names, values, ["ch1", "ch2"])

    path = directory / "bytes.h5"
    with h5py.File(path, "w") as f:
        f["scores"] = np.array(values)
        f["stim_ids"] = np.array([n.encode() for n in names])  # fixed-length, null-padded
    check_table("h5py .h5, byte strings", read_with_cpp(fixtures, path), names, values, [])

    path = directory / "indices.h5"
    images = ["block003_002_c.png", "block003_000_a.png", "block003_001_b.png"]
    with h5py.File(path, "w") as f:
        f["scores"] = np.array(values)
        f["indices"] = np.array([2, 0, 2], dtype=np.int64)
    check_table("h5py .h5, indices into the sorted file names",
                read_with_cpp(fixtures, path, images),
                ["block003_002_c.png", "block003_000_a.png", "block003_002_c.png"], values, [])

    # MATLAB's layout, h5py's strings: fixed-length null-padded (NumPy bytes) and
    # variable-length (Python str) MATLAB_class attributes.
    for label, attribute in [("null-padded", np.bytes_), ("variable-length", str)]:
        path = directory / f"h5py_{label}.mat"
        write_matlab_like(path, names, values, attribute)
        check_table(f"h5py .mat, {label} MATLAB_class", read_with_cpp(fixtures, path), names,
                    values, [])

    # A wrong shape from h5py is refused, not retryable, naming the variable and the shape.
    path = directory / "wrong.mat"
    write_matlab_like(path, names, [[1.0, 2.0, 3.0, 4.0]] * 2, np.bytes_)
    table = read_with_cpp(fixtures, path)
    if "error" not in table or table["retryable"] or "HDF5 shape (2, 4)" not in table["error"]:
        fail(f"h5py .mat of a wrong shape: {table}")
    else:
        print("ok   h5py .mat of a wrong shape refused:", table["error"])


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    fixtures = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="xdream-rig-h5py-") as temp:
        directory = Path(temp)
        check_written_by_cpp(fixtures, directory)
        check_written_by_h5py(fixtures, directory)
    print(f"h5py {h5py.__version__}, HDF5 {h5py.version.hdf5_version}: "
          f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
