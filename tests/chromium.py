"""A real headless Chromium (Debian's `chromium` and `chromium-driver`) driven by Selenium,
for tests that look at rendered HTML the way a reader's browser or mail app does.

Load with `pytest_plugins = ["chromium"]`; the `chromium` fixture is one browser per module.
Widths are set with DevTools device emulation, so 375 px is a phone's layout viewport (the
page's `<meta name=viewport>` honoured, as a phone does) and not a desktop window's outer size.
"""

from __future__ import annotations

import base64
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)

# Every box's right and left edge, and how far the page scrolls sideways.
LAYOUT = """
const boxes = Array.from(document.querySelectorAll(arguments[0])).map((e) => {
  const r = e.getBoundingClientRect();
  return {tag: e.tagName, text: e.innerText.slice(0, 60), left: r.left, right: r.right,
          top: r.top, width: r.width, height: r.height};
});
return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
        boxes: boxes};
"""


def _installed(binary: Path) -> str | None:
    return str(binary) if binary.exists() else shutil.which(binary.name)


def missing() -> str | None:
    """Why no browser test can run here, or None when one can."""
    for binary in (CHROMIUM, CHROMEDRIVER):
        if _installed(binary) is None:
            return f"{binary.name} is not installed (make system-deps installs chromium)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


class Browser:
    """One Chromium session with the helpers the layout tests need."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def open(self, url: str, width: int, height: int = 800) -> None:
        """Load `url` laid out at `width` CSS pixels (a phone under ~500 px)."""
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": width,
                "height": height,
                "deviceScaleFactor": 2 if width < 500 else 1,
                "mobile": width < 500,
            },
        )
        self.driver.get(url)
        # Images are loaded before layout is measured (a chart's height moves what follows).
        self.driver.execute_async_script(
            "const done = arguments[0];"
            "Promise.all(Array.from(document.images).map((i) => i.decode().catch(() => null)))"
            ".then(() => done(true));"
        )

    def layout(self, selector: str) -> dict[str, Any]:
        """The page's scroll width, the viewport width and the boxes matching `selector`."""
        result: dict[str, Any] = self.driver.execute_script(LAYOUT, selector)
        return result

    def screenshot(self, path: Path) -> None:
        """The whole page (beyond the viewport) as a PNG at `path`, in 256 colours (a
        quarter of the bytes; text and flat colours look the same)."""
        shot = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
        )
        image = Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB")
        path.parent.mkdir(parents=True, exist_ok=True)
        image.quantize(256, method=Image.Quantize.FASTOCTREE).save(path)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    reason = missing()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _installed(CHROMIUM) or ""
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(options=options, service=Service(_installed(CHROMEDRIVER)))
    driver.set_script_timeout(20)
    try:
        yield Browser(driver)
    finally:
        driver.quit()
