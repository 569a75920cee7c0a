#!/usr/bin/env bash
# The README's two pictures, from a run of the quick start's first command: the clause matrix and the Allure report,
# each rendered from disk by headless Chromium.   bash tools/readme_pictures.sh   (after the quick start)
set -eu
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ln -s "$PWD/node_modules" "$work/node_modules"
(cd "$work" && "$OLDPWD/.venv/bin/dcc-conformance" -q -p no:cacheprovider >/dev/null)
shoot() {  # URL PNG HEIGHT
    chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=8000 \
        --window-size="1280,$3" --screenshot="$2" "$1" >/dev/null 2>&1
}
shoot "file://$work/reports/clause-matrix.html" docs/img/clause-matrix.png 800
shoot "file://$work/reports/allure-report/index.html" docs/img/allure-report.png 1100
ls -l docs/img
