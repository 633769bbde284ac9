"""The page's HTTP routes, added to the CDS Hooks application by :func:`install`.

- ``GET /``: the page (the form, an empty answer); ``GET /static/{file}``: its script and styles.
- ``POST /page/answer``: ``{"patient", "guideline", "view", "regimen"}`` -> ``{"problems",
  "html"}``, the answer fragment rendered by the report renderers (200 also when the patient has
  problems: they are the answer the form shows beside its fields).
- ``POST /page/open``: the bytes of a patient file or FHIR record (name in ``X-File-Name``) ->
  the patient as form data; ``POST /page/patient-file``: the form's patient -> a YAML file.
- ``GET /page/link/{token}``: the patient of a CDS card's explanation link (same store, same
  time to live), so that the what-ifs run on the real patient.

Every response carries a strict Content-Security-Policy (scripts and styles only from the
service's own files, requests only to itself, no framing) and is not cached. Bodies pass the
service's size bound; with ``--jwks`` every request of the page for an answer, a file or a
patient file needs the EHR's JWT, or the unexpired token of a card's link the EHR was given
(header ``X-HCC-ASP-Link``), since a browser holds no JWT; the page itself and its static files
hold no patient data and are served to anyone who reaches the service.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from urllib.parse import unquote

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

#: The Content-Security-Policy of every page response: nothing inline, nothing from elsewhere.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
#: The static files and their media types (report.css is the report pages' own stylesheet).
STATIC = {
    "page.js": "text/javascript; charset=utf-8",
    "page.css": "text/css; charset=utf-8",
    "report.css": "text/css; charset=utf-8",
}


@cache
def static_file(name: str) -> bytes:
    """The bytes of a static file shipped in the package."""
    if name == "report.css":
        return (resources.files("hcc_asp.render") / "templates" / "report.css").read_bytes()
    return (resources.files("hcc_asp.web") / "static" / name).read_bytes()


def page_html(guidelines: dict[str, str], default: str, regimens: list[tuple[str, str]]) -> str:
    """The page itself: the form's groups, the guideline choice, no patient."""
    import jinja2

    from hcc_asp.web import form

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hcc_asp.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("page.html.j2").render(
        groups=form.GROUPS,
        prior_fields=form.PRIOR_FIELDS,
        regimens=form.regimen_choices(regimens),
        guidelines=guidelines,
        default=default,
    )


def install(
    app: FastAPI,
    engine: Callable[[], Any],
    authorize: Callable[[Request, str], None],
    error: Callable[[int, list[str]], Exception],
) -> None:
    """Add the page's routes to ``app``.

    ``engine()`` gives the worker's :class:`hcc_asp.service.app.Engine` (made at start-up),
    ``authorize`` checks the EHR's JWT when one is required, ``error`` builds the service's
    error (an OperationOutcome answer).
    """
    from hcc_asp.web.answer import PageRequestError

    def check(request: Request, path: str) -> None:
        token = request.headers.get("x-hcc-asp-link")
        if engine().settings.jwks_file is None:
            return
        if token and engine().store.load(token) is not None:
            return
        authorize(request, path)

    @lru_cache(maxsize=1)
    def rendered() -> bytes:
        current = engine()
        answerer = current.page
        regimens = [(r.id, r.name) for r in current.vocabulary]
        return page_html(answerer.guidelines, answerer.default, regimens).encode("utf-8")

    @app.get("/")
    async def page() -> Response:
        # The page holds no patient data: it opens without a JWT (a card's link must open in
        # the clinician's browser); what it asks of the service is checked.
        return HTMLResponse(rendered(), headers=HEADERS)

    @app.get("/static/{name}")
    async def static(name: str) -> Response:
        if name not in STATIC:
            raise error(404, [f"no static file '{name}'"])
        return Response(static_file(name), media_type=STATIC[name], headers=HEADERS)

    async def json_body(request: Request) -> Any:
        from hcc_asp.service.body import parse_json

        return parse_json(await request.body(), engine().settings.max_json_depth)

    @app.post("/page/answer")
    async def answer(request: Request) -> Response:
        check(request, "/page/answer")
        body = await json_body(request)
        try:
            result = await run_in_threadpool(engine().page.answer, body)
        except PageRequestError as problem:
            raise error(400, problem.problems) from None
        return JSONResponse(result, headers=HEADERS)

    @app.post("/page/open")
    async def open_file(request: Request) -> Response:
        check(request, "/page/open")
        name = unquote(request.headers.get("x-file-name", "upload"))
        raw = await request.body()
        result = await run_in_threadpool(engine().page.open_file, name, raw)
        return JSONResponse(result, headers=HEADERS)

    @app.post("/page/patient-file")
    async def patient_file(request: Request) -> Response:
        check(request, "/page/patient-file")
        body = await json_body(request)
        result = engine().page.patient_file(body.get("patient", {}))
        if isinstance(result, dict):
            return JSONResponse(result, status_code=400, headers=HEADERS)
        name, text = result
        headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        return Response(text, media_type="application/yaml; charset=utf-8", headers=headers)

    @app.get("/page/link/{token}")
    async def link(token: str) -> Response:
        record = engine().store.load(token)
        if record is None:
            raise error(404, ["link: unknown or expired (open the card again)"])
        guidelines = [g for g in record.get("guidelines", []) if g in engine().page.guidelines]
        body = {"patient": record["patient"], "guidelines": guidelines}
        return JSONResponse(body, headers=HEADERS)
