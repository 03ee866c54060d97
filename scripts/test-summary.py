#!/usr/bin/env python3
"""Prints 'N passed, N failed, N skipped' from the TRX files dotnet test wrote, and exits non-zero on any failure.

dotnet test's own summary ('Passed! - Failed: 0, Passed: 8 ...') is one line per assembly; CI wants one line
for the whole run, from the real counts.
"""
import glob
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}


def main(results_dir: str, runner_status: int) -> int:
    files = sorted(glob.glob(f"{results_dir}/**/*.trx", recursive=True))
    passed = failed = skipped = 0
    for path in files:
        counters = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", NS)
        if counters is None:
            continue
        passed += int(counters.get("passed", 0))
        failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
        skipped += int(counters.get("notExecuted", 0))
    if runner_status != 0 and failed == 0:
        # The runner failed outside any test (a crashed host, a fixture that could not clean up): count it.
        print(f"dotnet test exited with {runner_status} although no test reported a failure", file=sys.stderr)
        failed = 1
    if not files:
        print(f"no TRX results found under {results_dir}", file=sys.stderr)
        failed = max(failed, 1)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0))
