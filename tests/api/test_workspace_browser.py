"""A reviewer's day in a real browser (Debian's Chromium through Selenium) against a live `o2c serve`:
sign in (and fail), filter, claim, correct a misread quantity, choose a product and post; apply cash across two
invoices (a broken ledger rule first), settle a deduction, dismiss an item; then check it all through the API.
Also a screenshot of the exception page and the accessibility basics (labels, focus order)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import KEYS
from tests.api.day_documents import misread_po, short_pay_remittance
from tests.conftest import REQUIRE_SERVICES

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "fixtures" / "samples"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
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
    "--window-size=1600,1100",
)
pytestmark = pytest.mark.timeout(240)


def _need_browser():
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401 - only to learn whether it is installed
    except ImportError:
        missing.append("the selenium package")
    if missing:
        message = f"browser test needs {', '.join(missing)} (apt-get install chromium chromium-driver)"
        if REQUIRE_SERVICES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _documents() -> list[tuple[str, bytes]]:
    return [
        ("po_harbor_misread.pdf", misread_po()),
        ("remit_summit_short.pdf", short_pay_remittance()),
        *[
            (n, (SAMPLES / n).read_bytes())
            for n in (
                "remit_harbor_unmatched.pdf",
                "po_acme_45810.pdf",
                "po_acme_45810_resend.pdf",
                "po_redwood_price_mismatch.pdf",
            )
        ],
    ]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`o2c serve` on a random port (SQLite, inline), loaded with master data and the day's documents."""
    _need_browser()
    data = tmp_path_factory.mktemp("workspace")
    port = _free_port()
    env = {
        **os.environ,
        "O2C_DATA_DIR": str(data),
        "O2C_BUSINESS_DATE": "2026-03-20",
        "O2C_API_KEYS": ",".join(f"{k}:{r}" for r, k in KEYS.items() if k),
        "O2C_TRUSTED_ADVICE_CHANNELS": "upload,email",
    }  # allow-listed connectors (docs/cash-model.md)
    for name in ("O2C_DATABASE_URL", "O2C_REDIS_URL", "O2C_STORAGE_DIR"):
        env.pop(name, None)
    o2c = Path(sys.executable).with_name("o2c")
    command = [str(o2c)] if o2c.exists() else [sys.executable, "-c", "from cli.main import app; app()"]
    process = subprocess.Popen(
        [*command, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("o2c serve did not start")
        api = httpx.Client(base_url=base, timeout=60)
        for kind in ("customers", "products", "prices", "invoices"):
            r = api.post(
                f"/master-data/{kind}",
                files={"file": (f"{kind}.csv", (SAMPLES / f"{kind}.csv").read_bytes(), "text/csv")},
                headers={"X-API-Key": KEYS["erp"]},
            )
            assert r.status_code == 200, r.text
        outcomes = {}
        for name, content in _documents():
            r = api.post(
                "/documents",
                files={"file": (name, content, "application/pdf")},
                headers={"X-API-Key": KEYS["connector"]},
            )
            assert r.status_code in (200, 201), r.text
            outcomes[name] = r.json()["outcomes"][0]
        yield base, api, outcomes
        api.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(served, tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def _by(testid: str) -> tuple[str, str]:
    return "css selector", f"[data-testid='{testid}']"


def _submit(driver, element) -> None:
    """Click something that posts a form, and wait until the browser has left the old page (on a loaded machine
    the next lookup would otherwise still see the page the click came from)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element("tag name", "html")
    element.click()

    def left_the_page(_driver) -> bool:
        try:
            old.is_enabled()  # any call on an element of a page that is gone raises
        except WebDriverException:  # stale element, or Chrome's "node does not belong to the document"
            return True
        return False

    WebDriverWait(driver, 30).until(left_the_page)
    # and until the next page has loaded: a resolution decides the document again before it answers, which on a
    # loaded machine takes longer than the lookups' implicit wait
    WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _confirm(driver) -> None:
    """The confirmation step of an action that posts money: the dialog shows, the reviewer confirms."""
    button = driver.find_element(*_by("confirm"))
    assert button.is_displayed()
    _submit(driver, button)


def _unlabelled(driver) -> list[str]:
    """Visible form controls without a label (label[for], a wrapping label, aria-label or aria-labelledby)."""
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('input, select, textarea'))
          .filter(el => el.type !== 'hidden' && !el.closest('dialog'))
          .filter(el => !(el.id && document.querySelector('label[for="' + el.id + '"]')) && !el.closest('label')
                        && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
          .map(el => el.outerHTML.slice(0, 120));""")


def _focus_follows_the_page(driver, steps: int = 12) -> None:
    """From the first focusable element, Tab visits the others in document order (so the order people read is the
    order they tab), and no element jumps the queue with a positive tabindex."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    assert (
        driver.execute_script(
            'return document.querySelectorAll(\'[tabindex]:not([tabindex="-1"]):not([tabindex="0"])\').length'
        )
        == 0
    )
    focusable = """Array.from(document.querySelectorAll('a[href], button, input, select, textarea, [tabindex="0"]'))
          .filter(el => !el.disabled && el.type !== 'hidden' && el.offsetParent !== null && !el.closest('dialog'))"""
    expected = driver.execute_script(f"return {focusable}.map(el => el.outerHTML.slice(0, 80));")
    driver.execute_script(f"{focusable}[0].focus();")
    seen = [driver.execute_script("return document.activeElement.outerHTML.slice(0, 80)")]
    for _ in range(min(steps, len(expected)) - 1):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        seen.append(driver.execute_script("return document.activeElement.outerHTML.slice(0, 80)"))
    assert seen == expected[: len(seen)]


def test_a_reviewers_day(served, browser, tmp_path):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    base, api, outcomes = served
    rev = {"X-API-Key": KEYS["reviewer"]}
    driver = browser

    # 1. sign in: the queue sends an anonymous visitor to the form; a wrong key and an ERP key see nothing
    driver.get(f"{base}/review")
    assert "/review/sign-in" in driver.current_url
    assert not _unlabelled(driver)
    _focus_follows_the_page(driver, steps=2)
    for wrong in ("not-a-key", KEYS["erp"]):
        driver.find_element("id", "api_key").send_keys(wrong)
        _submit(driver, driver.find_element(*_by("sign-in")))
        error = driver.find_element(*_by("sign-in-error")).text
        assert "not known" in error or "cannot open the workspace" in error
        assert not driver.find_elements(*_by("exception-row"))
    driver.find_element("id", "api_key").send_keys(KEYS["reviewer"])
    _submit(driver, driver.find_element(*_by("sign-in")))
    assert len(driver.find_elements(*_by("exception-row"))) == 4
    assert not _unlabelled(driver)
    cookie = driver.get_cookie("o2c_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    # 2. filter the queue to the unknown product, open it, claim it
    Select(driver.find_element("id", "f-reason")).select_by_value("unknown_product")
    _submit(driver, driver.find_element(*_by("apply-filters")))
    rows = driver.find_elements(*_by("exception-row"))
    misread = outcomes["po_harbor_misread.pdf"]
    assert [int(r.get_attribute("data-exception-id")) for r in rows] == [misread["exception_id"]]
    _submit(driver, rows[0].find_element("css selector", "a"))
    assert driver.current_url.endswith(f"/review/{misread['exception_id']}")
    _submit(driver, driver.find_element(*_by("claim")))
    assert "Claimed by you" in driver.find_element(*_by("claim-indicator")).text
    image = driver.find_element(*_by("page-image"))
    assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 500
    fields = driver.find_elements(*_by("field"))
    assert len(fields) >= 10 and any("flagged" in f.get_attribute("class") for f in fields)
    assert driver.find_elements("css selector", "[data-testid='field'] .conf-low")
    assert not _unlabelled(driver)
    _focus_follows_the_page(driver)
    driver.find_element(*_by("resolve-correct"))  # the shortcuts walk the fields: j twice lands on the second
    driver.find_element("tag name", "body").send_keys("j")
    driver.switch_to.active_element.send_keys(Keys.ALT, Keys.ARROW_DOWN)
    assert driver.switch_to.active_element.get_attribute("name") == f"f.{fields[1].get_attribute('data-path')}"
    driver.find_element("id", "zoom-in").click()
    assert driver.find_element("id", "zoom-label").text == "125%"
    driver.find_element("id", "zoom-fit").click()
    driver.find_element("css selector", "[data-path='order.lines[0].quantity'] .show-box").click()
    driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0);")
    time.sleep(0.5)  # the highlighted page image loads
    driver.save_screenshot(str(tmp_path / "exception-page.png"))
    assert (tmp_path / "exception-page.png").stat().st_size > 50_000

    # correct the misread quantity (10 -> 100), then choose the product the description matches, and post
    quantity = driver.find_element("css selector", "[data-path='order.lines[0].quantity'] input")
    assert quantity.get_attribute("value") == "10"
    quantity.clear()
    quantity.send_keys("100")
    _submit(driver, driver.find_element(*_by("resolve-correct")))
    assert "correct: exception" in driver.find_element(*_by("notice")).text
    assert (
        driver.find_element("css selector", "[data-path='order.lines[0].quantity'] input").get_attribute("value")
        == "100"
    )
    candidate = driver.find_element(*_by("resolve-choose_product"))
    assert "SEL-3020" in candidate.find_element("xpath", "./..").text
    candidate.click()
    _confirm(driver)
    assert "choose_product: posted" in driver.find_element(*_by("notice")).text
    assert driver.find_element(*_by("exception-status")).text.lower() == "resolved"

    # 3. cash across two invoices: an over-application is refused with the rule named; then it posts
    remit = outcomes["remit_harbor_unmatched.pdf"]
    driver.get(f"{base}/review/{remit['exception_id']}")
    remaining = driver.find_element(*_by("remaining"))
    assert remaining.text == "7,680.00"
    driver.find_element("css selector", "[name='apply.INV-10007']").send_keys("99999")
    assert remaining.text == "-92,319.00"
    driver.find_element(*_by("resolve-apply_cash")).click()
    _confirm(driver)
    error = driver.find_element(*_by("rule-error")).text
    assert "Refused:" in error and "Traceback" not in driver.page_source
    for number in ("INV-10007", "INV-10008"):
        driver.find_element("css selector", f"[data-invoice='{number}'] .fill").click()
    assert driver.find_element("css selector", "[name='apply.INV-10007']").get_attribute("value") == "6480.00"
    assert driver.find_element("css selector", "[name='apply.INV-10008']").get_attribute("value") == "415.50"
    assert driver.find_element(*_by("remaining")).text == "784.50"
    driver.find_element("id", "cash-note").send_keys("INV-10099 unknown: rest on account")
    driver.find_element(*_by("resolve-apply_cash")).click()
    _confirm(driver)
    assert "apply_cash: posted" in driver.find_element(*_by("notice")).text

    # settle the Summit short pay as a write-off with a reason code
    driver.get(f"{base}/review/deductions")
    row = driver.find_element(*_by("deduction-row"))
    assert "INV-10005" in row.text and "310.80" in row.text
    Select(row.find_element("css selector", "[name=outcome]")).select_by_value("write_off")
    Select(row.find_element("css selector", "[name=reason_code]")).select_by_value("pricing")
    row.find_element("css selector", "[name=note]").send_keys("price agreed by sales")
    assert not _unlabelled(driver)
    row.find_element(*_by("resolve-deduction")).click()
    _confirm(driver)
    assert "written off" in driver.find_element(*_by("notice")).text

    # dismiss the resent duplicate (no money moves: no confirmation)
    resend = outcomes["po_acme_45810_resend.pdf"]
    driver.get(f"{base}/review/{resend['exception_id']}")
    driver.find_element("id", "decide-note").send_keys("a copy, not a new order")
    _submit(driver, driver.find_element(*_by("resolve-dismiss")))
    assert driver.find_element(*_by("exception-status")).text.lower() == "dismissed"
    trail = driver.find_element(*_by("audit-trail")).text
    assert "exception.resolved" in trail and "reviewer:" in trail

    # 4. the API shows each result and the audit trail
    order = next(
        o
        for o in api.get("/orders", params={"limit": 500}, headers={"X-API-Key": KEYS["erp"]}).json()["items"]
        if o["po_number"] == "HM-3431"
    )
    line = next(ln for ln in order["lines"] if ln["sku"] == "SEL-3020")
    assert Decimal(line["quantity"]) == 100
    applied = {
        a["invoice_number"]: Decimal(a["amount"])
        for a in api.get("/applications", params={"limit": 500}, headers={"X-API-Key": KEYS["erp"]}).json()["items"]
    }
    assert applied["INV-10007"] == Decimal("6480.00") and applied["INV-10008"] == Decimal("415.50")
    deduction = api.get("/deductions", params={"status": "all"}, headers=rev).json()["items"][0]
    assert deduction["status"] == "written_off" and deduction["reason_code"] == "pricing"
    settled = api.get(f"/deductions/{deduction['id']}/audit", headers=rev).json()["events"]
    assert settled[-1]["kind"] == "deduction.settled" and settled[-1]["actor"].startswith("reviewer:")
    assert api.get(f"/exceptions/{resend['exception_id']}", headers=rev).json()["status"] == "dismissed"
    for exception_id, action in (
        (misread["exception_id"], "choose_product"),
        (remit["exception_id"], "apply_cash"),
        (resend["exception_id"], "dismiss"),
    ):
        events = api.get(f"/exceptions/{exception_id}/audit", headers=rev).json()["events"]
        resolved = [e for e in events if e["kind"] == "exception.resolved"]
        assert resolved[-1]["payload"]["action"] == action and resolved[-1]["actor"].startswith("reviewer:")
    corrected = next(
        e
        for e in api.get(f"/exceptions/{misread['exception_id']}/audit", headers=rev).json()["events"]
        if e["kind"] == "extraction.corrected" and e["payload"]["changed"]
    )
    assert {"field": "order.lines[0].quantity", "before": "10", "after": "100"} in corrected["payload"]["changed"]

    # sign out: the queue is closed again
    driver.get(f"{base}/review")
    _submit(driver, driver.find_element(*_by("sign-out")))
    assert "/review/sign-in" in driver.current_url
    driver.get(f"{base}/review")
    assert "/review/sign-in" in driver.current_url
    shutil.copy(tmp_path / "exception-page.png", tmp_path / "exception-page-final.png")
