#!/usr/bin/python3
"""The C++ blocks of the documentation are code that the build compiles.

Every ```cpp block of README.md and docs/*.md is preceded by a marker line naming the file it is
taken from, and the block's text must equal that file's text:

    <!-- snippet: docs/snippets/checkpoint.cpp [resume] -->
    ```cpp
    ...
    ```

A marker names a file (relative to the repository root) and zero or more regions. A region is
the text between two lines `// [name]` of that file, less the indentation its lines share (so a
region may sit inside a function); several regions are joined by one blank line (a block that
shows the includes and then statements: the includes at the top of the file, the statements
inside a function). Without a region the block is the whole file.

The files are docs/snippets/*.cpp (built and run by docs/snippets/CMakeLists.txt) and examples/
(built and run by examples/CMakeLists.txt). A block that cannot be compiled stands in ALLOWED,
with the reason. Also checked: every marker is followed by a C++ block, every region it names
exists once, and every docs/snippets/*.cpp is named by some marker.

Usage: snippets_test.py REPOSITORY_ROOT. Prints one `FAIL ...` line per problem (with a diff for
a block that differs from its region) and exits 1, or prints a summary and exits 0.
"""
import difflib
import pathlib
import re
import sys

# (document, first line of the block) -> why the block is not compiled. Every block the docs
# show is compiled today; a block added here needs a reason a reader would accept.
ALLOWED: dict[tuple[str, str], str] = {}

FENCE = re.compile(r"^```(cpp|c\+\+|C\+\+|cc|cxx)\s*$")
MARKER = re.compile(r"^<!-- snippet: (?P<path>\S+)(?P<regions>(?: \[[A-Za-z0-9_.-]+\])*) -->$")
REGION = re.compile(r"^\s*// \[(?P<name>[A-Za-z0-9_.-]+)\]\s*$")


def dedent(lines: list[str]) -> list[str]:
    indents = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return [line[cut:] if line.strip() else "" for line in lines]


def regions_of(path: pathlib.Path) -> tuple[dict[str, list[str]], list[str]]:
    """The regions of a file, and the problems found in its markers."""
    regions: dict[str, list[str]] = {}
    problems: list[str] = []
    open_name, start = None, 0
    lines = path.read_text(encoding="utf-8").split("\n")
    for number, line in enumerate(lines):
        match = REGION.match(line)
        if not match:
            continue
        name = match.group("name")
        if open_name is None:
            if name in regions:
                problems.append(f"{path}:{number + 1}: region [{name}] appears twice")
            open_name, start = name, number + 1
        elif name == open_name:
            regions[name] = dedent(lines[start:number])
            open_name = None
        else:
            problems.append(f"{path}:{number + 1}: region [{name}] starts inside [{open_name}]")
    if open_name is not None:
        problems.append(f"{path}:{start}: region [{open_name}] is never closed")
    return regions, problems


def expected_text(root: pathlib.Path, path: str, names: list[str]) -> tuple[list[str] | None, str]:
    file = root / path
    if not file.is_file():
        return None, f"names {path}, which does not exist"
    if not names:
        lines = file.read_text(encoding="utf-8").split("\n")
        return (lines[:-1] if lines and lines[-1] == "" else lines), ""
    regions, problems = regions_of(file)
    if problems:
        return None, "; ".join(problems)
    text: list[str] = []
    for name in names:
        if name not in regions:
            return None, f"names region [{name}], which {path} does not have"
        if text:
            text.append("")
        text.extend(regions[name])
    return text, ""


def check(root: pathlib.Path) -> int:
    documents = [root / "README.md"] + sorted((root / "docs").glob("*.md"))
    failures: list[str] = []
    named_files: set[str] = set()
    allowed_seen: set[tuple[str, str]] = set()
    checked = 0
    for document in documents:
        doc = document.relative_to(root).as_posix()
        lines = document.read_text(encoding="utf-8").split("\n")
        marker = None
        number = 0
        while number < len(lines):
            line = lines[number]
            match = MARKER.match(line)
            if match:
                if marker is not None:
                    failures.append(f"FAIL {doc}:{marker[0] + 1}: marker not followed by a C++ block")
                marker = (number, match.group("path"), re.findall(r"\[([^\]]+)\]", match.group("regions")))
                number += 1
                continue
            if FENCE.match(line):
                end = number + 1
                while end < len(lines) and lines[end].strip() != "```":
                    end += 1
                block = lines[number + 1 : end]
                first = block[0] if block else ""
                if marker is None or marker[0] != number - 1:
                    if (doc, first) in ALLOWED:
                        allowed_seen.add((doc, first))
                    else:
                        failures.append(
                            f"FAIL {doc}:{number + 1}: C++ block without a snippet marker on the line "
                            f"before it (and not in ALLOWED): {first!r}")
                else:
                    _, path, names = marker
                    named_files.add(path)
                    expected, problem = expected_text(root, path, names)
                    if expected is None:
                        failures.append(f"FAIL {doc}:{marker[0] + 1}: the marker {problem}")
                    elif block != expected:
                        diff = difflib.unified_diff(expected, block, f"{path} {' '.join(names)}",
                                                    f"{doc}:{number + 2}", lineterm="")
                        failures.append(f"FAIL {doc}:{number + 1}: the block differs from "
                                        f"{path} {' '.join(f'[{n}]' for n in names)}:\n"
                                        + "\n".join(diff))
                    checked += 1
                marker = None
                number = end + 1
                continue
            if marker is not None and line.strip():
                failures.append(f"FAIL {doc}:{marker[0] + 1}: marker not followed by a C++ block")
                marker = None
            number += 1
        if marker is not None:
            failures.append(f"FAIL {doc}:{marker[0] + 1}: marker not followed by a C++ block")
    for key in sorted(set(ALLOWED) - allowed_seen):
        failures.append(f"FAIL ALLOWED lists a block that no document has: {key}")
    for snippet in sorted((root / "docs" / "snippets").glob("*.cpp")):
        name = snippet.relative_to(root).as_posix()
        if name not in named_files:
            failures.append(f"FAIL {name}: no document shows it (name it in a snippet marker)")
    for failure in failures:
        print(failure)
    if failures:
        return 1
    print(f"ok: {checked} C++ blocks equal their snippet files' regions; "
          f"{len(allowed_seen)} allowed without one")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: snippets_test.py REPOSITORY_ROOT")
    sys.exit(check(pathlib.Path(sys.argv[1]).resolve()))
