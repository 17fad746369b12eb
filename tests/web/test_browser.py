"""Each user's main journey in headless Chromium (Debian's chromium + chromium-driver) against the
app served on 127.0.0.1:5114 with a real worker and a local SMTP server. Every page gets a
screenshot (under $MAILLON_TEST_OUTPUT, default test-output/screenshots), an axe-core check (no
serious or critical violation) and, per journey, a check that no request left the host."""
from __future__ import annotations

import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from service import EXTENSION
from tests.web.conftest import Inbox, as_member, mail_stack

selenium = pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

PORT = int(os.environ.get("MAILLON_TEST_WEB_PORT", "5114"))  # another port where 5114 is taken
BASE = f"http://127.0.0.1:{PORT}"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = Path(os.environ.get("MAILLON_TEST_OUTPUT", "test-output")) / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="needs chromium and chromium-driver (apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, embedder, inbox: Inbox) -> Iterator:
    with mail_stack(tmp_path_factory.mktemp("web-browser"), embedder, BASE) as app:
        server = make_server("127.0.0.1", PORT, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield app
        server.shutdown()
        thread.join(10)


@pytest.fixture(scope="module")
def driver() -> Iterator:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=1280,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.set_page_load_timeout(60)
    yield browser
    browser.quit()


def check_page(driver, name: str) -> None:
    """Screenshot, then axe-core: no serious or critical accessibility violation."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}.png"))
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    violations = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map("
        "v => ({id: v.id, impact: v.impact, help: v.help,"
        "       nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))));")
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {json.dumps(bad, indent=1)}"


def requested_urls(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def assert_on_host(driver) -> None:
    """No request left the host, and the CSP blocked nothing the pages need (console errors)."""
    urls = requested_urls(driver)
    assert urls, "the performance log recorded no request"
    off_host = [u for u in urls if not u.startswith(BASE + "/") and not u.startswith("data:")]
    assert not off_host, off_host
    errors = [e["message"] for e in driver.get_log("browser")
              if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]  # the print pages have none
              and not ("/board/move" in e["message"] and "status of 409" in e["message"])]  # a conflict shown
    assert not errors, errors


def wait_text(driver, text: str, timeout_s: float = 90) -> None:
    WebDriverWait(driver, timeout_s).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), text))


def sign_in(driver, app, role: str, subject: str, email: str, language: str = "en", path: str = "") -> None:
    svc = app.extensions[EXTENSION]
    account = svc.signin.register(email, role, subject, language=language)
    driver.delete_all_cookies()
    driver.get(svc.notifier().signin_url(account, path))
    driver.find_element(By.ID, "signin-button").click()


def test_sme_edits_profile_gets_suggestions_sends_request_and_target_accepts_from_the_email(
        site, driver, inbox: Inbox) -> None:
    sign_in(driver, site, "member", "t-fr-sme", "t-fr-sme@example.org")
    wait_text(driver, "My events")
    check_page(driver, "sme-1-home")

    driver.get(f"{BASE}/app/me/profile")
    description = driver.find_element(By.ID, "f-description")
    description.clear()
    description.send_keys("PME d'usinage 5 axes (titane, aluminium), certifiée EN 9100; cherche un anodiseur.")
    check_page(driver, "sme-2-profile")
    driver.find_element(By.CSS_SELECTOR, "form[action='/app/me/profile'] button[type=submit]").click()
    wait_text(driver, "Done.")  # htmx polled the ingest job until it finished
    check_page(driver, "sme-3-profile-saved")
    assert "cherche un anodiseur" in site.extensions[EXTENSION].index.get("members", "t-fr-sme")["description"]

    driver.get(f"{BASE}/app/me/suggestions?event=fair-1")
    wait_text(driver, "Eloxal Werk Bayern GmbH")
    check_page(driver, "sme-4-suggestions")
    card = driver.find_element(By.XPATH, "//li[.//h2[contains(., 'Eloxal Werk Bayern GmbH')]]")
    card.find_element(By.TAG_NAME, "textarea").send_keys("Anodisation de 200 pièces par mois ?")
    card.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_text(driver, "My requests at")
    assert "pending" in driver.page_source
    check_page(driver, "sme-5-requests")
    assert_on_host(driver)

    mail = inbox.wait_for(1)[-1]
    assert mail["To"] == "t-de-anodiser@example.org"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    link = re.search(re.escape(BASE) + r"/app/signin/\S+", body).group(0)
    driver.delete_all_cookies()
    driver.get(link)
    driver.find_element(By.ID, "signin-button").click()
    wait_text(driver, "My requests at")
    check_page(driver, "target-1-requests")
    driver.find_element(By.CSS_SELECTOR, "button.accept").click()
    wait_text(driver, "accepted")
    check_page(driver, "target-2-accepted")
    assert inbox.wait_for(2)[-1]["To"] == "t-fr-sme@example.org"
    assert_on_host(driver)


def test_organiser_solves_moves_a_meeting_and_prints(site, driver) -> None:
    pids = site.config["seeded"]["pids"]  # a second meeting of the SME, so that a move can collide
    req = as_member(site, "t-es-machinist").send_request("fair-1", pids["t-es-machinist"],
                                                         {"to": pids["t-fr-sme"], "priority": 3})
    as_member(site, "t-fr-sme").answer("fair-1", req["id"], accept=True)
    sign_in(driver, site, "organiser", "org-a", "orga@example.org")
    wait_text(driver, "Your events")
    check_page(driver, "organiser-1-events")
    driver.find_element(By.LINK_TEXT, "Salon Aéro B2B").click()
    wait_text(driver, "Meetings per participant")
    Select(driver.find_element(By.ID, "state")).select_by_value("preliminary")
    driver.find_element(By.ID, "solve-button").click()
    wait_text(driver, "Agenda version 1", 120)  # htmx polled the job, then reloaded the dashboard
    check_page(driver, "organiser-2-dashboard-solved")

    driver.get(f"{BASE}/app/events/fair-1/board")
    check_page(driver, "organiser-3-board")
    locks = driver.find_elements(By.CSS_SELECTOR, "form[action$='/board/lock'] button")
    assert locks, "the solved agenda has meetings to lock"
    before = len(locks)
    locks[0].click()
    wait_text(driver, "locked")
    assert len(driver.find_elements(By.CSS_SELECTOR, "form[action$='/board/lock'] button")) == before - 1
    check_page(driver, "organiser-4-board-locked")

    # pick the SME's meeting with the machinist (htmx opens its move form in place) and ask for the
    # time of the SME's other meeting: the conflict is shown next to it
    other = driver.find_element(By.XPATH, "//table[contains(@class,'board')]//tr[td[contains(., 'Eloxal')]]/th").text
    cell = driver.find_element(By.XPATH, "//td[starts-with(@id, 'm-')][contains(., 'Mecanizados Tajo SL')]")
    names = cell.find_element(By.TAG_NAME, "span").text
    cell.find_element(By.CSS_SELECTOR, "a.move-link").click()
    WebDriverWait(driver, 30).until(ec.presence_of_element_located((By.ID, "move-form")))
    Select(driver.find_element(By.ID, "move-start")).select_by_value(other.replace(" ", "T"))
    driver.find_element(By.ID, "move-button").click()
    wait_text(driver, "This move collides:", 30)
    assert "Mécanique de Précision Garonne already meets Eloxal Werk Bayern GmbH" in \
        driver.find_element(By.ID, "move-conflicts").text
    check_page(driver, "organiser-5-board-conflict")

    # then to the last slot at the last table: the board shows it there
    start, table = Select(driver.find_element(By.ID, "move-start")), Select(driver.find_element(By.ID, "move-table"))
    start.select_by_index(len(start.options) - 1)
    table.select_by_index(len(table.options) - 1)
    when, label = start.first_selected_option.get_attribute("value"), table.first_selected_option.text
    check_page(driver, "organiser-6-board-move")
    driver.find_element(By.ID, "move-button").click()
    WebDriverWait(driver, 30).until(ec.invisibility_of_element_located((By.ID, "move-form")))
    rows = driver.find_elements(By.CSS_SELECTOR, ".board tbody tr")
    assert names in rows[-1].find_elements(By.TAG_NAME, "td")[-1].text  # the board shows it there
    check_page(driver, "organiser-7-board-moved")

    driver.get(f"{BASE}/app/events/fair-1/print/participants")
    a_name, b_name = names.split(" · ")
    agenda = driver.find_element(By.XPATH, f"//section[h2[starts-with(., '{a_name} (')]]").text
    assert f"{when.replace('T', ' ')}–" in agenda and f" {label} {b_name}" in agenda, agenda
    check_page(driver, "organiser-8-print-agendas")
    driver.get(f"{BASE}/app/events/fair-1/outbox")
    check_page(driver, "organiser-9-outbox")
    assert_on_host(driver)


def test_cluster_manager_opens_the_value_chain_and_the_map(site, driver) -> None:
    sign_in(driver, site, "cluster_manager", "t-fr-aero", "cm@example.org", language="fr")
    wait_text(driver, "Chaîne de valeur")
    assert driver.find_elements(By.CSS_SELECTOR, ".chain li.missing")  # surface treatment is missing
    check_page(driver, "cluster-1-value-chain")
    driver.get(f"{BASE}/app/cluster/partners")
    wait_text(driver, "Recherche de partenaires")
    assert driver.find_elements(By.CSS_SELECTOR, ".map path.partner")
    check_page(driver, "cluster-2-partners-map")
    driver.get(f"{BASE}/app/cluster/consortia")
    check_page(driver, "cluster-3-consortia")
    assert_on_host(driver)


def test_phone_layout(site, driver) -> None:
    driver.set_window_size(390, 844)
    try:
        sign_in(driver, site, "member", "t-fr-sme", "t-fr-sme@example.org")
        driver.get(f"{BASE}/app/events/fair-1/requests")
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
        check_page(driver, "phone-requests")
    finally:
        driver.set_window_size(1280, 900)
