#!/usr/bin/python3
"""The web page in a real browser (issue 16): Debian's chromium and chromium-driver, driven by
python3-selenium, against a real `examq serve`, PostgreSQL and `examq worker`.

Run by ctest (web_browser) with the environment ci/test sets: PG* for the cluster,
EXAMQ_TEST_TEMPLATE (a database with the schema), EXAMQ_BIN. Set EXAMQ_SCREENSHOTS=DIR to save
the tracker and result views there (docs/images/ was made that way).

Waits are on the page's state (WebDriverWait polls the DOM), never fixed sleeps.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMQ = os.environ.get("EXAMQ_BIN") or os.environ.get("EXAMQ_BIN_BUILT") or os.path.join(SOURCE, "build", "worker", "examq")
SAMPLE = os.path.join(SOURCE, "docs", "samples", "sample-exam-paper.pdf")
SECRET = "browser-test-secret-browser-test-secret-0123456789"


def psql(db, sql):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


class Server:
    """`examq serve --dev-login` on a loopback port; restartable on the same port."""

    def __init__(self, db, port=0):
        self.db = db
        self.log = tempfile.NamedTemporaryFile(prefix="examq-serve-", suffix=".log", delete=False)
        env = dict(os.environ, EXAMQ_JWT_SECRET=SECRET)
        self.proc = subprocess.Popen([EXAMQ, "serve", "--db", f"dbname={db}", "--listen", f"127.0.0.1:{port}", "--dev-login"],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.url = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.url is None:
            with open(self.log.name) as f:
                m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", f.read())
            if m:
                self.url = m.group(1)
            elif self.proc.poll() is not None:
                raise RuntimeError("examq serve exited: " + open(self.log.name).read())
            else:
                time.sleep(0.05)  # the log has no readiness signal
        if self.url is None:
            raise RuntimeError("examq serve did not start: " + open(self.log.name).read())
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
        self.log.close()
        if os.path.exists(self.log.name):
            os.unlink(self.log.name)


class BrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = f"examq_t_web_{os.getpid()}"
        subprocess.run(["createdb", "-T", os.environ.get("EXAMQ_TEST_TEMPLATE", "examq_template"), cls.db], check=True)
        cls.server = Server(cls.db)
        cls.worker_log = tempfile.NamedTemporaryFile(prefix="examq-worker-", suffix=".log", delete=False)
        cls.worker = subprocess.Popen([EXAMQ, "worker", "--db", f"dbname={cls.db}", "--concurrency", "2", "--poll-interval", "500ms"],
                                      stdout=cls.worker_log, stderr=subprocess.STDOUT)
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
            options.add_argument(arg)
        cls.browser = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
        cls.files = tempfile.mkdtemp(prefix="examq-web-")
        cls.shots = os.environ.get("EXAMQ_SCREENSHOTS")

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()
        cls.worker.send_signal(signal.SIGTERM)
        cls.worker.wait(60)
        cls.worker_log.close()
        os.unlink(cls.worker_log.name)
        cls.server.stop()
        shutil.rmtree(cls.files)
        subprocess.run(["dropdb", "--force", "--if-exists", cls.db], check=False)

    # ---- helpers ---------------------------------------------------------------------------
    def wait(self, predicate, timeout=60, message=""):
        try:
            return WebDriverWait(self.browser, timeout, poll_frequency=0.1).until(lambda d: predicate(), message)
        except Exception:
            jobs = psql(self.db, "SELECT string_agg(id || ' ' || status || ' ' || attempts, E'\\n') FROM processing_jobs")
            rows = "\n".join(r.text for r in self.browser.find_elements(By.CSS_SELECTOR, "#jobs tbody tr"))
            state = self.browser.find_element(By.ID, "stream-state").text
            console = self.browser.get_log("browser") if hasattr(self.browser, "get_log") else []
            raise AssertionError(f"{message}\njobs:\n{jobs}\npage ({state}):\n{rows}\nconsole: {console}")

    def row(self, job_id):
        rows = self.browser.find_elements(By.CSS_SELECTOR, f'#jobs tbody tr[data-id="{job_id}"]')
        return rows[0] if rows else None

    def status_of(self, job_id):
        r = self.row(job_id)
        return r.find_element(By.CSS_SELECTOR, "td.status").text if r else None

    def insert_job(self, payload):
        return psql(self.db, f"INSERT INTO processing_jobs (job_type, payload) VALUES ('noop', '{payload}') RETURNING id")

    def click_in_row(self, job_id, label):
        buttons = [b for b in self.row(job_id).find_elements(By.TAG_NAME, "button") if b.text == label]
        self.assertTrue(buttons, f"no {label} button for {job_id}")
        buttons[0].click()

    def sign_in(self):
        b = self.browser
        b.get(self.server.url + "/")
        dev = self.wait(lambda: b.find_element(By.ID, "dev-login") if b.find_element(By.ID, "dev-login").is_displayed() else None,
                        message="no local admin session button")
        dev.click()
        self.wait(lambda: b.find_element(By.ID, "stream-state").text == "Live", message="the event stream did not open")
        b.execute_script("window.__completed = []; window.addEventListener('jobcomplete', e => window.__completed.push(e.detail.id));"
                         "window.__hooked = []; window.examq.onJobComplete = j => window.__hooked.push(j.id);")

    # ---- the test --------------------------------------------------------------------------
    def test_upload_watch_open_cancel_retry_and_recover(self):
        b = self.browser
        self.sign_in()

        # Upload: the sample paper and two bad files; the bad ones say why, the good one goes.
        not_pdf = os.path.join(self.files, "notes.pdf")
        with open(not_pdf, "w") as f:
            f.write("just some notes, not a PDF\n")
        picture = os.path.join(self.files, "photo.png")
        with open(picture, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
        b.find_element(By.CSS_SELECTOR, 'header nav button[data-view="upload"]').click()
        b.find_element(By.ID, "files").send_keys("\n".join([SAMPLE, not_pdf, picture]))
        b.find_element(By.ID, "priority").send_keys("High")
        b.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()
        self.wait(lambda: len(b.find_elements(By.CSS_SELECTOR, "#upload-results li")) == 3, message="not every file was reported")
        results = [li.text for li in b.find_elements(By.CSS_SELECTOR, "#upload-results li")]
        self.assertTrue(any(r.startswith("sample-exam-paper.pdf: job ") for r in results), results)
        self.assertTrue(any(r.startswith("notes.pdf: rejected: not a PDF") for r in results), results)
        self.assertTrue(any(r.startswith("photo.png: rejected: not a PDF") for r in results), results)
        job = re.search(r"sample-exam-paper\.pdf: job ([0-9a-f-]{36})", "\n".join(results)).group(1)
        self.assertEqual(psql(self.db, "SELECT count(*) FROM exam_papers"), "1")

        # The tracker follows it to 100% without a reload.
        b.find_element(By.CSS_SELECTOR, 'header nav button[data-view="jobs"]').click()
        b.execute_script("window.__same_page = true")
        self.wait(lambda: self.status_of(job) == "completed", timeout=120, message="the paper's job did not complete on the page")
        self.assertEqual(self.row(job).find_element(By.TAG_NAME, "progress").get_attribute("value"), "100")
        self.assertTrue(b.execute_script("return window.__same_page === true"), "the page was reloaded")
        self.wait(lambda: job in b.execute_script("return window.__completed"), message="no jobcomplete event")
        self.assertEqual(b.execute_script("return window.__completed.filter(id => id === arguments[0]).length", job), 1)
        self.assertIn(job, b.execute_script("return window.__hooked"))
        if self.shots:
            b.save_screenshot(os.path.join(self.shots, "tracker.png"))

        # Its upload is a batch of one, shown under the form and settled from the live stream.
        b.find_element(By.CSS_SELECTOR, 'header nav button[data-view="upload"]').click()
        batch_text = lambda: [li.text for li in b.find_elements(By.CSS_SELECTOR, "#batches li")]
        self.wait(lambda: any(t.startswith("sample-exam-paper.pdf (completed)") and "1 completed" in t for t in batch_text()),
                  message="the upload's batch is not shown as completed")
        self.assertTrue(b.execute_script("return window.__same_page === true"), "the page was reloaded")
        b.find_element(By.CSS_SELECTOR, 'header nav button[data-view="jobs"]').click()

        # Its questions, beside the page images; a tagged question shows its topic's code.
        psql(self.db, "INSERT INTO syllabus_topics (id, syllabus_id, code, title, position) VALUES "
                      "('00000000-0000-0000-0000-0000000e0001', gen_random_uuid(), 'T-9.9', 'Shown topic', 1); "
                      "UPDATE questions SET topic_ids = '{00000000-0000-0000-0000-0000000e0001}' "
                      "WHERE position = (SELECT min(position) FROM questions)")
        self.click_in_row(job, "Questions")
        self.wait(lambda: len(b.find_elements(By.CSS_SELECTOR, "#questions li")) > 0, message="no questions shown")
        self.wait(lambda: len(b.find_elements(By.CSS_SELECTOR, "#pages img")) > 0, message="no page images shown")
        questions = int(psql(self.db, "SELECT count(*) FROM questions"))
        self.assertEqual(len(b.find_elements(By.CSS_SELECTOR, "#questions li")), questions)
        self.assertEqual([e.text for e in b.find_elements(By.CSS_SELECTOR, "#questions li .topics")], ["T-9.9"])
        if self.shots:
            b.save_screenshot(os.path.join(self.shots, "result.png"))
        b.find_element(By.ID, "back").click()

        # Cancel a running job.
        slow = self.insert_job('{"sleep_ms": 120000, "steps": 120}')
        self.wait(lambda: self.status_of(slow) == "processing", message="the slow job never showed as processing")
        self.click_in_row(slow, "Cancel")
        self.wait(lambda: self.status_of(slow) == "cancelled", message="the cancel did not reach the page")
        # A deleted job leaves the list (a delete event).
        psql(self.db, f"DELETE FROM processing_jobs WHERE id = '{slow}'")
        self.wait(lambda: self.row(slow) is None, message="a deleted job stayed in the list")

        # Retry a failed one: it fails on its first attempt only.
        flaky = self.insert_job('{"fail": "critical", "fail_attempts": 1}')
        self.wait(lambda: self.status_of(flaky) == "failed", message="the failing job never showed as failed")
        self.click_in_row(flaky, "Details")
        self.wait(lambda: "critical failure requested" in self.row(flaky).text, message="no error details for an admin")
        self.click_in_row(flaky, "Retry")
        self.wait(lambda: self.status_of(flaky) == "completed", message="the retried job did not complete on the page")

        # The event stream survives the server going away: changes made meanwhile arrive.
        port = self.server.port
        self.server.stop()
        while_down = self.insert_job('{}')
        type(self).server = Server(self.db, port)
        self.wait(lambda: self.status_of(while_down) is not None, timeout=60, message="a change made while the server was down never arrived")
        self.wait(lambda: self.status_of(while_down) == "completed", message="the stream did not resume live updates")
        self.assertTrue(b.execute_script("return window.__same_page === true"), "the page was reloaded")

        # 500 more jobs arrive at once (one INSERT): every one is listed, live. The time it takes
        # is reported, not asserted (timings on this machine are noisy).
        b.find_element(By.CSS_SELECTOR, 'header nav button[data-view="jobs"]').click()
        before = len(b.find_elements(By.CSS_SELECTOR, "#jobs tbody tr"))
        t0 = b.execute_script("return performance.now()")
        psql(self.db, "INSERT INTO processing_jobs (job_type, status, started_at, completed_at, attempts) "
                      "SELECT 'bulk', 'completed', now(), now(), 1 FROM generate_series(1, 500)")
        self.wait(lambda: len(b.find_elements(By.CSS_SELECTOR, "#jobs tbody tr")) == before + 500, message="not all 500 jobs were listed")
        print(f"\n500 jobs listed live in {b.execute_script('return performance.now()') - t0:.0f} ms", file=sys.stderr)

        # Keyboard only: Tab to the Upload view's button and press Enter.
        from selenium.webdriver.common.keys import Keys
        b.find_element(By.CSS_SELECTOR, 'header nav button[data-view="jobs"]').send_keys(Keys.TAB)
        b.switch_to.active_element.send_keys(Keys.ENTER)
        self.wait(lambda: b.find_element(By.ID, "view-upload").is_displayed(), message="Enter on a focused nav button did nothing")
        self.assertEqual(b.switch_to.active_element.get_attribute("data-view"), "upload")

        # Statistics over the last day: this run's jobs, as a chart and per type.
        b.find_element(By.CSS_SELECTOR, 'header nav button[data-view="stats"]').click()
        self.wait(lambda: len(b.find_elements(By.CSS_SELECTOR, "#chart svg rect")) > 0, message="no chart")
        self.wait(lambda: len(b.find_elements(By.CSS_SELECTOR, "#stats tbody tr")) >= 3, message="no per-type table")
        total = b.find_element(By.CSS_SELECTOR, "#stats tbody tr td:nth-child(2)").text
        self.assertEqual(total, psql(self.db, "SELECT count(*) FROM processing_jobs"))
        if self.shots:
            b.save_screenshot(os.path.join(self.shots, "statistics.png"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
