"""The engine: ground and solve the KB for patients, and read what the models say.

* ``ground``: one patient's solve (:func:`ground.ground_and_solve`) and its atoms indexed
  (:class:`ground.Answer`), with the remembered Symbol readers;
* ``facts``: a validated patient as clingo facts, through the Symbol API only;
* ``batch``: many patients grounded and solved in one Control (the KB rewritten once per KB value);
* ``limits``: the command line's CPU-time and memory bounds around a command's solving.

Everything here receives a :class:`hcc_asp.knowledge.KnowledgeBase`; nothing here words an
answer for a reader (that is ``recommend``, ``explain``, ``compare``, ``check`` and ``render``).
"""
