"""A signed eligibility verification as a PDF checklist to print and file (issue 26 point 4). Who may read it is who
may read the verification: everyone signed in, a screener only for children they screened (enrolment.view)."""
from flask import Blueprint, Response, abort

from .. import enrolment, service
from ..checklist_pdf import checklist_pdf
from ..model.dates import today
from .auth import sees_everything, signed_in
from .storage import get_store

bp = Blueprint("verification_pdf", __name__)


@bp.get("/verifications/<verification_id>.pdf")
def download(verification_id: str) -> Response:
    try:
        view = enrolment.view(get_store(), verification_id, sees=None if sees_everything() else signed_in().actor,
                              on=today())
    except service.NotFound:
        abort(404)
    # The file is named by the verification id alone: no screening number or name travels in a download's name.
    return Response(checklist_pdf(view, printed_on=today()), mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=verification-{view.verification_id}.pdf"})
