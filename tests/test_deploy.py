"""deploy/: the files an operator installs are valid as shipped (systemd units, the HTTPS nginx site)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _ours(output: str, names) -> list[str]:
    return [line for line in output.splitlines() if any(name in line for name in names)]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_the_systemd_units_verify(tmp_path):
    # The unit points at the production checkout; here at this one, so the executable exists.
    unit = (DEPLOY / "systemd" / "survey.service").read_text().replace("/srv/survey/app-root", str(ROOT))
    (tmp_path / "survey.service").write_text(unit)
    shutil.copytree(DEPLOY / "systemd" / "nginx.service.d", tmp_path / "nginx.service.d")
    nginx_unit = Path("/lib/systemd/system/nginx.service")
    units = ["survey.service"]
    if nginx_unit.exists():
        shutil.copy(nginx_unit, tmp_path / "nginx.service")
        units.append("nginx.service")
    env = dict(os.environ, SYSTEMD_UNIT_PATH=f"{tmp_path}:")
    for name in units:
        result = subprocess.run(["systemd-analyze", "verify", str(tmp_path / name)], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=60)
        complaints = _ours(result.stdout + result.stderr, ["survey.service", "survey.conf"])
        assert result.returncode == 0 and not complaints, result.stdout + result.stderr


@pytest.mark.skipif(not (os.access(NGINX, os.X_OK) and shutil.which("openssl")), reason="needs nginx and openssl")
def test_the_https_site_passes_nginx_t(tmp_path):
    """survey.conf as shipped (HTTPS, redirect from HTTP), with its paths moved into a temporary prefix."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=survey.test",
                    "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
                   check=True, capture_output=True, timeout=60)
    moves = {"/etc/survey/nginx/": f"{tmp_path}/", "/etc/ssl/survey/": f"{tmp_path}/", "/var/log/nginx/": f"{tmp_path}/",
             "/run/survey/": f"{tmp_path}/", "/srv/survey/app/static/": f"{ROOT}/app/static/"}
    for name in ("survey.conf", "survey-http.conf", "survey-server.conf"):
        text = (DEPLOY / "nginx" / name).read_text()
        for production, here in moves.items():
            text = text.replace(production, here)
        (tmp_path / name).write_text(text)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/main-error.log;\nevents {{}}\n"
        f"http {{ include /etc/nginx/mime.types; include {tmp_path}/survey.conf; }}\n"
    )
    result = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    # nginx 1.25+ prefers `http2 on;` to `listen ... http2` (Debian 12 has 1.22): that warning alone is fine.
    warnings = [line for line in result.stderr.splitlines() if "[warn]" in line and "http2" not in line]
    assert not warnings, result.stderr


def test_the_body_limit_matches_the_apps():
    from app.config import Config

    server = (DEPLOY / "nginx" / "survey-server.conf").read_text()
    assert f"client_max_body_size {Config.MAX_CONTENT_LENGTH // 1024}k;" in server
    assert f"client_body_buffer_size {Config.MAX_CONTENT_LENGTH // 1024}k;" in server


def test_only_the_survey_upload_takes_a_bigger_body_and_it_fits_the_apps_limit():
    import re

    from app.staff.survey_views import UPLOAD_BODY_BYTES

    server = (DEPLOY / "nginx" / "survey-server.conf").read_text()
    sizes = re.findall(r"location = (\S+) \{[^}]*client_max_body_size (\d+)m;", server)
    assert [path for path, _ in sizes] == ["/staff/survey/upload"]
    assert int(sizes[0][1]) * 1024 * 1024 >= UPLOAD_BODY_BYTES


def test_the_privacy_page_tells_of_the_address_nginx_counts(client):
    http = (DEPLOY / "nginx" / "survey-http.conf").read_text()
    server = (DEPLOY / "nginx" / "survey-server.conf").read_text()
    assert "$binary_remote_addr" in http and "limit_req zone=" in server
    assert "$remote_addr" not in http.split("log_format", 1)[1].split(";", 1)[0]  # never in the log line
    page = client.get("/privacy").get_data(as_text=True)
    assert "counts how often each IP address starts the survey" in page


def test_the_two_factor_posts_are_braked_per_address_like_the_sign_in():
    http = (DEPLOY / "nginx" / "survey-http.conf").read_text()
    server = (DEPLOY / "nginx" / "survey-server.conf").read_text()
    assert "limit_req_zone $survey_post_address zone=staff_codes:10m rate=10r/m;" in http  # posts only, per address
    for path in ("/staff/login", "/staff/two-factor", "/staff/two-factor/set-up"):
        block = server.split(f"location = {path} {{", 1)[1].split("}", 1)[0]
        zone = "staff_sign_ins" if path == "/staff/login" else "staff_codes"
        assert f"limit_req zone={zone} burst=5 nodelay;" in block
        assert "error_page 429 = @staff_sign_in_refused;" in block and "proxy_pass http://survey_app;" in block


def test_refused_sign_in_posts_are_counted_not_logged_one_by_one(monkeypatch):
    # A flood of refused sign-ins would cost more to log than to refuse: one line a minute says how many.
    import runpy
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    lines = []
    monkeypatch.setattr(Logger, "access", lambda self, resp, req, environ, took: lines.append(("line", resp.status_code)))
    logger = conf["AccessLogger"](Config())
    logger.access_log = SimpleNamespace(info=lambda message, *args: lines.append(message % args))
    sign_in = {"REQUEST_METHOD": "POST", "PATH_INFO": "/staff/login"}
    for _ in range(1000):
        logger.access(SimpleNamespace(status_code=429), None, sign_in, 0.001)
    assert lines == []
    logger.access(SimpleNamespace(status_code=200), None, sign_in, 0.05)  # a password was checked: logged
    logger.access(SimpleNamespace(status_code=429), None, {"REQUEST_METHOD": "GET", "PATH_INFO": "/staff"}, 0.001)
    assert lines == [("line", 200), ("line", 429)]
    logger.refusals_since -= conf["REFUSALS_EVERY"]
    logger.access(SimpleNamespace(status_code=429), None, sign_in, 0.001)
    assert lines[-1].startswith("1001 sign-in posts refused (429) in the last 6")
    logger.access(SimpleNamespace(status_code=429), None, sign_in, 0.001)
    assert len(lines) == 3
    # The last burst is logged when the worker exits (a restart, a shutdown), not at the next flood.
    conf["worker_exit"](None, SimpleNamespace(log=logger))
    assert lines[-1].startswith("1 sign-in posts refused (429) in the last 0")
    conf["worker_exit"](None, SimpleNamespace(log=logger))
    assert len(lines) == 4  # nothing more to say: no line


def test_public_pages_get_no_access_line_only_a_count_written_at_midnight(monkeypatch):
    # A line's time stamp (the journal's) would date a respondent's walk: "GET /check" a second before
    # the submit. Public requests are counted by status; a timer, not a request, writes the counts.
    import runpy
    from datetime import datetime
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    lines = []
    monkeypatch.setattr(Logger, "access", lambda self, resp, req, environ, took: lines.append(environ["PATH_INFO"]))
    logger = conf["AccessLogger"](Config())
    logger.access_log = SimpleNamespace(info=lambda message, *args: lines.append(message % args))
    walk = [("GET", "/", 200), ("POST", "/start", 303), ("GET", "/question/1", 200), ("POST", "/question/1", 303),
            ("GET", "/check", 200), ("POST", "/check", 303), ("GET", "/done", 200), ("GET", "/staffing", 404),
            ("GET", "/healthz", 200), ("GET", "/exit", 303)]
    for method, path, status in walk:
        logger.access(SimpleNamespace(status_code=status), None, {"REQUEST_METHOD": method, "PATH_INFO": path}, 0.01)
    assert lines == []
    assert logger.public_timer is not None and logger.public_timer.daemon
    for path in ("/staff", "/staff/login", "/staff/export"):
        logger.access(SimpleNamespace(status_code=200), None, {"REQUEST_METHOD": "GET", "PATH_INFO": path}, 0.01)
    assert lines == ["/staff", "/staff/login", "/staff/export"]
    logger.log_public()  # what the timer does at midnight
    assert lines[-1] == "public pages the day before (by status): 200: 5, 303: 4, 404: 1"
    logger.log_public()
    assert len(lines) == 4  # nothing counted since: no line
    london = ZoneInfo("Europe/London")
    assert conf["seconds_to_midnight"](datetime(2026, 12, 7, 23, 59, 30, tzinfo=london)) == 30
    # The night the clocks go back is 25 hours long.
    assert conf["seconds_to_midnight"](datetime(2026, 10, 24, 23, 0, tzinfo=london)) == 3600
    assert conf["seconds_to_midnight"](datetime(2026, 10, 25, 0, 0, tzinfo=london)) == 25 * 3600


def test_gunicorn_gives_pages_their_threads_and_held_refusals_their_own(monkeypatch):
    # gunicorn.conf.py repeats two defaults of app/config.py (the app is not imported before the fork).
    import runpy

    from app.config import Config

    monkeypatch.delenv("GUNICORN_THREADS", raising=False)
    monkeypatch.delenv("STAFF_REFUSALS_HELD", raising=False)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert Config.PAGE_THREADS == 4 and Config.STAFF_REFUSALS_HELD == 32
    assert conf["threads"] == Config.PAGE_THREADS + Config.STAFF_REFUSALS_HELD
    monkeypatch.setenv("GUNICORN_THREADS", "6")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["threads"] == 6 + Config.STAFF_REFUSALS_HELD
