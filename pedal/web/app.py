"""pedal-web's HTTP side: one page, a JSON API behind a password, and a WebSocket for the live view.

    GET  /                the page (static/index.html: login, first-use claim, or the pedal)
    GET  /static/NAME     its script and style
    GET  /api/session     {"claimed", "logged_in", "csrf" (when logged in)}
    POST /api/claim       first use only: pedald waits 30 s for a footswitch press; then a claim token
    POST /api/password    {"claim", "password"} at first use; {"current", "password"} logged in
    POST /api/login       {"password"}: the session cookie; 5 failed tries a minute per address
    POST /api/logout
    GET  /api/status      what plays, levels, CPU, xruns, the models and rigs
    POST /api/do          {"cmd": ..., ...}: one of ACTIONS, passed to pedald, which checks it
    POST /api/upload      multipart "file" (and "name", "select"; "kind": "cabinet" for a .wav):
                          checked and stored as `pedalctl upload` / `ir upload` do (pedal.uploads)
    POST /api/library     {"action": "rename", "old", "new"} | {"action": "remove", "name"} |
                          {"action": "order", "names": [...]}: the captures, as pedalctl does
    POST /api/rig         {"action": "new", "name", "captures": [{"model", "drive_db"}], "cabinet",
                          "output_level_db"} | {"action": "set", "name", "settings": {key: value}} |
                          {"action": "remove", "name"}: `pedalctl rig new/set/remove` itself runs
    GET  /api/live        WebSocket: pedald's status every 200 ms (the tuner's needle with it)

Only the page, its files, /api/session, /api/login and the first-use claim answer without a
session. The session cookie is HttpOnly and SameSite=Strict; every POST made in a session must
carry its CSRF token in X-CSRF-Token, and a request whose Origin is another site is refused.
Nothing the client sends becomes a path: a capture's name goes through the store's name check.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sys
import time
from pathlib import Path

from aiohttp import WSMsgType, web

from pedal import cabinets
from pedal.commands import EQ_RANGES, GATE_RANGES, LEVEL_RANGES
from pedal.store import ModelStore, StoreError
from pedal.uploads import UploadError, install_cabinet, install_model
from pedal.web.link import LinkError, PedaldLink
from pedal.web.passwords import (PasswordError, check_new, check_password, generation, password_set,
                                 store_password)
from pedal.web.sessions import SESSION_S, LoginLimiter, Sessions

log = logging.getLogger("pedal-web")

__all__ = ["ACTIONS", "build_app"]

STATIC = Path(__file__).resolve().parent / "static"


def _key(name: str):
    """An application key: web.AppKey where aiohttp has it (3.9+), its name on Debian bookworm's 3.8."""
    return web.AppKey(name, object) if hasattr(web, "AppKey") else name


CONFIG, CONFIG_PATH, LINK, PASSWORD_FILE, SESSIONS, LIMITER, CLAIMS = (_key(n) for n in (
    "config", "config_path", "link", "password_file", "sessions", "limiter", "claims"))
COOKIE = "pedal_session"
CLAIM_S = 30.0            # the footswitch press must come within this
CLAIM_TOKEN_S = 300.0     # after the press, this long to choose a password
LIVE_S = 0.2              # the live view's refresh
# What the page may ask of pedald (never a stream, nor the mock footswitch, nor a claim).
ACTIONS = {"select", "next", "prev", "bypass", "tuner", "set", "eq", "gate", "ir", "knob", "size", "rig", "list",
           "info"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
OPEN_PATHS = {"/", "/api/session", "/api/login", "/api/claim", "/api/password"}
# The sliders' ends: the engine's own ranges (pedal.core.PARAMS, through the protocol's checks).
RANGES = {**LEVEL_RANGES, **EQ_RANGES, **{f"gate_{k}": v for k, v in GATE_RANGES.items()}}


def build_app(config, link: PedaldLink | None = None, config_path: str | None = None) -> web.Application:
    """The application for pedal.toml's settings (a pedal.config.Config, read from ``config_path``:
    the rig commands run pedalctl with it)."""
    max_bytes = int(config.library.max_model_mb * 2 ** 20)
    app = web.Application(middlewares=[_headers, _guard], client_max_size=max_bytes + 2 ** 16)
    app[CONFIG] = config
    app[CONFIG_PATH] = config_path
    app[LINK] = link or PedaldLink(config.control.socket)
    app[PASSWORD_FILE] = Path(config.web.password_file)
    app[SESSIONS] = Sessions()
    app[LIMITER] = LoginLimiter()
    app[CLAIMS] = {}            # claim token -> when it stops being good
    app.router.add_get("/", _page)
    app.router.add_static("/static/", STATIC, show_index=False, follow_symlinks=False)
    app.router.add_get("/api/session", _session)
    app.router.add_post("/api/claim", _claim)
    app.router.add_post("/api/password", _password)
    app.router.add_post("/api/login", _login)
    app.router.add_post("/api/logout", _logout)
    app.router.add_get("/api/status", _status)
    app.router.add_post("/api/do", _do)
    app.router.add_post("/api/upload", _upload)
    app.router.add_post("/api/library", _library)
    app.router.add_post("/api/rig", _rig)
    app.router.add_get("/api/live", _live)
    app.on_cleanup.append(_close_link)
    return app


async def _close_link(app) -> None:
    app[LINK].close()


# --- middlewares ---------------------------------------------------------------------------------

@web.middleware
async def _headers(request, handler):
    try:
        response = await handler(request)
    except web.HTTPException as error:
        for key, value in SECURITY_HEADERS.items():
            error.headers.setdefault(key, value)
        raise
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    return response


@web.middleware
async def _guard(request, handler):
    """No session, nothing but the open paths; a POST from another site or without the session's
    CSRF token, refused."""
    origin = request.headers.get("Origin")
    if origin is not None and origin not in (f"http://{request.host}", f"https://{request.host}"):
        return _error(403, "a request from another site")
    session = _session_of(request)
    open_path = request.path in OPEN_PATHS or request.path.startswith("/static/")
    if session is None and not open_path:
        return _error(401, "log in first")
    if session is not None and request.method == "POST" and request.path != "/api/login":
        if not secrets.compare_digest(request.headers.get("X-CSRF-Token", ""), session.csrf):
            return _error(403, "missing or wrong CSRF token (reload the page)")
    return await handler(request)


async def _off_loop(function, *args):
    """scrypt (tens of milliseconds) and the like, on a worker thread: the loop keeps serving."""
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


def _session_of(request):
    return request.app[SESSIONS].find(request.cookies.get(COOKIE), generation(request.app[PASSWORD_FILE]))


def _error(status: int, message: str, **extra) -> web.Response:
    return web.json_response({"ok": False, "error": message, **extra}, status=status)


def _logged_in(response: web.Response, session) -> web.Response:
    response.set_cookie(COOKIE, session.token, max_age=SESSION_S, httponly=True, samesite="Strict", path="/")
    return response


async def _json(request) -> dict:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text=json.dumps({"ok": False, "error": "expected a JSON object"}),
                                 content_type="application/json") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text=json.dumps({"ok": False, "error": "expected a JSON object"}),
                                 content_type="application/json")
    return body


# --- the page and the session --------------------------------------------------------------------

async def _page(request):
    return web.FileResponse(STATIC / "index.html")


async def _session(request):
    session = _session_of(request)
    answer = {"ok": True, "claimed": password_set(request.app[PASSWORD_FILE]), "logged_in": session is not None}
    if session is not None:
        answer["csrf"] = session.csrf
    return web.json_response(answer)


async def _claim(request):
    """First use: the one standing at the pedal presses its footswitch."""
    if password_set(request.app[PASSWORD_FILE]):
        return _error(409, "this pedal has a password already: log in")
    try:
        await request.app[LINK].ask("claim", timeout=CLAIM_S + 5.0, seconds=CLAIM_S)
    except LinkError as error:
        return _error(403, str(error))
    token = secrets.token_urlsafe(32)
    claims = request.app[CLAIMS]
    claims.clear()                               # one claim at a time: the latest press wins
    claims[token] = time.monotonic() + CLAIM_TOKEN_S
    log.info("web: claimed by a footswitch press from %s", request.remote)
    return web.json_response({"ok": True, "claim": token})


async def _password(request):
    """Sets the password: at first use with the claim token, later with the current password."""
    body = await _json(request)
    app, path = request.app, request.app[PASSWORD_FILE]
    if password_set(path):
        if _session_of(request) is None:
            return _error(401, "log in first")
        if not await _off_loop(check_password, path, body.get("current")):
            return _error(403, "the current password is wrong")
    else:
        token = body.get("claim")
        if not isinstance(token, str) or app[CLAIMS].get(token, 0.0) < time.monotonic():
            return _error(403, "press the footswitch first (claim the pedal)")
    try:
        check_new(body.get("password"))              # a password refused keeps the claim for another try
        await _off_loop(store_password, path, body.get("password"))
    except PasswordError as error:
        return _error(400, str(error))
    except OSError as error:
        return _error(500, f"cannot store the password: {error.strerror or error}")
    app[CLAIMS].clear()
    app[SESSIONS].close_all()
    session = app[SESSIONS].open(generation(path))
    log.info("web: password set from %s", request.remote)
    return _logged_in(web.json_response({"ok": True, "csrf": session.csrf}), session)


async def _login(request):
    limiter, address = request.app[LIMITER], request.remote or "?"
    wait = limiter.wait_s(address)
    if wait > 0:
        return _error(429, f"too many tries: wait {wait:.0f} s", retry_after_s=round(wait))
    body = await _json(request)
    limiter.failed(address)   # counted before the check, so tries sent all at once count too
    if not await _off_loop(check_password, request.app[PASSWORD_FILE], body.get("password")):
        return _error(403, "wrong password")
    limiter.succeeded(address)
    session = request.app[SESSIONS].open(generation(request.app[PASSWORD_FILE]))
    return _logged_in(web.json_response({"ok": True, "csrf": session.csrf}), session)


async def _logout(request):
    request.app[SESSIONS].close(request.cookies.get(COOKIE))
    response = web.json_response({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response


# --- the pedal ---------------------------------------------------------------------------------------

async def _status(request):
    link = request.app[LINK]
    try:
        status = await link.ask("status")
        models = await link.ask("list")
        rigs = await link.ask("rig", action="list")
        irs = await link.ask("ir", action="list")
        knobs = await link.ask("knob")
    except LinkError as error:
        return _error(503, str(error))
    return web.json_response(dict(status, models=[m["name"] for m in models["models"]],
                                  rig_names=rigs.get("rigs", []), irs=irs.get("irs", []), knobs=knobs["knobs"],
                                  ranges=RANGES))


async def _do(request):
    body = await _json(request)
    command = body.pop("cmd", None)
    if command not in ACTIONS:
        return _error(400, f"unknown action {command!r}; one of: {', '.join(sorted(ACTIONS))}")
    if body.get("watch"):
        return _error(400, "the live view is /api/live")
    try:
        return web.json_response(await request.app[LINK].ask(command, **body))
    except LinkError as error:
        return _error(400, str(error))


async def _upload(request):
    """A capture, as `pedalctl upload` stores it: its name checked, validated on this device, stored
    crash-safely; then pedald reads the directory again (and plays it, with "select")."""
    config = request.app[CONFIG]
    store = ModelStore(config.library.models_dir, max_bytes=int(config.library.max_model_mb * 2 ** 20))
    try:
        fields = await _upload_fields(request, store.max_bytes)
    except UploadError as error:
        return _error(400, str(error))
    filename, data = fields["file"]
    name = (fields.get("name") or "").strip() or Path(filename).stem
    link = request.app[LINK]
    if fields.get("kind") == "cabinet" or Path(filename).suffix.lower() == ".wav":
        return await _upload_cabinet(request, name, filename, data, fields.get("select") in ("1", "true", "on"))
    try:
        status = await link.ask("status")
        rate, period = status["rate"], status["period"]
    except LinkError:
        rate, period = config.audio.rate, config.audio.period
    loop = asyncio.get_running_loop()
    try:
        done = await loop.run_in_executor(None, lambda: install_model(
            store, name, data, filename, rate, period, config.library.max_cpu_percent))
    except UploadError as error:
        return _error(400, str(error))
    log.info("web: %s uploaded %s (%d bytes)", request.remote, done.name, len(data))
    try:
        answer = await link.ask("reload")
        if fields.get("select") in ("1", "true", "on"):
            answer = await link.ask("select", name=done.name)
    except LinkError as error:
        answer = {"error": str(error)}
    return web.json_response({"ok": True, "name": done.name, "bytes": len(data), "summary": done.report.summary(),
                              "pedald": answer})


async def _upload_cabinet(request, name: str, filename: str, data: bytes, select: bool):
    """A cabinet impulse response, as `pedalctl ir upload` stores it; then played through, with "select"."""
    config, link = request.app[CONFIG], request.app[LINK]
    try:
        directory = (await link.ask("status"))["irs_dir"]
    except LinkError:
        directory = config.library.irs_dir
    store = cabinets.store(directory, max_bytes=int(config.library.max_model_mb * 2 ** 20))
    loop = asyncio.get_running_loop()
    try:
        done = await loop.run_in_executor(None, lambda: install_cabinet(store, name, data, filename))
    except UploadError as error:
        return _error(400, str(error))
    log.info("web: %s uploaded cabinet %s (%d bytes)", request.remote, done.name, len(data))
    summary = f"cabinet, {done.frames} frames at {done.rate} Hz ({done.frames / done.rate * 1000:.0f} ms)"
    try:
        answer = await link.ask("ir", action="select", name=done.name) if select else {}
    except LinkError as error:
        answer = {"error": str(error)}
    return web.json_response({"ok": True, "name": done.name, "bytes": len(data), "summary": summary,
                              "pedald": answer})


async def _library(request):
    """Rename, remove or order the captures, as pedalctl does: in the store, then pedald reloads."""
    body = await _json(request)
    config = request.app[CONFIG]
    store = ModelStore(config.library.models_dir, max_bytes=int(config.library.max_model_mb * 2 ** 20))
    action = body.get("action")
    try:
        if action == "rename" and isinstance(body.get("old"), str) and isinstance(body.get("new"), str):
            done = {"renamed": body["old"], "name": store.rename(body["old"], body["new"]).stem}
        elif action == "remove" and isinstance(body.get("name"), str):
            done = {"removed": store.remove(body["name"]).stem}
        elif action == "order" and isinstance(body.get("names"), list) and \
                all(isinstance(n, str) for n in body["names"]):
            done = {"order": store.set_order(body["names"])}
        else:
            return _error(400, 'expected {"action": "rename", "old", "new"}, {"action": "remove", "name"} or '
                               '{"action": "order", "names": [...]}')
    except StoreError as error:
        return _error(400, str(error))
    except OSError as error:
        return _error(500, f"cannot change {store.directory}: {error.strerror or error}")
    try:
        done["pedald"] = await request.app[LINK].ask("reload")
    except LinkError as error:
        done["pedald"] = {"error": str(error)}
    return web.json_response(dict(done, ok=True))


async def _rig(request):
    """Rigs are made, changed and removed by `pedalctl rig` itself (each checked whole and timed on
    this device, as from a shell); its one-line refusal is the page's."""
    body = await _json(request)
    action, name = body.get("action"), body.get("name")
    if not isinstance(name, str) or not name:
        return _error(400, "a rig needs a name")
    if action == "new":
        captures = body.get("captures")
        if not isinstance(captures, list) or not 1 <= len(captures) <= 4 or \
                not all(isinstance(c, dict) and isinstance(c.get("model"), str) for c in captures):
            return _error(400, "a rig needs 1 to 4 captures, each {\"model\": NAME}")
        argv = ["rig", "new"]
        for capture in captures:
            argv += [f"--capture={capture['model']}", f"--drive={_number(capture.get('drive_db', 0.0))}"]
        if isinstance(body.get("cabinet"), str) and body["cabinet"]:
            argv.append(f"--ir={body['cabinet']}")
        if "output_level_db" in body:
            argv.append(f"--output-level={_number(body['output_level_db'])}")
    elif action == "set":
        settings = body.get("settings")
        if not isinstance(settings, dict) or not settings:
            return _error(400, "rig set needs {\"settings\": {key: value}}")
        return await _pedalctl(request, ["rig", "set", "--", name, *(f"{k}={v}" for k, v in settings.items())])
    elif action == "remove":
        argv = ["rig", "remove"]
    else:
        return _error(400, "rig action is one of new, set, remove")
    return await _pedalctl(request, argv + ["--", name])


def _number(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise web.HTTPBadRequest(text=json.dumps({"ok": False, "error": f"expected a number, got {value!r}"}),
                                 content_type="application/json")
    return repr(float(value))


async def _pedalctl(request, argv: list[str]) -> web.Response:
    command = [sys.executable, "-m", "pedal.cli", "--json"]
    if request.app[CONFIG_PATH]:
        command += ["--config", str(request.app[CONFIG_PATH])]
    process = await asyncio.create_subprocess_exec(*command, *argv, stdin=asyncio.subprocess.DEVNULL,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    try:
        answer = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        answer = {"ok": False, "error": (err.decode().strip().splitlines() or ["pedalctl failed"])[-1]}
    if process.returncode != 0:
        return _error(400, answer.get("error") or "pedalctl failed")
    return web.json_response(dict(answer, ok=True))


async def _upload_fields(request, limit: int) -> dict:
    """The multipart form's fields: "file" as (its file name, bytes), the others as text."""
    if not request.content_type.startswith("multipart/"):
        raise UploadError("expected a file (multipart/form-data)")
    fields, reader = {}, await request.multipart()
    while (part := await reader.next()) is not None:
        if part.name == "file":
            data = bytearray()
            while chunk := await part.read_chunk(1 << 16):
                data += chunk
                if len(data) > limit:
                    raise UploadError(f"the file is larger than the limit of {limit / 2 ** 20:g} MiB "
                                      "([library] max_model_mb in pedal.toml)")
            fields["file"] = (Path(part.filename or "upload.json").name, bytes(data))
        elif part.name in ("name", "select", "kind"):
            fields[part.name] = (await part.text())[:256]
    if "file" not in fields or not fields["file"][1]:
        raise UploadError("no file in the upload")
    return fields


async def _live(request):
    """pedald's status every LIVE_S, until the page goes away."""
    socket = web.WebSocketResponse(heartbeat=30.0)
    await socket.prepare(request)
    link = request.app[LINK]
    sender = asyncio.ensure_future(_send_live(socket, link))
    try:
        async for message in socket:   # the page sends nothing; this notices it leaving
            if message.type == WSMsgType.ERROR:
                break
    finally:
        sender.cancel()
    return socket


async def _send_live(socket, link: PedaldLink) -> None:
    while not socket.closed:
        try:
            payload = dict(await link.ask("status"), ok=True)
        except LinkError as error:
            payload = {"ok": False, "error": str(error)}
        await socket.send_str(json.dumps(payload))
        await asyncio.sleep(LIVE_S)
