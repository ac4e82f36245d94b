"""pytest plugin that turns spead2's own test suite into a gate for
lightspead (loaded by ./run as ``-p gate``).

expected.txt lists, in sections headed ``[CATEGORY] reason``, the tests
that are not expected to pass on lightspead; every other test must pass.

- ``skip-ibverbs``, ``skip-network``: not counted (spead2's suite on a
  machine without ibverbs or non-loopback networking; the issue's count of
  425 leaves them out). Skipped.
- ``skip-root``: tests that spead2 itself skips when run as root, as the
  gate is (so spead2 passes 424 of the 425 here). Counted, skipped; the
  reason says where lightspead's own tests cover the behaviour.
- ``todo``: known failures still to be fixed. Run as strict xfail, so a
  todo test that passes fails the run until its line is deleted.
- ``todo-racy``: known failures that pass or fail by timing; the reason
  says what decides it. Run as non-strict xfail; counted as todo.

An entry is a pytest node ID, matching that test and everything under it
(a file, a class, a test with all its parameters), or a pattern with ``*``.
The denominator is what the real spead2 collects (SPEAD2_SUITE_COLLECTED):
a test lightspead cannot collect counts as failed, and fails the gate
unless listed.
"""

from __future__ import annotations

import fnmatch
import os
import re
from typing import Optional

import pytest

# No category for deliberate differences: where lightspead adds to spead2
# (discard counters, say), spead2's own names must still behave as spead2's.
CATEGORIES = ("skip-ibverbs", "skip-network", "skip-root", "todo", "todo-racy")
NOT_COUNTED = ("skip-ibverbs", "skip-network")


class Expected:
    def __init__(self, path: str) -> None:
        self.entries: list[tuple[str, str, str]] = []    # (entry, category, reason)
        category = reason = None
        with open(path) as f:
            for number, raw in enumerate(f, 1):
                line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("[") else raw.strip()
                if not line:
                    continue
                header = re.fullmatch(r"\[([a-z-]+)\]\s*(.*)", line)
                if header:
                    category, reason = header.group(1), header.group(2)
                    if category not in CATEGORIES or not reason:
                        raise pytest.UsageError(f"{path}:{number}: section needs a known category and a reason")
                    continue
                if category is None or reason is None:
                    raise pytest.UsageError(f"{path}:{number}: entry before any [category] header")
                self.entries.append((line, category, reason))

    @staticmethod
    def _matches(entry: str, nodeid: str) -> bool:
        if "*" in entry:
            return fnmatch.fnmatchcase(nodeid, entry.replace("[", "[[]"))
        return nodeid == entry or nodeid.startswith(entry + "::") or nodeid.startswith(entry + "[")

    def lookup(self, nodeid: str) -> Optional[tuple[str, str, str]]:
        for entry in self.entries:
            if self._matches(entry[0], nodeid):
                return entry
        return None


class Gate:
    def __init__(self, config: pytest.Config) -> None:
        self.expected = Expected(os.environ["SPEAD2_SUITE_EXPECTED"])
        with open(os.environ["SPEAD2_SUITE_COLLECTED"]) as f:
            self.spead2_ids = [line.strip() for line in f if "::" in line]
        self.outcomes: dict[str, str] = {}
        self.broken_files: dict[str, str] = {}      # file -> collection error
        self.used: set[str] = set()

    # Whole files listed as skip-* are not imported at all
    @pytest.hookimpl
    def pytest_ignore_collect(self, collection_path, config):
        rel = os.path.relpath(str(collection_path), str(config.rootpath))
        found = self.expected.lookup(rel)
        if found is not None and found[0] == rel and found[1].startswith("skip-"):
            self.used.add(found[0])
            return True
        return None

    @pytest.hookimpl
    def pytest_collectreport(self, report):
        if report.failed:
            self.broken_files[report.nodeid] = str(report.longrepr).strip().splitlines()[-1]

    @pytest.hookimpl
    def pytest_collection_modifyitems(self, items):
        for item in items:
            found = self.expected.lookup(item.nodeid)
            if found is None:
                continue
            self.used.add(found[0])
            entry, category, reason = found
            if category.startswith("skip-"):
                item.add_marker(pytest.mark.skip(reason=f"{category}: {reason}"))
            else:
                strict = category != "todo-racy"
                item.add_marker(pytest.mark.xfail(strict=strict, reason=f"{category}: {reason}"))

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.outcome != "passed":
            previous = self.outcomes.get(report.nodeid)
            if previous is None or previous == "passed":
                self.outcomes[report.nodeid] = "xfailed" if hasattr(report, "wasxfail") else report.outcome

    @pytest.hookimpl
    def pytest_sessionfinish(self, session, exitstatus):
        """Classify every test spead2 collects; the gate's verdict replaces
        pytest's exit status (a listed file that fails to import, or a todo
        test failing, is expected)."""
        self.counted = self.passed = self.root = self.todo = 0
        self.unexpected: list[str] = []
        for nodeid in self.spead2_ids:
            found = self.expected.lookup(nodeid)
            category = found[1] if found else None
            if category in NOT_COUNTED:
                continue
            self.counted += 1
            outcome = self.outcomes.get(nodeid)
            if found is not None:
                self.used.add(found[0])
            if category == "skip-root":
                self.root += 1
            elif category == "todo-racy":
                self.todo += 1
            elif category == "todo":
                if outcome == "failed":     # XPASS(strict): fixed
                    self.unexpected.append(f"{nodeid}: passes now, delete its todo entry ({found[0]})")
                else:
                    self.todo += 1
            elif outcome == "passed":
                self.passed += 1
            elif outcome is None:
                broken = [error for path, error in self.broken_files.items() if nodeid.startswith(path + "::")]
                self.unexpected.append(f"{nodeid}: not run on lightspead" + (f" ({broken[0]})" if broken else ""))
            else:
                self.unexpected.append(f"{nodeid}: {outcome}")
        self.extra = sorted(set(self.outcomes) - set(self.spead2_ids))
        self.stale = [entry for entry, _, _ in self.expected.entries if entry not in self.used]
        failed = self.unexpected or self.extra or self.stale
        session.exitstatus = pytest.ExitCode.TESTS_FAILED if failed else pytest.ExitCode.OK

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter):
        write = terminalreporter.write_line
        write("")
        for line in self.unexpected:
            write(f"UNEXPECTED {line}", red=True)
        for nodeid in self.extra:
            write(f"UNEXPECTED collected on lightspead only: {nodeid}", red=True)
        for entry in self.stale:
            write(f"STALE expected.txt entry matches nothing: {entry}", red=True)
        write(f"spead2 suite on lightspead: {self.passed} of {self.counted} passed "
              f"({self.root} skipped as root as spead2 does, "
              f"{self.todo} todo, "
              f"{len(self.unexpected)} unexpected; ibverbs and non-loopback tests not counted)", bold=True)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(Gate(config), "spead2-suite-gate")
