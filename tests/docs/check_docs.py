#!/usr/bin/env python3
"""Checks of the documentation's sources that Sphinx does not make (make docs):

- Every piece of C++ or Python in it is tested: either included from a
  program the tests run (literalinclude) or run as a doctest (make docs
  runs Sphinx's doctest builder). Fails, naming file and line, on any C++
  or Python block written inline in docs/. Blocks of shell commands, CMake
  lines, JSON and plain text are allowed: they show commands and output,
  not programs.
- Every public C++ header (include/lightspead, spead2's compatibility
  headers aside) has its reference on a page of docs/api/cpp, and every
  public Python module a page of its own in docs/api/python.

Usage: tests/docs/check_docs.py [DOCS_DIR]
"""

import os
import re
import sys

ALLOWED = {"", "sh", "console", "text", "json", "cmake", "none"}
FENCE = re.compile(r"^(`{3,}|:{3,})\s*(\{[\w-]+\})?\s*([\w+-]*)")
RST_CODE = re.compile(r"^\s*\.\.\s+(code-block|code|sourcecode)::\s*([\w+-]*)")


def check(path):
    problems = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    open_fence = None
    for number, line in enumerate(lines, 1):
        if path.endswith(".rst"):
            match = RST_CODE.match(line)
            if match and match.group(2).lower() not in ALLOWED:
                problems.append(f"{path}:{number}: inline {match.group(2)} code block")
            continue
        match = FENCE.match(line)
        if not match:
            continue
        fence, directive, language = match.groups()
        if fence.startswith(":") and open_fence is None:
            continue  # a colon fence is a container (tab-set-code): what it holds is checked
        if open_fence is not None:
            if line.strip() == open_fence:
                open_fence = None
            continue
        if line.strip() == fence:
            continue  # a closing fence of a block this scanner skipped
        open_fence = fence
        if directive in ("{code-block}", "{code}", "{sourcecode}"):
            directive = None
            language = line.split("}", 1)[1].strip()
        if directive is None and language.lower() not in ALLOWED:
            problems.append(f"{path}:{number}: inline {language} code block (include it from a tested "
                            "program with literalinclude, or make it a doctest)")
    return problems


def check_headers(docs):
    """Headers of include/lightspead without a doxygenfile directive in docs/api/cpp."""
    include = os.path.join(docs, "..", "include")
    pages = ""
    for root, _, files in os.walk(os.path.join(docs, "api", "cpp")):
        for name in files:
            with open(os.path.join(root, name), encoding="utf-8") as f:
                pages += f.read()
    documented = set(re.findall(r"doxygenfile\}?:*\s+(\S+)", pages))
    problems = []
    for root, dirs, files in os.walk(os.path.join(include, "lightspead")):
        dirs[:] = [d for d in dirs if d != "compat"]
        for name in files:
            if name.endswith(".h"):
                header = os.path.relpath(os.path.join(root, name), include)
                if header != "lightspead/lightspead.h" and header not in documented:
                    problems.append(f"{header}: no page of docs/api/cpp documents it (doxygenfile)")
    return sorted(problems)


def check_modules(docs):
    """Modules of the API reference (docs/_ext/public_modules.py) without a page of their own."""
    sys.path.insert(0, os.path.join(docs, "_ext"))
    from public_modules import PUBLIC_MODULES

    problems = []
    for module in PUBLIC_MODULES:
        page = os.path.join(docs, "api", "python", module + ".rst")
        if not os.path.exists(page):
            problems.append(f"{module}: no page docs/api/python/{module}.rst")
            continue
        with open(page, encoding="utf-8") as f:
            if f".. lightspead-module:: {module}" not in f.read():
                problems.append(f"{page}: does not document {module}")
    return sorted(problems)


def main():
    docs = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "docs")
    problems = check_headers(docs) + check_modules(docs)
    for root, dirs, files in os.walk(docs):
        dirs[:] = [d for d in dirs if not d.startswith("_")]
        for name in sorted(files):
            if name.endswith((".md", ".rst")):
                problems += check(os.path.join(root, name))
    for problem in problems:
        print(problem)
    if problems:
        sys.exit(1)
    print("docs: every C++ and Python block is included from a tested program or is a doctest; "
          "every public C++ header and Python module has a reference page")


if __name__ == "__main__":
    main()
