"""/admin/import: administrators import a file from the browser, as `brink import` does."""

from pathlib import PurePath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData, UploadFile

from app.import_formats import ImportFormat, ImportOptions, ImportProblems, OptionError
from app.importing import import_file
from app.models import ActorKind, EventType, Role, Status, Verification
from app.routes.auth import MAX_UPLOAD_BYTES, Admin, UploadForm
from app.templating import render

router = APIRouter()

SHOWN_PROBLEMS = 200  # a file can have thousands: the first ones say what to fix
DEFAULTS = ImportOptions()
CHOICES: dict[str, Any] = {
    "format": ImportFormat,
    "status": Status,
    "verification": Verification,
    "actor_kind": ActorKind,
    "role": Role,
}
FORMAT_LABELS = {
    ImportFormat.AUTO: "Tell from the file",
    ImportFormat.BRINK_JSON: "Brink JSON (brink export)",
    ImportFormat.BRINK_CSV: "Brink CSV (the columns of /events.csv)",
    ImportFormat.TIMELINEJS_CSV: "TimelineJS sheet, saved as CSV",
    ImportFormat.TIMELINEJS_JSON: "TimelineJS JSON",
}


def _default_form() -> dict[str, str]:
    return {
        "format": DEFAULTS.format.value,
        "type": DEFAULTS.type,
        "status": DEFAULTS.status.value,
        "verification": DEFAULTS.verification.value,
        "actor_kind": DEFAULTS.actor_kind.value,
        "role": DEFAULTS.role.value,
        "actor": "",
        "publish": "publish" if DEFAULTS.publish else "draft",
        "timezone": "",
    }


def _page(
    request: Request,
    form: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with request.app.state.sessions() as session:
        types = list(session.scalars(select(EventType).order_by(EventType.position)))
    problems = problems or []
    context = {
        "title": "Import events",
        "form": form,
        "errors": errors or {},
        "focus": next(iter(errors or {}), None),
        "problems": problems[:SHOWN_PROBLEMS],
        "problem_count": len(problems),
        "done": done,
        "types": types,
        "formats": FORMAT_LABELS,
        "vocabulary": {
            "statuses": list(Status),
            "verifications": list(Verification),
            "kinds": list(ActorKind),
            "roles": list(Role),
        },
        "max_megabytes": MAX_UPLOAD_BYTES >> 20,
        "crisis_timezone": request.app.state.settings.timezone,
    }
    return render(request, "admin_import.html", context, status_code=status_code)


@router.get("/admin/import", response_class=HTMLResponse)
def import_page(request: Request, admin: Admin) -> Response:
    """The upload form."""
    return _page(request, _default_form())


@router.post("/admin/import", response_class=HTMLResponse)
def import_upload(request: Request, admin: Admin, upload: UploadForm) -> Response:
    """Check (action=check) or import the uploaded file; the problems, or what was done."""
    form = _form_values(upload)
    errors: dict[str, str] = {}
    file = upload.get("file")
    content, name = b"", ""
    if isinstance(file, UploadFile) and file.filename:
        name = PurePath(file.filename.replace("\\", "/")).name[:200] or "upload"
        content = file.file.read()
    if not content:
        errors["file"] = "Choose a file to import." if not name else f"{name} is empty."
    try:
        options = _options(form, errors)
    except OptionError as error:
        errors[error.option] = str(error)
    if errors:
        return _page(request, form, errors=errors, status_code=400)
    dry_run = form["action"] == "check"
    try:
        report = import_file(
            request.app.state.engine, name, content, request.app.state.settings.zone, options,
            user_id=admin.user_id, dry_run=dry_run,
        )  # fmt: skip
    except OptionError as error:
        return _page(request, form, errors={error.option: str(error)}, status_code=400)
    except ImportProblems as error:
        form["file_name"] = name
        return _page(request, form, problems=error.problems, status_code=400)
    if dry_run:
        done = f"{name} is fine: importing it would have {report.summary()}. Nothing was written."
    else:
        done = f"Imported {name}: {report.summary()}."
    return _page(request, form, done=done)


def _form_values(upload: FormData) -> dict[str, str]:
    form = _default_form()
    for key in (*form, "action"):
        value = upload.get(key)
        if isinstance(value, str):
            form[key] = value.strip()[:200]
    form.setdefault("action", "import")
    return form


def _options(form: dict[str, str], errors: dict[str, str]) -> ImportOptions:
    """The form's options; a value not offered (a tampered form) is an error on its field."""
    chosen: dict[str, Any] = {}
    for key, values in CHOICES.items():
        try:
            chosen[key] = values(form[key])
        except ValueError:
            errors[key] = "Choose one of the listed values."
    if form["publish"] not in ("publish", "draft"):
        errors["publish"] = "Choose one of the listed values."
    if errors:
        return DEFAULTS
    return ImportOptions(
        **chosen,
        type=form["type"],
        actor=form["actor"] or None,
        publish=form["publish"] == "publish",
        timezone=form["timezone"] or None,
    )
