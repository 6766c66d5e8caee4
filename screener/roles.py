"""The roles a user may have: the one list the accounts, the web's route policy, the admin page and the CLI read.

Its own small module so `screener users add --role` can offer the choices without importing the accounts module
(SQLAlchemy, werkzeug), which every other command would then pay for at start.

- screener: screens, re-screens, corrects and voids their own screenings, records outcomes of the children they
  screened; sees only their own.
- investigator: all a screener does, on every child of the site, and reads every screening, the screening log and
  the sponsor's export, since the investigator answers for every child enrolled and verifies eligibility on
  screenings others prepared; records rule-set approvals (the site's ethics decisions); the only role that signs an
  enrolment-day eligibility verification (issue 26, web/auth.py INVESTIGATORS).
- auditor: reads everything, the raw trail export and the chain check included; changes nothing.
- admin: all of that but signing, plus users and tokens.
"""

ROLES = ("screener", "investigator", "auditor", "admin")
