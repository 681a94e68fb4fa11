"""Citizens: the one visit to the counter, activation online, sign-in, and the citizen portal.

* :mod:`.services` — enrollment (the citizen code, the activation code, the slip through the
  documents package), re-enrollment, activation with an SMS one-time code, settings, the mobile
  number, corrections filed from the portal (through the cases package).
* :mod:`.selectors` — the only way portal views reach personal data: every function takes the
  signed-in citizen and answers ``None`` for anything that is not theirs (the view says 404).
* :mod:`.codes` — the citizen code (8 random digits + a Damm check digit) and the activation code.
* :mod:`.demo` — the demo citizen that ``seed_demo`` creates.
"""
