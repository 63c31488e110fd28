"""The Gradio demo end to end: its two named endpoints through gradio_client, and the page in
a headless Chromium (Debian's ``chromium`` and ``chromium-driver``, driven by Selenium).

The app runs in this process on 127.0.0.1 on a free port and is always closed. The knowledge
store is built in a temporary cache with the packaged embedding model (offline). Screenshots
go to pytest's tmp_path.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sportsgpt.core.errors import DatasetNotFoundError
from sportsgpt.core.settings import Settings

pytestmark = pytest.mark.integration

gr = pytest.importorskip("gradio", reason="the demo needs the web extra (gradio)")
gradio_client = pytest.importorskip("gradio_client", reason="gradio_client comes with gradio")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
WAIT_S = 240


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPORTSGPT_")}
    if os.environ.get("SPORTSGPT_DATA"):
        env["SPORTSGPT_DATA"] = os.environ["SPORTSGPT_DATA"]
    env["SPORTSGPT_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    env["SPORTSGPT_LLM_BACKEND"] = "none"
    return Settings.from_env(env)


@pytest.fixture(scope="module")
def cmu_16_01(settings: Settings) -> Path:
    from sportsgpt.tools.datasets import cmu_trial_path

    try:
        return cmu_trial_path("16_01", settings)
    except DatasetNotFoundError as exc:
        pytest.skip(f"shared data set not available: {exc}")


@pytest.fixture(scope="module")
def app_url(settings: Settings, cmu_16_01: Path) -> Iterator[str]:
    from sportsgpt.api import SportsGPT
    from sportsgpt.web import launch

    port = _free_port()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        ctx = SportsGPT(settings, progress=None)
        demo = launch(port=port, ctx=ctx, prevent_thread_lock=True)
        try:
            yield f"http://127.0.0.1:{port}/"
        finally:
            demo.close()
            ctx.close()


# --- gradio_client: the two named endpoints --------------------------------------------------
@pytest.fixture(scope="module")
def squat(settings: Settings) -> Path:
    from sportsgpt.tools.datasets import ui_prmd_path

    try:
        return ui_prmd_path("deep_squat", 1, 1, settings=settings)
    except DatasetNotFoundError as exc:
        pytest.skip(f"shared data set not available: {exc}")


def test_named_endpoints_answer_with_the_assessment_and_the_coach_json(
        app_url: str, squat: Path) -> None:
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/analyze", "/coach"} <= set(endpoints)

    report = client.predict(handle_file(str(squat)), "auto", api_name="/analyze")
    reps = report["repetitions"]
    assert reps and reps[0]["movement"] == "deep_squat"
    assert {"keyframes", "metrics", "findings", "quality"} <= set(reps[0])
    assert [k["name"] for k in reps[0]["keyframes"]] == ["descent_start", "bottom", "ascent_end"]

    first = client.predict(handle_file(str(squat)), "what is wrong with my squat?", "",
                           api_name="/coach")
    assert first["route"] == "analyze" and first["findings"] is not None
    assert first["backend"]["name"] == "none" and first["answer"].strip()
    cited = {c["id"] for c in first["citations"]}
    assert all(f"[{i}]" in first["answer"] for i in cited)
    follow = client.predict(None, "and how do I train it?", first["thread_id"],
                            api_name="/coach")
    assert follow["thread_id"] == first["thread_id"]
    assert follow["route"] != "analyze" or follow["findings"]  # the thread kept its recording


def test_analyze_endpoint_names_a_bad_movement(app_url: str, squat: Path) -> None:
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    client = Client(app_url, verbose=False)
    with pytest.raises(AppError, match="tennis_serve"):
        client.predict(handle_file(str(squat)), "tennis_serve", api_name="/analyze")


# --- the page in a headless Chromium ----------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("headless browser test needs Debian's chromium and chromium-driver "
                    f"(found chromium={CHROMIUM}, chromedriver={CHROMEDRIVER})")
    webdriver = pytest.importorskip("selenium.webdriver",
                                    reason="the browser test needs selenium (pip)")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--no-first-run",
                "--disable-extensions", "--metrics-recording-only", "--mute-audio",
                "--window-size=1400,2400"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def test_a_coach_picks_cmu_16_01_and_gets_findings_guidance_and_a_chat(
        app_url: str, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT_S)
    browser.get(app_url)
    sample = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#sample input")))
    sample.click()
    sample.send_keys("CMU 16_01")
    wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "ul[role='listbox'] li")))
    sample.send_keys(Keys.ARROW_DOWN, Keys.ENTER)
    wait.until(lambda d: "16_01" in d.find_element(By.CSS_SELECTOR, "#sample input")
               .get_attribute("value"))
    browser.find_element(By.CSS_SELECTOR, "#analyse").click()

    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#findings-list li.finding")))
    findings = browser.find_element(By.CSS_SELECTOR, "#findings-list").text
    assert "limited arm swing" in findings and "moderate" in findings
    guidance = browser.find_element(By.CSS_SELECTOR, "#guidance-text")
    cites = guidance.find_elements(By.CSS_SELECTOR, "button.cite")
    assert cites, guidance.text[:400]
    status = browser.find_element(By.CSS_SELECTOR, "#status").text
    assert "deterministic composer" in status and "embedded store" in status
    browser.save_screenshot(str(tmp_path / "results.png"))

    cites[0].click()  # opens the source card (a popover)
    card_id = cites[0].get_attribute("popovertarget")
    card = browser.find_element(By.ID, card_id)
    wait.until(lambda d: card.is_displayed())
    assert card.find_element(By.TAG_NAME, "a").get_attribute("href").startswith("http")
    browser.save_screenshot(str(tmp_path / "source_card.png"))
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()  # the keyboard closes it
    wait.until(lambda d: not card.is_displayed())

    browser.find_element(By.XPATH, "//button[@role='tab'][contains(., 'Chat')]").click()
    box = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#message textarea")))
    before = browser.find_element(By.CSS_SELECTOR, "#chatbot").text
    box.send_keys("and how should I train my landing?", Keys.ENTER)
    wait.until(lambda d: len(d.find_element(By.CSS_SELECTOR, "#chatbot").text)
               > len(before) + 100)
    chat = browser.find_element(By.CSS_SELECTOR, "#chatbot").text
    assert "and how should I train my landing?" in chat
    browser.save_screenshot(str(tmp_path / "chat.png"))
    assert (tmp_path / "results.png").stat().st_size > 10_000
