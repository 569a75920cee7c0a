"""Files a user gives, and keys and state at rest (issue 24 items 3 and 5), each attack tried for real.

YAML (the statement, the expected-failures file, an inventory): alias bombs of several shapes (nested lists,
mappings, merge keys, a long scalar, a recursive alias), nesting without aliases, a file over the size limit; each
is refused with ONE line naming the file and the limit, in process (bounded memory) and through the user's way
in (pytest's ``--dcc-statement`` / ``--dcc-expected-failures``, ``pytest-dcc serve --inventory``).

Keys and state: links planted in a PKI or state folder (a key, ``pki.json``, the folder itself, its lock file,
the counters, the send locks; a hard link too) are refused naming the path and nothing is written through them;
keys 0600 and folders 0700 under umask 002 and 000; DCC Boxed's shipped folder is read and left as it is.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_dcc.duis.ids import CounterStore
from pytest_dcc.duis.pki import TestPki, load_or_create_pki, read_pki, write_pki
from pytest_dcc.duis.private_files import open_lock, private_dir, read_private, write_private
from pytest_dcc.duis.yamlsafe import MAX_ALIAS_NODES, MAX_BYTES, MAX_DEPTH, load_yaml_text
from pytest_dcc.errors import ConfigError, DocumentLimitError, InventoryError
from pytest_dcc.reference.inventory import load_inventory_file
from pytest_dcc.statement import load_expected_failures, load_statement
from pytest_dcc.suite.lanes import SendOrder
from tests.conftest import SHARED

ROOT = Path(__file__).resolve().parent.parent
STATEMENT = ROOT / "fixtures" / "statements" / "reference-latest.yaml"
INVENTORY = ROOT / "fixtures" / "inventory" / "premises.yaml"
SCRIPT = Path(sys.executable).parent / "pytest-dcc"
USER = "90-B3-D5-1F-30-01-00-00"
DSP_KEY = "90B3D51F30000002.key"
VICTIM = b"the planter's file\n"


# --- YAML: the bombs ------------------------------------------------------------------------------------------


def _lists(width: int = 9, levels: int = 7) -> tuple[str, str]:
    """Billion laughs with flow lists: ``(definitions, the last alias)``."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n", f"*l{levels - 1}"


def _mappings(width: int = 8, levels: int = 6) -> tuple[str, str]:
    """The same with block-style mappings, each key an alias of the level below."""
    lines = ["m0: &m0", *(f"  k{j}: ha" for j in range(width))]
    for i in range(1, levels):
        lines += [f"m{i}: &m{i}", *(f"  k{j}: *m{i - 1}" for j in range(width))]
    return "\n".join(lines) + "\n", f"*m{levels - 1}"


def _merges(width: int = 6, levels: int = 7) -> tuple[str, str]:
    """Merge keys ``<<``: each level merges the one below ``width`` times (PyYAML copies every merged pair)."""
    lines = ["g0: &g0 {a: 1, b: 2, c: 3}"]
    lines += [f"g{i}: &g{i} {{<<: [{', '.join([f'*g{i - 1}'] * width)}], z{i}: {i}}}" for i in range(1, levels)]
    return "\n".join(lines) + "\n", f"*g{levels - 1}"


def _scalar(size: int = 64 * 1024, uses: int = 40) -> tuple[str, str]:
    """One long string, aliased many times."""
    return f"s0: &s0 {'ab' * (size // 2)}\ns1: &s1 [{', '.join(['*s0'] * uses)}]\n", "*s1"


def _recursive() -> tuple[str, str]:
    """An alias inside the node it names: a cycle."""
    return "r0: &r0 [x, {y: *r0}]\n", "*r0"


BOMBS: dict[str, Callable[[], tuple[str, str]]] = {
    "lists": _lists,
    "mappings": _mappings,
    "merges": _merges,
    "scalar": _scalar,
    "recursive": _recursive,
}
#: What each refusal says (the limit it hit).
SAYS = {
    "lists": "alias expansion limit",
    "mappings": "alias expansion limit",
    "merges": "alias expansion limit",
    "scalar": "alias expansion limit",
    "recursive": "recursive alias",
    "deep-flow": "nesting limit",
    "deep-block": "nesting limit",
    "very-deep": "nesting limit",
    "large": f"over the {MAX_BYTES}-byte limit",
}


def _deep_flow(levels: int = MAX_DEPTH + 10) -> str:
    return "[" * levels + "x" + "]" * levels


def _deep_block(levels: int = MAX_DEPTH + 5) -> str:
    return "\n" + "".join(f"{'  ' * (i + 1)}n{i}:\n" for i in range(levels)) + f"{'  ' * (levels + 1)}leaf\n"


def _statement_text(shape: str) -> str:
    """A statement whose ``chism_column`` (a value the lint quotes back) is the bomb."""
    base = STATEMENT.read_text(encoding="utf-8")
    if shape in BOMBS:
        definitions, alias = BOMBS[shape]()
        return definitions + base + f"chism_column: {alias}\n"
    if shape == "deep-flow":
        return base + f"chism_column: {_deep_flow()}\n"
    if shape == "deep-block":
        return base + f"chism_column:{_deep_block()}"
    if shape == "very-deep":
        return base + f"chism_column: {_deep_flow(5000)}\n"
    assert shape == "large"
    return base + "# padding\n" * (MAX_BYTES // 10 + 100)


def _expected_text(shape: str) -> str:
    """An expected-failures file whose second entry's id is the bomb (the list's own anchors in the first)."""
    if shape in BOMBS:
        definitions, alias = BOMBS[shape]()
        anchors = "\n".join("    " + line for line in definitions.splitlines())
        return f"- id: MP178-UNJOIN\n  reason: holds the anchors\n  ticket:\n{anchors}\n- {{id: {alias}, reason: r}}\n"
    if shape == "deep-flow":
        return f"- {{id: {_deep_flow()}, reason: deep}}\n"
    if shape == "deep-block":
        return f"- reason: deep\n  id:{_deep_block(MAX_DEPTH + 1)}"
    if shape == "very-deep":
        return f"- {{id: {_deep_flow(5000)}, reason: deep}}\n"
    assert shape == "large"
    return "- {id: MP178-UNJOIN, reason: big}\n" + "# padding\n" * (MAX_BYTES // 10 + 100)


def _inventory_text(shape: str) -> str:
    """An inventory whose first device's manufacturer is the bomb."""
    base = INVENTORY.read_text(encoding="utf-8")
    target = 'manufacturer: "PYTEST-DCC"'
    if shape in BOMBS:
        definitions, alias = BOMBS[shape]()
        return definitions + base.replace(target, f"manufacturer: {alias}", 1)
    if shape == "deep-flow":
        return base.replace(target, f"manufacturer: {_deep_flow()}", 1)
    if shape == "deep-block":
        return base + f"extra:{_deep_block()}"
    if shape == "very-deep":
        return base.replace(target, f"manufacturer: {_deep_flow(5000)}", 1)
    assert shape == "large"
    return base + "# padding\n" * (MAX_BYTES // 10 + 100)


SHAPES = sorted(SAYS)


def _one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"{len(lines)} lines, {len(text)} characters: {text[:400]!r}"
    assert len(lines[0]) < 600, lines[0][:600]
    return lines[0]


@pytest.fixture
def peak() -> Iterator[Callable[[], int]]:
    """The peak of memory allocated by Python since the test started (tracemalloc)."""
    tracemalloc.start()
    try:
        yield lambda: tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- YAML: in process -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_each_yaml_a_user_gives_refuses_the_bomb_in_one_line_with_bounded_memory(
    tmp_path: Path, shape: str, peak: Callable[[], int]
) -> None:
    readers: list[tuple[str, Callable[[Path], object], type[Exception]]] = [
        (_statement_text(shape), load_statement, DocumentLimitError),
        (_expected_text(shape), load_expected_failures, DocumentLimitError),
        (_inventory_text(shape), load_inventory_file, InventoryError),
    ]
    for number, (text, reader, error) in enumerate(readers):
        path = tmp_path / f"file-{number}.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(error) as raised:
            reader(path)
        line = _one_line(str(raised.value))
        assert str(path) in line and SAYS[shape] in line, line
        assert "is refused" in line
    assert peak() < 48 * 1024 * 1024, f"{peak()} bytes"


def test_a_few_aliases_and_a_merge_key_still_load() -> None:
    """The limits refuse bombs, not YAML: a small anchor reused and merged loads as before."""
    text = "d0: &d0 {type: ESME, status: Commissioned}\nx: {<<: *d0, eui: A}\ny: [*d0, *d0]\n"
    data = load_yaml_text(text, "a small file")
    assert data["x"] == {"type": "ESME", "status": "Commissioned", "eui": "A"} and data["y"] == [data["d0"]] * 2


def test_the_alias_limit_counts_the_expansion_not_the_aliases() -> None:
    """Just under the expansion limit loads; one more level of the same shape is refused."""
    fine = "a: &a [" + ", ".join(["x"] * 99) + "]\nb: [" + ", ".join(["*a"] * (MAX_ALIAS_NODES // 100 - 1)) + "]\n"
    assert len(load_yaml_text(fine, "fine")["b"]) == MAX_ALIAS_NODES // 100 - 1
    over = "a: &a [" + ", ".join(["x"] * 199) + "]\nb: [" + ", ".join(["*a"] * 60) + "]\n"
    with pytest.raises(DocumentLimitError, match="alias expansion limit"):
        load_yaml_text(over, "over")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("a: [1, 2\nb: c", "is not valid YAML: while parsing a flow sequence, expected ',' or ']'"),
        ("expires: 2027-02-30", "holds a value that cannot be read: day is out of range"),
        ("n: " + "7" * 6000, "holds a value that cannot be read"),
        ("a: *nowhere", "found undefined alias"),
        ("x: 1\n---\ny: 2", "expected a single document in the stream, but found another document"),
    ],
)
def test_a_broken_yaml_file_is_one_line_without_the_document(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "statement.yaml"
    path.write_text(text + "\n# " + "secret " * 50, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_statement(path)
    line = _one_line(str(raised.value))
    assert says in line and str(path) in line and "secret" not in line


def test_a_json_inventory_is_bounded_too(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    with pytest.raises(InventoryError) as raised:
        load_inventory_file(deep)
    assert "nests too deeply" in _one_line(str(raised.value))
    broken = tmp_path / "broken.json"
    broken.write_text('{"users": [' + '"x", ' * 1000 + "}", encoding="utf-8")
    with pytest.raises(InventoryError) as raised:
        load_inventory_file(broken)
    assert "is not valid JSON" in _one_line(str(raised.value)) and '"x"' not in str(raised.value)


# --- YAML: the user's way in ------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["lists", "merges", "recursive", "very-deep", "large"])
@pytest.mark.parametrize("option", ["--dcc-statement", "--dcc-expected-failures"])
def test_pytest_names_the_option_and_the_file_in_one_usage_error_line(
    pytester: pytest.Pytester, option: str, shape: str
) -> None:
    text = _statement_text(shape) if option == "--dcc-statement" else _expected_text(shape)
    path = pytester.path / "given.yaml"
    path.write_text(text, encoding="utf-8")
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest(f"{option}={path}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    line = _one_line(result.stderr.str())
    assert line.startswith(f"ERROR: {option}: ") and str(path) in line and SAYS[shape] in line, line
    assert len(result.stdout.str()) < 2000


@pytest.mark.parametrize("shape", ["mappings", "scalar", "deep-block", "very-deep", "large"])
def test_serve_names_the_inventory_in_one_error_line(tmp_path: Path, shape: str) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(_inventory_text(shape), encoding="utf-8")
    done = subprocess.run(
        [str(SCRIPT), "serve", "--inventory", str(path), "--pki", str(tmp_path / "pki"), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    line = _one_line(done.stderr)
    assert line.startswith("pytest-dcc: error: --inventory: inventory file ") and SAYS[shape] in line, line
    assert str(path) in line and len(done.stdout) < 2000


# --- keys and state at rest -------------------------------------------------------------------------------------


def _victim(tmp_path: Path, name: str = "victim") -> Path:
    """A file of someone else's choosing, readable by all, that a planted link points at."""
    target = tmp_path / "elsewhere" / name
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(VICTIM)
    target.chmod(0o644)
    return target


def _untouched(target: Path) -> None:
    assert target.read_bytes() == VICTIM and stat.S_IMODE(target.stat().st_mode) == 0o644


@pytest.mark.parametrize("planted", ["ca.key", DSP_KEY, "ca.pem", "pki.json"])
@pytest.mark.parametrize("dangling", [False, True])
def test_a_link_planted_in_a_new_pki_folder_is_refused_and_nothing_is_written_through_it(
    tmp_path: Path, planted: str, dangling: bool
) -> None:
    folder = tmp_path / "pki"
    folder.mkdir()
    target = tmp_path / "elsewhere" / "not-yet" if dangling else _victim(tmp_path)
    target.parent.mkdir(exist_ok=True)
    (folder / planted).symlink_to(target)
    with pytest.raises(ConfigError, match=f"{folder / planted} is a symbolic link"):
        load_or_create_pki(folder, [USER])
    if dangling:
        assert not target.exists()
    else:
        _untouched(target)
    assert not (folder / "pki.json").is_file() or planted == "pki.json"


def test_a_link_planted_in_an_existing_pki_is_refused_when_it_is_read_or_rewritten(tmp_path: Path) -> None:
    folder = tmp_path / "pki"
    load_or_create_pki(folder, [USER])
    target = _victim(tmp_path)
    (folder / DSP_KEY).unlink()
    (folder / DSP_KEY).symlink_to(target)
    for attempt in (lambda: load_or_create_pki(folder, ["90-B3-D5-1F-30-03-00-00"]), lambda: read_pki(folder)):
        with pytest.raises(ConfigError, match=f"{folder / DSP_KEY} is a symbolic link"):
            attempt()
    with pytest.raises(ConfigError, match="is a symbolic link"):
        write_pki(TestPki.generate([USER]), folder)
    _untouched(target)


def test_a_planted_manifest_is_refused_and_cannot_point_outside_the_folder(tmp_path: Path) -> None:
    """A ``pki.json`` linked to one the planter wrote, or naming files outside the folder, is never trusted."""
    folder = tmp_path / "pki"
    load_or_create_pki(folder, [USER])
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(folder / "pki.json", outside / "pki.json")
    (folder / "pki.json").unlink()
    (folder / "pki.json").symlink_to(outside / "pki.json")
    with pytest.raises(ConfigError, match=r"pki\.json is a symbolic link"):
        read_pki(folder)
    (folder / "pki.json").unlink()
    escaping = f'{{"identities": {{"{USER}": {{"key": "../elsewhere/k.key", "certificate": "x.pem"}}}}}}'
    (folder / "pki.json").write_text(escaping, encoding="utf-8")
    with pytest.raises(ConfigError, match="which is not a file name in"):
        read_pki(folder)


def test_a_hard_link_in_a_pki_folder_is_replaced_not_written_through(tmp_path: Path) -> None:
    folder = tmp_path / "pki"
    folder.mkdir()
    target = _victim(tmp_path)
    os.link(target, folder / "ca.key")
    load_or_create_pki(folder, [USER])
    _untouched(target)
    assert (folder / "ca.key").read_bytes() != VICTIM


def test_a_linked_pki_folder_and_a_linked_lock_file_are_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "pki"
    link.symlink_to(real)
    with pytest.raises(ConfigError, match=f"{link} is a symbolic link"):
        load_or_create_pki(link, [USER])
    assert list(real.iterdir()) == []
    folder = tmp_path / "other"
    target = _victim(tmp_path, "lock-victim")
    (tmp_path / ".other.lock").symlink_to(target)
    with pytest.raises(ConfigError, match=r"\.other\.lock is a symbolic link"):
        load_or_create_pki(folder, [USER])
    _untouched(target)


@pytest.mark.parametrize("planted", ["counters.json", "counters.lock"])
def test_links_in_the_state_folder_counters_are_refused(tmp_path: Path, planted: str) -> None:
    state = tmp_path / "state"
    state.mkdir()
    target = _victim(tmp_path)
    (state / planted).symlink_to(target)
    with pytest.raises(ConfigError, match=f"{state / planted} is a symbolic link"):
        CounterStore(state / "counters.json").next(USER)
    _untouched(target)
    assert (state / planted).is_symlink()


def test_a_send_lock_planted_as_a_link_is_refused(tmp_path: Path) -> None:
    lanes = tmp_path / "state" / "lanes"
    lanes.mkdir(parents=True)
    target = _victim(tmp_path)
    (lanes / f"send-{USER}.lock").symlink_to(target)
    order = SendOrder(lanes, frozenset({USER}))
    with pytest.raises(ConfigError, match="is a symbolic link"), order.hold([USER]):
        pass
    _untouched(target)


def _modes(folder: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.lstat().st_mode) for p in folder.iterdir() if not p.name.endswith(".lock")}


@pytest.mark.parametrize("mask", [0o002, 0o000, 0o022])
def test_keys_are_0600_and_folders_0700_whatever_the_umask(tmp_path: Path, mask: int) -> None:
    before = os.umask(mask)
    try:
        state = tmp_path / "fresh" / "state"
        load_or_create_pki(state / "pki", [USER])
        CounterStore(state / "counters.json").next(USER)
        with SendOrder(state / "lanes", frozenset({USER})).hold([USER]):
            pass
        existing = tmp_path / "existing"
        existing.mkdir(mode=0o777)
        existing.chmod(0o777)
        write_pki(TestPki.generate([USER]), existing)
    finally:
        os.umask(before)
    for folder in (tmp_path / "fresh", state, state / "pki", state / "lanes", existing):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for folder in (state / "pki", existing):
        modes = _modes(folder)
        assert len(modes) == 7 and set(modes.values()) == {0o600}, modes
    assert _modes(state)["counters.json"] == 0o600


def test_serve_makes_the_state_folder_0700_and_names_a_planted_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    env = {**os.environ, "PYTEST_DCC_STATE": str(state)}
    code = "import os, sys; os.umask(0o002); from pytest_dcc.cli import main; sys.exit(main(sys.argv[1:]))"
    argv = [sys.executable, "-c", code, "serve", "--port", "0", "--db", str(tmp_path / "smi.db")]
    (tmp_path / "elsewhere").mkdir()
    state.symlink_to(tmp_path / "elsewhere")
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 2 and f"{state} is a symbolic link" in _one_line(done.stderr), done.stderr[-2000:]
    assert list((tmp_path / "elsewhere").iterdir()) == []
    state.unlink()
    pki = tmp_path / "given"
    pki.mkdir()
    target = _victim(tmp_path)
    (pki / "ca.key").symlink_to(target)
    done = subprocess.run([*argv, "--pki", str(pki)], capture_output=True, text=True, env=env, timeout=120, check=False)
    line = _one_line(done.stderr)
    assert done.returncode == 2 and line.startswith(f"pytest-dcc: error: --pki {pki}: {pki / 'ca.key'} is a sym"), line
    _untouched(target)
    from pytest_dcc.commands.serve import build_from_args, parser

    monkeypatch.setenv("PYTEST_DCC_STATE", str(state))
    mask = os.umask(0o002)
    try:
        dcc, _ = build_from_args(parser().parse_args(["serve", "--port", "0"]))
        dcc.inventory.close()
    finally:
        os.umask(mask)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700 and stat.S_IMODE((state / "pki").stat().st_mode) == 0o700


def test_the_suite_refuses_a_linked_pki_or_state_folder_naming_the_option(pytester: pytest.Pytester) -> None:
    real = pytester.path / "real"
    real.mkdir()
    link = pytester.path / "linked"
    link.symlink_to(real)
    pytester.makepyfile("def test_x(dcc_test_pki): pass")
    result = pytester.runpytest(f"--dcc-pki={link}", "-p", "no:cacheprovider")
    assert result.ret != pytest.ExitCode.OK
    result.stdout.fnmatch_lines([f"*--dcc-pki {link}: {link} is a symbolic link*"])
    assert list(real.iterdir()) == []
    result = pytester.runpytest(f"--dcc-state-dir={link}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--dcc-state-dir must be a real folder, not a symbolic link" in _one_line(result.stderr.str())


def test_dcc_boxeds_shipped_folder_is_read_in_place_and_left_as_it_is(tmp_path: Path) -> None:
    shipped = SHARED / "dccboxed" / "pki"
    if not shipped.is_dir():
        pytest.skip(f"DCC Boxed's keys are expected at {shipped}")
    copy = tmp_path / "boxed"
    shutil.copytree(shipped, copy)
    copy.chmod(0o755)
    before = {p.name: (p.stat().st_mode, p.stat().st_mtime_ns) for p in copy.iterdir()}
    load_or_create_pki(copy, [USER])
    assert {p.name: (p.stat().st_mode, p.stat().st_mtime_ns) for p in copy.iterdir()} == before
    assert stat.S_IMODE(copy.stat().st_mode) == 0o755 and not (tmp_path / ".boxed.lock").exists()


def test_the_helpers_refuse_links_fifos_and_oversize(tmp_path: Path) -> None:
    folder = private_dir(tmp_path / "a" / "b")
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    target = _victim(tmp_path)
    (folder / "link").symlink_to(target)
    for attempt in (
        lambda: write_private(folder / "link", b"x"),
        lambda: read_private(folder / "link"),
        lambda: open_lock(folder / "link"),
    ):
        with pytest.raises(ConfigError, match="is a symbolic link"):
            attempt()
    _untouched(target)
    os.mkfifo(folder / "fifo")
    with pytest.raises(ConfigError, match="not a regular file"):
        read_private(folder / "fifo")
    (folder / "big").write_bytes(b"0" * 2048)
    with pytest.raises(ConfigError, match="over the 1024-byte limit"):
        read_private(folder / "big", limit=1024)
    (folder / "file").write_bytes(b"")
    with pytest.raises(ConfigError, match="is not a folder"):
        private_dir(folder / "file")
