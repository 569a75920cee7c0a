"""The worked example of docs/drivers.md is real code: run against a fake Acme back office (real uvicorn on
loopback), it passes ``check-driver`` (in process and as the CLI) and ``mypy --strict``; a driver that answers the
wrong shape does not pass."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pytest_dcc.drivers import DeviceView
from pytest_dcc.drivers.check import check_driver
from pytest_dcc.transport.receiver import ServerThread

DOC = Path(__file__).resolve().parent.parent / "docs" / "drivers.md"
ESME, CAD = "00-DB-12-34-56-78-90-A0", "00-DB-12-34-56-78-90-9A"
METERS = {
    ESME: {
        "dccInventory": {"deviceType": "ESME", "deviceStatus": "Commissioned", "joinedDevices": [CAD],
                         "certificates": [{"usage": "Digital Signature", "serial": "1001"}]},
        "deviceState": {"joinedDevices": [CAD], "certificates": [{"usage": "Digital Signature", "serial": "1001"}]},
    },
    CAD: {"dccInventory": {"deviceType": "CAD", "deviceStatus": "Whitelisted"}, "deviceState": {}},
}  # fmt: skip


def _example_source() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert blocks, "docs/drivers.md has no python example"
    return blocks[0]


@pytest.fixture
def back_office(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    async def meter(request: Request) -> JSONResponse:
        found = METERS.get(request.path_params["eui"])
        return JSONResponse(found) if found else JSONResponse({"error": "unknown meter"}, status_code=404)

    async def smki(request: Request) -> JSONResponse:
        entries = [{"serialNumber": "1001", "keyUsage": "Digital Signature", "status": "In Use"}]
        return JSONResponse({"entries": entries if request.query_params.get("subject") == ESME else []})

    app = Starlette(routes=[Route("/v2/meters/{eui}", meter), Route("/v2/smki", smki)])
    with ServerThread(app) as server:
        monkeypatch.setenv("ACME_BACKOFFICE_URL", server.url)
        monkeypatch.setenv("ACME_TOKEN", "test-token")
        yield server.url


@pytest.fixture
def example(tmp_path: Path) -> ModuleType:
    path = tmp_path / "acme_driver.py"
    path.write_text(_example_source())
    spec = importlib.util.spec_from_file_location("acme_driver", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_documented_driver_passes_the_contract_check(back_office: str, example: ModuleType) -> None:
    driver = example.make_driver()
    findings = check_driver(driver, [ESME, CAD])
    assert all(f.ok for f in findings), [f.line() for f in findings if not f.ok]
    view = driver.device_view(ESME)
    assert isinstance(view, DeviceView) and CAD in view.smi.joins and view.smi.status == "Commissioned"
    driver.client.close()


def test_the_documented_hook_is_typed_as_the_hook_specification(example: ModuleType) -> None:
    """The example's ``pytest_dcc_driver`` names the types of pytest-dcc's hook specification (checked by mypy
    --strict below), so a vendor copying it gets the contract's types: the public DccSettings and Driver."""
    import inspect

    from pytest_dcc.plugin import hookspecs

    documented, specified = inspect.signature(example.pytest_dcc_driver), inspect.signature(hookspecs.pytest_dcc_driver)
    assert [(p.name, p.annotation) for p in documented.parameters.values()] == [
        (p.name, p.annotation) for p in specified.parameters.values()
    ]
    assert documented.return_annotation == specified.return_annotation == "Driver | None"


def test_a_driver_answering_dictionaries_fails_the_check(back_office: str, example: ModuleType) -> None:
    class Untyped(example.AcmeHeadEndDriver):  # type: ignore[name-defined,misc]
        def device_view(self, eui: str) -> object:
            return {"smi": {"status": "Commissioned"}, "device": {}}

    driver = Untyped(back_office, "t")
    failed = [f.what for f in check_driver(driver, [ESME]) if not f.ok]
    assert any("gives a DeviceView, not a dict" in what for what in failed), failed
    driver.client.close()


@pytest.mark.slow
def test_check_driver_command_and_mypy_strict_on_the_example(back_office: str, tmp_path: Path) -> None:
    (tmp_path / "acme_driver.py").write_text(_example_source())
    script = Path(sys.executable).parent / "dcc-conformance"
    done = subprocess.run(
        [str(script), "check-driver", "acme_driver:make_driver", "--device", ESME, "--device", CAD],
        cwd=tmp_path,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 failed" in done.stdout
    typed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(tmp_path / "acme_driver.py")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert typed.returncode == 0, typed.stdout + typed.stderr


def test_the_capability_table_is_the_one_source_of_names_methods_and_the_docs_table() -> None:
    """docs/drivers.md's table, NoDriver's refusals and the Driver protocol's methods all follow CAPABILITY_TABLE."""
    from pytest_dcc.drivers import CAPABILITY_TABLE, METHOD_CAPABILITIES, Driver, NoDriver
    from pytest_dcc.errors import NotApplicableError

    rows = re.findall(r"^\| `([\w-]+)` \| `(\w+)\(", DOC.read_text(encoding="utf-8"), re.M)
    assert rows == [(c.name, c.method) for c in CAPABILITY_TABLE]
    assert dict(METHOD_CAPABILITIES) == {c.method: c.name for c in CAPABILITY_TABLE}
    protocol = {n for n in vars(Driver) if not n.startswith("_") and callable(getattr(Driver, n))}
    assert protocol == {c.method for c in CAPABILITY_TABLE}
    arguments = {"reset": (), "reset_lane": ({},), "seed": ({},), "set_fault": ("E", "f"), "set_status": ("E", "s"),
                 "set_join": ("E", "O"), "arrange_estate": ({},), "execute_locally": ("r",)}  # fmt: skip
    for capability in CAPABILITY_TABLE:
        method = getattr(NoDriver(), capability.method)
        args = arguments.get(capability.method, ("E",))
        kwargs = {"smi": True, "device": True} if capability.method == "set_join" else {}
        with pytest.raises(NotApplicableError, match=f"'{capability.name}'"):
            method(*args, **kwargs)
