"""report.py - the pass/fail reporter of the Python suites under tests/.

One line a check: `ok   NAME`, or `FAIL NAME` with the reason's first lines indented below
it; `skip NAME: WHY` for what could not be checked here. A suite's last line is `summary()`:
`N passed, N failed`, with `, N skipped` after it when something was skipped (run_all.py
reads that line). With counts_path, the counts are also kept in that file as `PASSED FAILED`
after every check, for a wrapper that prints them when the suite is killed.

tests/e2e/kube_e2e.py's ScenarioReport builds on it; report.sh is the shell suites' side.
A suite imports it with tests/lib on sys.path:
    sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
    from report import Report
Standard library only.
"""
import os


class Report:
    """Counts and prints the checks of one suite run."""

    def __init__(self, why_lines=30, counts_path=None):
        self.passed = self.failed = self.skipped = 0
        self.why_lines = why_lines
        self.counts_path = counts_path
        self.save()

    def save(self):
        """Writes the counts to counts_path (at once: a reader never sees half a file)."""
        if not self.counts_path:
            return
        with open(self.counts_path + ".tmp", "w") as f:
            f.write(f"{self.passed} {self.failed}\n")
        os.replace(self.counts_path + ".tmp", self.counts_path)

    def ok(self, name):
        """One check passed."""
        self.passed += 1
        print(f"ok   {name}", flush=True)
        self.save()

    def bad(self, name, why=""):
        """One check failed; why (any object) is printed below, its first why_lines lines."""
        self.failed += 1
        print(f"FAIL {name}", flush=True)
        for line in str(why).strip().splitlines()[:self.why_lines]:
            print(f"     {line}", flush=True)
        self.save()

    def check(self, cond, name, why=""):
        """ok when cond is true, else bad with why; returns cond."""
        if cond:
            self.ok(name)
        else:
            self.bad(name, why)
        return cond

    def skip(self, name, why):
        """Something that could not be checked here, and why: counted apart."""
        self.skipped += 1
        print(f"skip {name}: {why}", flush=True)

    def summary(self):
        """`N passed, N failed` (`, N skipped` when something was skipped)."""
        line = f"{self.passed} passed, {self.failed} failed"
        if self.skipped:
            line += f", {self.skipped} skipped"
        return line

    def finish(self):
        """Prints the summary, the suite's last line; returns the exit status (1 on a failure)."""
        print(self.summary(), flush=True)
        return 1 if self.failed else 0
