"""Reports beyond verdicts.json: the clause matrix, allure labels and evidence, the HTML report, certification
bundles and release gating. Suite side; only :mod:`pytest_dcc.reporting.allure` imports allure."""
