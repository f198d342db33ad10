"""The labels of the fields people fill in: the form shows them, and mistakes name them (chalicelib/models.py).

Apart from the models, so that the form's page is served without loading pydantic.
"""

from __future__ import annotations

from chalicelib.i18n import N_

FIELD_LABELS = {
    "name": N_("Your name"),
    "email": N_("Email"),
    "organisation": N_("Organisation"),
    "kind": N_("Kind of experience"),
    "title": N_("Story title"),
    "summary": N_("Summary"),
    "consent": N_("Consent"),
    "note": N_("The note for the applicant"),
    "reason": N_("Your reason"),
}
