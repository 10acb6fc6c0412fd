"""The accessibility check: axe-core, from the npm registry, run inside the page Chromium shows."""

from __future__ import annotations

import functools
import tarfile

from selenium import webdriver

import stack

# axe-core from the npm registry, pinned by version and integrity, fetched once into .run/cache/ by npm pack.
AXE_CORE_VERSION = "4.14.1"
AXE_CORE_INTEGRITY = (
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
# What the accessibility check fails on; "moderate" and "minor" findings are left to review.
FAILING_IMPACTS = ("serious", "critical")


@functools.cache
def axe_source() -> str:
    """axe.min.js of the pinned axe-core."""
    tarball = stack.npm_tarball("axe-core", AXE_CORE_VERSION, AXE_CORE_INTEGRITY)
    with tarfile.open(tarball, "r:gz") as package:
        return package.extractfile("package/axe.min.js").read().decode("utf-8")


def accessibility_problems(driver: webdriver.Chrome, *selectors: str) -> list[str]:
    """axe-core's serious and critical violations inside these parts of the page, in words."""
    driver.execute_script(axe_source())
    violations = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run({include: arguments[0]}, {resultTypes: ['violations']})"
        ".then(result => done(result.violations), error => done([{id: 'axe-error', impact: 'critical',"
        " help: String(error), nodes: []}]));",
        [[selector] for selector in selectors],
    )
    return [f"{violation['id']} ({violation['impact']}): {violation['help']} at "
            + ", ".join(" ".join(node["target"]) for node in violation["nodes"])
            for violation in violations if violation["impact"] in FAILING_IMPACTS]
