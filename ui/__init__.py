"""The guard's kiosk as both sides serve it: the central web and the gate's local kiosk.

- :mod:`.i18n`    the one catalogue of words (zh-CN, English) every page uses
- :mod:`.live`    the events a kiosk page receives (decisions, gate status), built once
- ``templates/``  ``base.html``, ``_user.html``, ``kiosk.html`` (the central's other pages
  stay in ``services/web/templates``)
- ``static/``     the pages' scripts, style sheet and the fever alarm

Imports schemas and kernel only, so the gate may import it (tests/architecture).
"""

from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
