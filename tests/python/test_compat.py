"""lightspead.compat: spead2 programs run on lightspead unchanged. Each test
runs in a fresh interpreter, since the hook changes the import system. The
test environment has the real spead2 installed (the interop peer), so the
hook must refuse to hide it unless asked to."""

import subprocess
import sys
import textwrap

import pytest


def run_python(code, *args, check=True):
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args],
                            capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        pytest.fail(f"subprocess failed:\n{result.stdout}\n{result.stderr}")
    return result


def test_modules_resolve_to_lightspead():
    run_python("""
        import lightspead.compat
        lightspead.compat.install(shadow=True)
        import spead2, spead2.send, spead2.send.asyncio, spead2.recv, spead2.recv.asyncio
        import lightspead, lightspead.send.asyncio, lightspead.recv.asyncio
        assert spead2 is lightspead
        assert spead2.send.asyncio is lightspead.send.asyncio
        assert spead2.recv.asyncio is lightspead.recv.asyncio
        from spead2.send.asyncio import UdpStream
        assert UdpStream is lightspead.send.asyncio.UdpStream
        # The lightspead modules keep their own identity
        assert lightspead.__spec__.name == "lightspead"
        assert lightspead.send.asyncio.__spec__.name == "lightspead.send.asyncio"
        assert lightspead.compat.is_installed()
    """)


def test_refuses_to_hide_installed_spead2():
    result = run_python("""
        import lightspead.compat
        try:
            lightspead.compat.install()
        except ImportError as error:
            print(error)
        else:
            raise SystemExit("installed over a real spead2")
        import spead2
        assert spead2.__name__ == "spead2" and hasattr(spead2, "_spead2"), "real spead2 expected"
    """)
    assert "shadow=True" in result.stdout


def test_refuses_after_spead2_was_imported():
    result = run_python("""
        import spead2
        import lightspead.compat
        try:
            lightspead.compat.install(shadow=True)
        except ImportError as error:
            print(error)
        else:
            raise SystemExit("installed after spead2 was imported")
    """)
    assert "already imported" in result.stdout


def test_module_without_counterpart():
    result = run_python("""
        import lightspead.compat
        lightspead.compat.install(shadow=True)
        try:
            import spead2.no_such_module
        except ModuleNotFoundError as error:
            print(error)
    """)
    assert "lightspead.no_such_module does not exist" in result.stdout


def test_uninstall_restores_spead2():
    run_python("""
        import lightspead, lightspead.compat
        lightspead.compat.install(shadow=True)
        import spead2
        assert spead2 is lightspead
        lightspead.compat.uninstall()
        assert not lightspead.compat.is_installed()
        import spead2
        assert spead2 is not lightspead and hasattr(spead2, "_spead2")
    """)


def test_log_records_reach_spead2_logger_once():
    """A core warning (binding to a CPU beyond CPU_SETSIZE) reaches the
    spead2 logger's handler, and the root handler, which both hierarchies
    share, only once."""
    result = run_python("""
        import logging, time
        import lightspead.compat
        lightspead.compat.install(shadow=True)
        import spead2
        seen = {"root": [], "spead2": [], "lightspead": []}
        class Collect(logging.Handler):
            def __init__(self, key):
                super().__init__()
                self.key = key
            def emit(self, record):
                seen[self.key].append(record.getMessage())
        logging.getLogger().addHandler(Collect("root"))
        logging.getLogger("spead2").addHandler(Collect("spead2"))
        logging.getLogger("lightspead").addHandler(Collect("lightspead"))
        spead2.ThreadPool(1, [100000]).stop()
        deadline = time.monotonic() + 10
        while not seen["root"] and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        print(seen)
        assert len(seen["root"]) == 1 and len(seen["spead2"]) == 1 and len(seen["lightspead"]) == 1, seen
        assert "CPU" in seen["spead2"][0]
    """)
    assert "CPU" in result.stdout


def test_command_line_runs_program(tmp_path):
    program = tmp_path / "spead2_program.py"
    (tmp_path / "helper_module.py").write_text("VALUE = 42\n")
    program.write_text(textwrap.dedent("""
        import sys
        import helper_module          # from the program's own folder, as with `python PROGRAM`
        import spead2.send
        print(spead2.__name__, spead2.send.StreamConfig.__module__, sys.argv[1:], helper_module.VALUE)
    """))
    result = subprocess.run([sys.executable, "-m", "lightspead.compat", "--shadow", str(program), "a", "b"],
                            capture_output=True, text=True, timeout=60, cwd="/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["lightspead", "lightspead._lightspead.send", "['a',", "'b']", "42"]


def test_command_line_module():
    result = subprocess.run([sys.executable, "-m", "lightspead.compat", "--shadow", "-m", "json.tool", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "json.tool" in result.stdout


def test_command_line_errors(tmp_path):
    program = tmp_path / "p.py"
    program.write_text("import spead2\n")
    refused = subprocess.run([sys.executable, "-m", "lightspead.compat", str(program)],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "--shadow" in refused.stderr
    for args in ([], ["-m"], ["--bogus", str(program)]):
        bad = subprocess.run([sys.executable, "-m", "lightspead.compat", *args], capture_output=True, text=True,
                             timeout=60)
        assert bad.returncode != 0 and "usage" in bad.stderr
