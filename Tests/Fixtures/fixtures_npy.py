"""Small .npy files written by numpy for the NPY reader tests (Tests/DataFormatsTests/NPYReaderTests.swift).

Needs only numpy (no torch):
    PY=$(scripts/python-env.sh) && $PY Tests/Fixtures/fixtures_npy.py
(generate_fixtures.py also runs it with the other fixtures.) Every file lands in Tests/Fixtures/npy/.
Values are k / 4 - 1 for element k in C order, exact in float32 and float64.
"""
from pathlib import Path

import numpy as np
from numpy.lib import format as npformat

OUT = Path(__file__).resolve().parent / "npy"


def values(shape, dtype):
    n = int(np.prod(shape))
    return (np.arange(n, dtype=np.float64) / 4 - 1).reshape(shape).astype(dtype)


def generate(save=None):
    OUT.mkdir(exist_ok=True)
    np.save(OUT / "f4_v1.npy", values((3, 4), np.float32))
    np.save(OUT / "f8_v1.npy", values((3, 4), np.float64))
    np.save(OUT / "f4_fortran.npy", np.asfortranarray(values((3, 4), np.float32)))
    np.save(OUT / "f8_fortran_3d.npy", np.asfortranarray(values((2, 3, 4), np.float64)))
    np.save(OUT / "f4_1d.npy", values((5,), np.float32))
    np.save(OUT / "f4_3d.npy", values((2, 3, 4), np.float32))
    np.save(OUT / "i8.npy", np.arange(6, dtype=np.int64).reshape(2, 3))
    for version in [(2, 0), (3, 0)]:
        with open(OUT / f"f4_v{version[0]}.npy", "wb") as f:
            npformat.write_array(f, values((3, 4), np.float32), version=version)


if __name__ == "__main__":
    generate()
    print("fixtures_npy.py: done")
