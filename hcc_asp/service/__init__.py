"""The CDS Hooks 2.0 service: hcc-asp's answers as cards inside the EHR (``hcc-asp serve``).

An optional part (``pip install 'hcc-asp[service]'``: FastAPI, uvicorn, httpx, PyJWT), imported
only when ``serve`` runs or a test asks for it; ``import hcc_asp`` never loads it. The service
decides nothing: it reads the EHR's FHIR data into the one ``Patient`` model, asks the public API
(``recommend``, ``compare``, ``explain``) and lays the answers out as cards.

Modules, one responsibility each: ``settings`` (what the operator configures), ``models`` (the
CDS Hooks request/response shapes as pydantic models), ``fhir`` (prefetch and the FHIR server),
``orders`` (which regimen a draft order is), ``cards`` (cards from the answer documents),
``explanations`` (the pages behind a card's link), ``auth`` (the EHR's JWT), ``feedback`` (the
append-only feedback log) and ``app`` (the FastAPI application factory).
"""
