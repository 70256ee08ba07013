#!/usr/bin/env python3
"""Phase 6 of build_pipeline: checks SHA256SUMS (phase 5) and packs the binary, data and test results
into a reproducible tarball (fixed mtimes, owners and order)."""

import argparse
import gzip
import hashlib
import os
import sys
import tarfile


def check_sums(sums_path, data_dir):
    with open(sums_path, encoding="ascii") as sums:
        for line in sums:
            digest, name = line.rstrip("\n").split("  ", 1)
            with open(os.path.join(data_dir, name), "rb") as f:
                actual = hashlib.sha256(f.read()).hexdigest()
            if actual != digest:
                raise SystemExit(f"package.py: {name}: sha256 {actual}, SHA256SUMS says {digest}")


def add_file(tar, path, arcname):
    info = tar.gettarinfo(path, arcname)
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    with open(path, "rb") as f:
        tar.addfile(info, f)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--data", required=True, help="folder with manifest.json, tables.bin, SHA256SUMS")
    parser.add_argument("--binary", required=True)
    parser.add_argument("--results", required=True, help="the Node.js test's results")
    args = parser.parse_args()

    check_sums(os.path.join(args.data, "SHA256SUMS"), args.data)
    files = [
        (args.binary, "bin/pipeline"),
        (os.path.join(args.data, "manifest.json"), "data/manifest.json"),
        (os.path.join(args.data, "tables.bin"), "data/tables.bin"),
        (os.path.join(args.data, "SHA256SUMS"), "data/SHA256SUMS"),
        (args.results, "test/results.json"),
    ]
    tmp = args.out + ".tmp"
    # gzip with mtime 0 so two runs of the same SIZE give byte-identical tarballs.
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for path, arcname in files:
                    add_file(tar, path, "pipeline/" + arcname)
    os.replace(tmp, args.out)
    print(f"package.py: wrote {args.out} ({os.path.getsize(args.out)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
