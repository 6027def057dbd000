#!/usr/bin/env python3
"""Drives the Hallmark console in Debian's headless chromium (through chromium-driver and selenium; nothing is
downloaded): sign in, search, a rollout's files and readiness, request a promotion, submit two decisions signed
by the approvers' own command, execute, then roll back the same way. Saves a screenshot of each page.

Usage: console_flow.py BASE_URL TOKEN HALLMARK_BINARY WORK_DIR SCREENSHOT_DIR
WORK_DIR holds keys/ (alice, bob, carol) for the signing commands. Exits non-zero on the first failed step.
"""
import os
import re
import subprocess
import sys

os.environ.setdefault("SE_OFFLINE", "true")  # never let selenium fetch a browser or a driver

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

base, token, hallmark, work, shots = sys.argv[1:6]
os.makedirs(shots, exist_ok=True)

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--disable-gpu"):
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
driver.implicitly_wait(5)


def shot(name):
    # The whole page, not only the window.
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(800, min(height + 40, 4000)))
    driver.save_screenshot(os.path.join(shots, name + ".png"))
    driver.set_window_size(1280, 1000)


def expect(condition, message):
    if not condition:
        print("FAILED: " + message, file=sys.stderr)
        print(driver.current_url, file=sys.stderr)
        print(driver.find_element(By.TAG_NAME, "body").text[:3000], file=sys.stderr)
        driver.quit()
        sys.exit(1)


def navigate(action):
    """Runs `action` (a click that loads a page) and waits for the new page."""
    old = driver.find_element(By.TAG_NAME, "html")
    action()
    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(old))


def click(selector):
    navigate(lambda: driver.find_element(By.CSS_SELECTOR, selector).click())


def text():
    return driver.find_element(By.TAG_NAME, "body").text


def sign(command, key):
    """Runs the command the page shows, with the approver's key, and returns the envelope it prints."""
    argv = command.split(" > ")[0].split()
    argv = [hallmark] + argv[1:]
    argv[argv.index("YOUR-APPROVER-KEY.pem")] = key
    result = subprocess.run(argv, cwd=work, capture_output=True, text=True, env={**os.environ, "HALLMARK_TOKEN": token})
    expect(result.returncode == 0, "signing failed: " + result.stderr)
    return result.stdout.strip()


def approve_twice(first, second):
    for key in (first, second):
        envelope = sign(driver.find_element(By.ID, "sign-command").text, key)
        area = driver.find_element(By.NAME, "envelope")
        driver.execute_script("arguments[0].value = arguments[1];", area, envelope)
        click("#approval-form button")
        expect("recorded pa-" in text(), "the decision was not recorded")


# Sign in.
driver.get(base + "/ui/evidence")
expect(driver.current_url.endswith("/ui/login"), "an anonymous visit is sent to the sign-in page")
shot("login")
driver.find_element(By.NAME, "token").send_keys(token)
click("form button[type=submit]")
expect("/ui/evidence" in driver.current_url, "signed in")

# Search: choosing a kind submits the form (with script); the version filter narrows to the new release.
navigate(lambda: Select(driver.find_element(By.NAME, "kind")).select_by_value("rollout"))
expect("kind=rollout" in driver.current_url, "the kind filter submitted itself")
driver.find_element(By.NAME, "version").send_keys("v1.1.0")
click("form.filters button")
rows = driver.find_elements(By.CSS_SELECTOR, "#results tbody tr")
expect(len(rows) == 1 and "v1.1.0" in rows[0].text, "one rollout of v1.1.0")
shot("search")

# The rollout: its files verified under the artifact root, readiness per ring, downloads.
navigate(lambda: rows[0].find_element(By.TAG_NAME, "a").click())
panel = driver.find_element(By.ID, "artifacts").text
expect(panel.count("verified") >= 4, "four files verified")
expect(len(driver.find_elements(By.CSS_SELECTOR, "#artifacts a[href*='/artifacts/']")) == 4, "a download link per file")
expect(driver.find_element(By.CSS_SELECTOR, "a[href$='/artifact-bundle']"), "the bundle link")
expect("incomplete" in driver.find_element(By.ID, "readiness").text, "no request yet")
shot("evidence")

# Request canary; approvals 0 of 2; execute is disabled until two approvers have signed.
Select(driver.find_element(By.NAME, "targetRing")).select_by_value("canary")
click("#request-form button")
expect(re.search(r"/ui/requests/pr-[0-9a-f]{24}$", driver.current_url), "the new request's page")
expect(driver.find_element(By.ID, "approval-count").text == "0 of 2", "no approvals yet")
expect(not driver.find_element(By.CSS_SELECTOR, "#execute-form button").is_enabled(), "execute is disabled")
shot("request")
approve_twice(os.path.join(work, "keys/alice.key"), os.path.join(work, "keys/bob.key"))
expect(driver.find_element(By.ID, "approval-count").text == "2 of 2", "two approvals")
expect("ready" in driver.find_element(By.ID, "readiness").text, "ready")
shot("request-approved")

# Execute: the execution's audit page with its links.
click("#execute-form button")
expect(re.search(r"/ui/executions/px-[0-9a-f]{24}$", driver.current_url), "the execution page")
links = driver.find_element(By.ID, "links").text
expect("CHG-601" in links and "pa-" in links and "ro-" in links and "pr-" in links, "links to change, approvals, rollout, request")
shot("execution")
execution = driver.current_url.rsplit("/", 1)[1]

# Roll back to v1.0.0 (it ran on canary before): request, two decisions, execute.
driver.find_element(By.NAME, "toVersion").send_keys("v1.0.0")
driver.find_element(By.NAME, "reason").send_keys("error rate 4% after the update")
click("#rollback-form button")
expect(re.search(r"/ui/requests/rr-[0-9a-f]{24}$", driver.current_url), "the rollback request's page")
expect(execution in text(), "it names the execution it reverses")
approve_twice(os.path.join(work, "keys/bob.key"), os.path.join(work, "keys/carol.key"))
shot("rollback-request")
click("#execute-form button")
expect(re.search(r"/ui/executions/rx-[0-9a-f]{24}$", driver.current_url), "the rollback execution page")
expect(execution in driver.find_element(By.ID, "links").text, "it links the execution it reverses")
shot("rollback-execution")

# The reversed execution now lists its rollback.
driver.get(base + "/ui/executions/" + execution)
expect("rr-" in driver.find_element(By.ID, "links").text and "rx-" in driver.find_element(By.ID, "links").text, "the rollback is linked")

# Works without JavaScript too: the search page is a plain form.
driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
driver.get(base + "/ui/evidence?kind=promotion-execution")
expect(len(driver.find_elements(By.CSS_SELECTOR, "#results tbody tr")) >= 2, "search without script")
driver.quit()
print("console flow: ok")
