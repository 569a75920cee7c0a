"""The Allure 3 HTML report, generated offline as one self-contained ``index.html`` (Allure 3's single-file
output: it opens from ``file://``, no server needed), with the analytics Allure embeds taken out.

Allure 3 is the npm package ``allure``, pinned in the project's ``package.json``. Its generated ``index.html`` loads
Google Tag Manager and calls ``gtag``: a certification report must not phone home, so every script that fetches
from another host and every inline script that feeds ``gtag``/``dataLayer`` is removed, and the page is checked to
refer to no other host afterwards.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Final

from pytest_dcc._resources import features_dir
from pytest_dcc.errors import HtmlReportError
from pytest_dcc.reporting.categories import report_categories

#: Where to look for Allure 3's CLI, after $DCC_ALLURE: the current folder's and the checkout's node_modules.
_BIN: Final = Path("node_modules") / ".bin" / "allure"
_SCRIPT: Final = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.S | re.I)
_SRC: Final = re.compile(r"""\bsrc\s*=\s*["']?\s*(?:https?:)?//""", re.I)
_ANALYTICS: Final = re.compile(r"gtag|dataLayer|googletagmanager|google-analytics", re.I)
_REMOTE: Final = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def find_allure() -> list[str]:
    """The command that runs Allure 3, or :class:`HtmlReportError` saying how to get it."""
    if shutil.which("node") is None:
        raise HtmlReportError("node is not installed (Allure 3 needs Node.js); install Node.js 20 or later")
    candidates = [os.environ.get("DCC_ALLURE", ""), str(Path.cwd() / _BIN), str(features_dir().parent / _BIN)]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return [candidate]
    raise HtmlReportError(
        "Allure 3 is not installed: run 'npm ci' in the pytest-dcc checkout (package.json pins it), or "
        "'npm install allure@3.18.0' here, or set DCC_ALLURE to its CLI"
    )


def strip_analytics(page: str) -> str:
    """``page`` without scripts fetched from other hosts and without the inline analytics snippets."""

    def keep(match: re.Match[str]) -> str:
        script = match.group(0)
        head = script[: script.find(">") + 1]
        if _SRC.search(head):
            return ""  # fetched from another host
        if re.search(r"\bsrc\s*=", head, re.I):
            return script  # the report's own code, inlined as a data: URL (single file): its base64 is not text
        return "" if _ANALYTICS.search(script) else script

    return _SCRIPT.sub(keep, page)


def remote_references(page: str) -> list[str]:
    """``src``/``href`` attributes of ``page`` that point off the machine (empty for a clean report)."""
    return [page[m.start() : m.start() + 120] for m in _REMOTE.finditer(page)]


def generate(results: Path, output: Path, *, name: str = "pytest-dcc conformance", timeout_s: float = 300) -> Path:
    """Generate the HTML report of ``results`` into ``output`` and clean it; :class:`HtmlReportError` on failure."""
    if not results.is_dir():
        raise HtmlReportError(f"no allure results in {results}")
    import json
    import tempfile

    # The default ("awesome") report as one file: its data inlined, so a browser opens it from disk.
    # Its categories come from the configuration: the default report does not read categories.json.
    config = {
        "name": name,
        "plugins": {"awesome": {"options": {"singleFile": True, "reportName": name}}},
        "categories": report_categories(),
    }
    with tempfile.TemporaryDirectory(prefix="pytest-dcc-allure-") as folder:
        rc = Path(folder) / "allurerc.json"
        rc.write_text(json.dumps(config), encoding="utf-8")
        command = [*find_allure(), "generate", str(results), "--config", str(rc), "--output", str(output)]
        env = {**os.environ, "CI": os.environ.get("CI", "true"), "NO_COLOR": "1"}
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, env=env, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise HtmlReportError(f"allure generate failed: {exc}") from None
    index = output / "index.html"
    if done.returncode != 0 or not index.is_file():
        raise HtmlReportError(f"allure generate exited {done.returncode}: {(done.stderr or done.stdout)[-800:]}")
    for page in output.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        cleaned = strip_analytics(text)
        left = remote_references(cleaned)
        if left:
            raise HtmlReportError(f"{page} still refers to other hosts after cleaning: {left[:3]}")
        if cleaned != text:
            page.write_text(cleaned, encoding="utf-8")
    return index


__all__ = ["HtmlReportError", "find_allure", "generate", "remote_references", "strip_analytics"]
