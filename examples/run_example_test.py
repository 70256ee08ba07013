#!/usr/bin/env python3
"""Runs one example at its smallest size under memwatch and checks that the JSON report shows what memwatch
must have seen (ctest driver for examples/CMakeLists.txt). Exit 0 pass, 1 fail, 77 skip (a tool is missing)."""

import argparse
import json
import os
import shutil
import subprocess
import sys

SKIP = 77
BUILD_PIPELINE_PROGRAMS = ("python3", "cc", "ar", "cargo", "rustc", "node", "perl")
MPI_SIZE = 262144  # elements of 32 bytes: 8 MiB of domain, 4 MiB per rank at 2 ranks
MPI_RANKS = 2
MANY_SMALL_FILES_COUNT = 200


class CheckFailed(Exception):
    pass


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(SKIP)


def image_names(proc):
    """Basenames a process went by: each image's argv[0] and executable, and its command's first word."""
    names = set()
    for image in proc.get("images") or []:
        argv = image.get("argv") or []
        if argv:
            names.add(os.path.basename(argv[0]))
        if image.get("exe"):
            names.add(os.path.basename(image["exe"]))
    command = proc.get("command") or ""
    if command:
        names.add(os.path.basename(command.split()[0]))
    return names


def name_matches(names, wanted):
    # "python3" also names python3.11; "cc" must not name cc1.
    return any(n == wanted or n.startswith(wanted + ".") for n in names)


def procs_named(report, wanted):
    return [p for p in report["processes"] if name_matches(image_names(p), wanted)]


def run_under_memwatch(args, command, tag="report"):
    json_path = os.path.join(args.work, f"{tag}.json")
    if os.path.exists(json_path):
        os.remove(json_path)
    argv = [args.memwatch, "run", f"--json={json_path}", "--interval", "100ms", "--", *command]
    print("+", " ".join(argv), flush=True)
    result = subprocess.run(argv, check=False)
    if result.returncode != 0:
        raise CheckFailed(f"memwatch run exited {result.returncode}")
    with open(json_path, encoding="utf-8") as f:
        report = json.load(f)
    if report.get("exit_code") != 0:
        raise CheckFailed(f"report says exit_code {report.get('exit_code')}")
    if not report.get("processes"):
        raise CheckFailed("report lists no process")
    print(f"report: {report['process_count']} processes, {report['exact_peak_count']} exact peaks, "
          f"agent {report['agent']}, max total {report['max_total_rss_kib']} KiB")
    return report


def check_build_pipeline(args):
    example = os.path.join(args.source, "build_pipeline")
    tools = subprocess.run(["make", "-s", "-C", example, "check-tools"], capture_output=True, text=True,
                           check=False)
    if tools.returncode != 0:
        skip(tools.stdout.strip() or tools.stderr.strip() or "make check-tools failed")
    build_dir = os.path.join(args.work, "build")
    shutil.rmtree(build_dir, ignore_errors=True)
    report = run_under_memwatch(args, ["make", "-C", example, "SIZE=small", f"BUILD_DIR={build_dir}"])
    for program in BUILD_PIPELINE_PROGRAMS:
        procs = procs_named(report, program)
        if not procs:
            raise CheckFailed(f"no process of '{program}' in the report")
        if not any(p["max_rss_kib"] > 0 for p in procs):
            raise CheckFailed(f"every '{program}' process has a zero peak")
        print(f"  {program:8s} {len(procs):3d} process(es), largest peak {max(p['max_rss_kib'] for p in procs)} KiB")
    tarball = os.path.join(build_dir, "small-debug", "dist", "pipeline-small-debug.tar.gz")
    if not os.path.isfile(tarball):
        raise CheckFailed(f"the pipeline did not produce {tarball}")


def mpi_command(args):
    if not args.mpi_binary:
        skip("the MPI example was not built: CMake found no MPI (apt-get install libopenmpi-dev openmpi-bin, "
             "then re-run cmake)")
    mpiexec = shutil.which(args.mpiexec or "mpirun")
    if not mpiexec:
        skip(f"'{args.mpiexec or 'mpirun'}' not found in PATH (apt-get install openmpi-bin)")
    version = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, check=False)
    flags = []
    text = version.stdout + version.stderr
    if "Open MPI" in text or "OpenRTE" in text:
        flags.append("--oversubscribe")  # CI machines may have fewer cores than ranks
        if os.geteuid() == 0:
            flags.append("--allow-run-as-root")
    return [mpiexec, *flags, "-n", str(MPI_RANKS), args.mpi_binary, "--size", str(MPI_SIZE), "--phase-ms", "300"]


def check_mpi(args):
    report = run_under_memwatch(args, mpi_command(args))
    ranks = procs_named(report, "mpi_distributed_compute")
    if len({p["pid"] for p in ranks}) != MPI_RANKS:
        raise CheckFailed(f"{len(ranks)} rank processes in the report, expected {MPI_RANKS}")
    # Each rank holds its share plus two work buffers as large (phase 3), all touched.
    floor_kib = 3 * (MPI_SIZE // MPI_RANKS) * 32 // 1024
    for p in ranks:
        print(f"  rank pid {p['pid']}: peak {p['max_rss_kib']} KiB ({p['peak_kind']})")
        if p["max_rss_kib"] < floor_kib:
            raise CheckFailed(f"rank pid {p['pid']} peak {p['max_rss_kib']} KiB < {floor_kib} KiB it must hold")


def check_many_small_files(args):
    if not shutil.which("cc"):
        skip("no C compiler 'cc' in PATH (apt-get install gcc)")
    example = os.path.join(args.source, "many_small_files")
    build_dir = os.path.join(args.work, "build")
    shutil.rmtree(build_dir, ignore_errors=True)
    report = run_under_memwatch(args, ["make", "-C", example, "-j2", f"COUNT={MANY_SMALL_FILES_COUNT}",
                                       f"BUILD_DIR={build_dir}"])
    src = os.path.join(build_dir, f"n{MANY_SMALL_FILES_COUNT}", "src")
    c_files = len([n for n in os.listdir(src) if n.endswith(".c")])
    counts = {name: len(procs_named(report, name)) for name in ("cc", "cc1", "as", "collect2", "ld")}
    print(f"  {c_files} C files; processes: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if not report["agent"]:
        raise CheckFailed("the report says the agent was off: compiler processes cannot all be counted")
    for name in ("cc1", "as"):
        if counts[name] != c_files:
            raise CheckFailed(f"{counts[name]} {name} processes for {c_files} C files")
    if counts["collect2"] < 1 or counts["ld"] < 1:
        raise CheckFailed("the link step (collect2, ld) is missing")
    # The cc1 image itself must carry the agent's exact peak; the process may also hold a pre-exec image
    # the poller saw first (a vfork child of cc), which the agent cannot report.
    cc1_images = [img for p in report["processes"] for img in p.get("images") or []
                  if os.path.basename((img.get("argv") or [""])[0]) == "cc1"]
    inexact = [img for img in cc1_images if img.get("peak_kind") != "exact" or not img.get("peak_kib")]
    if len(cc1_images) != c_files or inexact:
        raise CheckFailed(f"{len(cc1_images)} cc1 images, {len(inexact)} of them without an exact peak")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("example", choices=("build_pipeline", "mpi", "many_small_files"))
    parser.add_argument("--memwatch", required=True)
    parser.add_argument("--source", required=True, help="the examples/ folder")
    parser.add_argument("--work", required=True, help="scratch folder for builds and reports")
    parser.add_argument("--mpi-binary")
    parser.add_argument("--no-mpi-binary", dest="mpi_binary", action="store_const", const=None)
    parser.add_argument("--mpiexec")
    args = parser.parse_args()
    if not os.access(args.memwatch, os.X_OK):
        print(f"FAIL: memwatch '{args.memwatch}' is not executable")
        return 1
    os.makedirs(args.work, exist_ok=True)
    checks = {"build_pipeline": check_build_pipeline, "mpi": check_mpi, "many_small_files": check_many_small_files}
    try:
        checks[args.example](args)
    except CheckFailed as e:
        print(f"FAIL: {args.example}: {e}")
        return 1
    print(f"PASS: {args.example}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
