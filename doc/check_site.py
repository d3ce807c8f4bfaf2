"""Look at the built documentation in a real (headless) browser.

Builds the site (unless ``--no-build``), serves it locally, opens the landing page, the API
page of ``denoise_epll``, the gallery index, three examples and the validation, scaling,
GPU and benchmarks pages (the generated tables) in headless Chromium,
saves screenshots of each (whole pages, in slices) under ``doc/_build/screenshots/`` and fails
(exit code 1) if a page has an unresolved cross-reference, a placeholder or broken image, a
code line cut off (a code block wider than its box) or formulas MathJax did not render::

    pip install ".[doc,doc-check]"      # and: apt install chromium chromium-driver
    python doc/check_site.py
"""

import argparse
import functools
import http.server
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).parent
SITE = HERE / "_build" / "html"
SHOTS = HERE / "_build" / "screenshots"
PAGES = {
    "landing": "index.html",
    "api-denoise_epll": "generated/skgate.denoise_epll.html",
    "gallery": "auto_examples/index.html",
    "example-denoise": "auto_examples/getting_started/plot_denoise.html",
    "example-gating-speed": "auto_examples/gating/plot_1_gating_speed.html",
    "example-tiles": "auto_examples/scaling/plot_tiles.html",
    "user-guide": "user_guide.html",
    "validation": "validation.html",
    "validation-tuning": "validation_tuning.html",
    "scaling": "scaling.html",
    "gpu": "gpu.html",
    "benchmarks": "benchmarks.html",
}

# Run in the page: what a reader would see as broken.
PROBLEMS_JS = """
const problems = [];
for (const el of document.querySelectorAll('.xref')) {
  if (!el.closest('a')) problems.push('unresolved reference: ' + el.textContent.trim());
}
for (const img of document.querySelectorAll('img')) {
  const src = img.getAttribute('src') || '';
  if (src.includes('no_image')) problems.push('placeholder image: ' + src);
  else if (img.complete && img.naturalWidth === 0) problems.push('broken image: ' + src);
}
for (const pre of document.querySelectorAll('pre')) {
  if (pre.scrollWidth > pre.clientWidth + 1) {
    const line = pre.textContent.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), '');
    problems.push('code line cut off (' + pre.scrollWidth + ' > ' + pre.clientWidth +
                  ' px): ' + line.trim().slice(0, 80));
  }
}
const formulas = document.querySelectorAll('.math').length;
if (formulas && !document.querySelector('mjx-container')) {
  problems.push(formulas + ' formulas left as raw LaTeX (MathJax did not render them)');
}
return problems;
"""

#: Tallest screenshot Chromium takes in one piece; longer pages are saved in slices.
SLICE = 6000


def build():
    # -E: a fresh environment, so that no page keeps a reference resolved by an older build
    command = [sys.executable, "-m", "sphinx", "-E", "-W", "-q", "-b", "html", str(HERE), str(SITE)]
    subprocess.run(command, check=True)


MISSING = []  # paths the pages asked for and the site does not have


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_error(self, code, message=None, explain=None):
        if code == 404 and not self.path.startswith("/favicon"):
            MISSING.append(self.path)
        super().send_error(code, message, explain)


def serve(folder):
    handler = functools.partial(_Handler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def browser(width):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        sys.exit(
            "check_site.py needs Chromium and its ChromeDriver on the PATH "
            "(Debian/Ubuntu: apt install chromium chromium-driver)"
        )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        sys.exit('check_site.py needs selenium: pip install ".[doc-check]"')

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},1000")
    service = Service(driver)
    return webdriver.Chrome(options=options, service=service)


def _wait_for_math(driver, seconds=10):
    """Give MathJax (loaded by the page) time to typeset its formulas."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pending = driver.execute_script(
            "return document.querySelector('.math') !== null && "
            "document.querySelector('mjx-container') === null"
        )
        if not pending:
            return
        time.sleep(0.2)


def _screenshots(driver, width, name):
    """The whole page, in slices of at most ``SLICE`` pixels (``name.png``, ``name-2.png``,
    ...), so that no table of a long page goes unseen."""
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(width, min(max(height, 1000), SLICE))
    for index, top in enumerate(range(0, max(height, 1), SLICE), start=1):
        driver.execute_script(f"window.scrollTo(0, {top})")
        suffix = "" if index == 1 else f"-{index}"
        driver.save_screenshot(str(SHOTS / f"{name}{suffix}.png"))
    driver.execute_script("window.scrollTo(0, 0)")


def check(width=1400):
    server = serve(SITE)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver = browser(width)
    failures = {}
    try:
        for name, page in PAGES.items():
            MISSING.clear()
            driver.get(f"{base}/{page}")
            driver.execute_script("return document.fonts.ready")
            _wait_for_math(driver)
            _screenshots(driver, width, name)
            problems = driver.execute_script(PROBLEMS_JS)
            problems += [f"missing file: {path}" for path in MISSING]
            title = driver.title
            print(f"{name:22} {title[:50]:50} {len(problems)} problem(s)")
            if problems:
                failures[page] = problems
    finally:
        driver.quit()
        server.shutdown()
    for page, problems in failures.items():
        print(f"\n{page}:")
        for problem in problems:
            print(f"  {problem}")
    print(f"\nscreenshots in {SHOTS}")
    return 1 if failures else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-build", action="store_true", help="check the site as built")
    parser.add_argument("--width", type=int, default=1400, help="browser window width")
    args = parser.parse_args(argv)
    if not args.no_build:
        build()
    return check(args.width)


if __name__ == "__main__":
    sys.exit(main())
