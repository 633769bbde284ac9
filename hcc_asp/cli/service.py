"""``serve``: the CDS Hooks service (uvicorn over ``hcc_asp.service``), its settings from options.

The options become :class:`hcc_asp.service.settings.ServiceSettings`, handed to every worker
through the environment; FastAPI and uvicorn load only here (the ``[service]`` extra).
"""

from __future__ import annotations

from pathlib import Path

import click

from hcc_asp.cli.options import kb_option, medications_option, open_kb
from hcc_asp.cli.output import fail, run


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--guideline",
    "-g",
    "guidelines",
    multiple=True,
    help="A guideline id answered, one card each (repeatable; default: newest ASCO edition).",
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--max-body-bytes",
    default=4 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(1024),
    help="Largest request body; larger ones get HTTP 413.",
)
@click.option(
    "--max-json-depth",
    default=32,
    show_default=True,
    type=click.IntRange(4, 1000),
    help="Deepest JSON nesting accepted in a request.",
)
@click.option(
    "--limit-concurrency",
    default=None,
    type=click.IntRange(1),
    help="Most connections served at once per worker; more get HTTP 503 (uvicorn).",
)
@click.option(
    "--fhir-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1, 120),
    help="Seconds for the whole fetch from the EHR's FHIR server in one call, all pages.",
)
@click.option(
    "--fhir-max-bytes",
    default=8 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(1024),
    help="Largest answer read from the EHR's FHIR server (bytes, read as a stream).",
)
@click.option(
    "--allow-fhir-server",
    "allowed_fhir_servers",
    multiple=True,
    metavar="URL_PREFIX",
    help="A FHIR server the service may call (repeatable); without any, only public addresses "
    "(never loopback, private or link-local ones).",
)
@click.option(
    "--header-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1, 300),
    help="Seconds a client has to send a request's headers (then 408, connection closed).",
)
@click.option(
    "--body-timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0.1, 600),
    help="Seconds a client has to send a request's body (then 408, connection closed).",
)
@click.option(
    "--fhir-max-pages",
    default=5,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Search pages followed per FHIR query (paged prefetch and own searches); the card says "
    "what a search stopped at this bound left unread.",
)
@click.option(
    "--hcc-condition-code",
    "hcc_condition_codes",
    multiple=True,
    help="A Condition code (system|code) that makes a chart an HCC chart (repeatable; default: "
    "the mapping table's liver cell carcinoma codes). patient-view answers only such charts.",
)
@medications_option
@click.option(
    "--jwks",
    "jwks_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="JWK Set file of the EHR's public keys: when given, every call needs its signed JWT.",
)
@click.option(
    "--jwt-issuer", "jwt_issuers", multiple=True, help="A trusted JWT issuer (iss; repeatable)."
)
@click.option(
    "--jwt-algorithm",
    "jwt_algorithms",
    multiple=True,
    help="An accepted JWT algorithm (repeatable; default ES384 and RS384).",
)
@click.option(
    "--public-url",
    default=None,
    help="Base URL the EHR calls (card links; the JWT audience, required with --jwks); "
    "default: from each request.",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    help="An allowed CORS origin (repeatable; default: any).",
)
@click.option(
    "--feedback-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("cds-feedback.jsonl"),
    show_default=True,
    help="Append-only JSON-lines log of the EHR's card feedback.",
)
@click.option(
    "--explanation-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the data behind card links (default: a new private temporary folder).",
)
@click.option(
    "--explanation-ttl",
    default=3600,
    show_default=True,
    type=click.IntRange(1),
    help="Seconds a card's explanation link stays valid.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(("critical", "error", "warning", "info", "debug")),
)
@kb_option
def serve(
    host: str,
    port: int,
    guidelines: tuple[str, ...],
    workers: int,
    max_body_bytes: int,
    max_json_depth: int,
    limit_concurrency: int | None,
    fhir_timeout: float,
    fhir_max_bytes: int,
    allowed_fhir_servers: tuple[str, ...],
    header_timeout: float,
    body_timeout: float,
    fhir_max_pages: int,
    hcc_condition_codes: tuple[str, ...],
    medications_complete: bool,
    jwks_file: Path | None,
    jwt_issuers: tuple[str, ...],
    jwt_algorithms: tuple[str, ...],
    public_url: str | None,
    cors_origins: tuple[str, ...],
    feedback_file: Path,
    explanation_dir: Path | None,
    explanation_ttl: int,
    log_level: str,
    kb: Path | None,
) -> None:
    """A CDS Hooks 2.0 service: cards with the explanation, inside the EHR.

    GET /cds-services lists the services (patient-view per guideline and compared, order-select,
    order-sign); POST /cds-services/{id} answers a hook; feedback is appended to --feedback-file.
    Needs the optional extra: pip install 'hcc-asp[service]'.
    """
    import os
    import tempfile

    try:
        import uvicorn

        from hcc_asp.service.settings import DEFAULT_ALGORITHMS, ServiceSettings
    except ImportError as error:
        fail([f"the service needs the optional extra: pip install 'hcc-asp[service]' ({error})"])
    from hcc_asp.recommend import resolve_guideline

    opened = open_kb(kb)  # the service's workers open the folder again, each at start-up
    for guideline in guidelines:
        run(lambda g=guideline: resolve_guideline(g, opened))
    from hcc_asp.service.feedback import FeedbackLogError, check_writable

    if jwks_file is not None and not jwt_issuers:
        fail(["--jwks needs at least one --jwt-issuer (the EHR issuers to trust)"])
    if jwks_file is not None and not public_url:
        fail(["--jwks needs --public-url (the URL the EHR calls: the tokens' audience)"])
    for prefix in allowed_fhir_servers:
        if not prefix.startswith(("http://", "https://")) or "@" in prefix:
            fail([f"--allow-fhir-server {prefix}: not an http(s) URL prefix"])
    try:
        check_writable(feedback_file)
    except FeedbackLogError as error:
        fail([str(error)])
    folder = explanation_dir or Path(tempfile.mkdtemp(prefix="hcc-asp-explain-"))
    settings = ServiceSettings(
        guidelines=guidelines,
        kb=kb,
        max_body_bytes=max_body_bytes,
        max_json_depth=max_json_depth,
        fhir_timeout_seconds=fhir_timeout,
        fhir_max_bytes=fhir_max_bytes,
        allowed_fhir_servers=allowed_fhir_servers,
        header_timeout_seconds=header_timeout,
        body_timeout_seconds=body_timeout,
        fhir_max_pages=fhir_max_pages,
        hcc_condition_codes=hcc_condition_codes,
        medications_complete=medications_complete,
        jwks_file=jwks_file,
        jwt_issuers=jwt_issuers,
        jwt_algorithms=jwt_algorithms or DEFAULT_ALGORITHMS,
        public_url=public_url,
        cors_origins=cors_origins or ("*",),
        feedback_file=feedback_file.resolve(),
        explanation_dir=folder.resolve(),
        explanation_ttl_seconds=explanation_ttl,
    )
    os.environ.update(settings.to_environment())
    uvicorn.run(
        "hcc_asp.service.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        limit_concurrency=limit_concurrency,
        http="hcc_asp.service.protocol:BoundedH11Protocol",
        timeout_graceful_shutdown=int(fhir_timeout) + 5,
    )
