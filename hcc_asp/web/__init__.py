"""The clinician's page: a patient form beside the live answer, at ``/`` of ``hcc-asp serve``.

- :mod:`hcc_asp.web.form` -- the form: every key of the patient file, grouped as a clinician
  thinks, each with its words, its choices and the patient-file key(s) it fills.
- :mod:`hcc_asp.web.answer` -- what the page's requests do: validate the form's patient with the
  patient model, answer it, and render the answer with the report renderers (fragments of the
  same pages as ``--format html``); open a patient file or FHIR record; write a patient file.
- :mod:`hcc_asp.web.routes` -- the HTTP routes, added to the CDS Hooks application, with a strict
  Content-Security-Policy.

The page's script (``static/page.js``) decides nothing: it collects the fields, sends one request
per change and swaps the fragments the server rendered. Nothing about a patient is stored.
"""
