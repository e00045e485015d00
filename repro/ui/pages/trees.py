"""The snapshot browser: a tree's files (``?page=N`` beyond the first page),
each downloadable, and any object of the local store by id. Downloads are
streamed from the store and always sent as attachments, never shown inline."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request

from repro.ui.app import current_project
from repro.views.runs_page import page_number
from repro.views.snapshots import Download, object_download, tree_file_download, tree_listing

__all__ = ["blueprint"]

blueprint = Blueprint("trees", __name__)


@blueprint.get("/trees/<oid>")
def tree(oid: str) -> str:
    listing = tree_listing(current_project(), oid, page_number(request.args, "page", 1))
    return render_template("tree.html", tree=listing)


@blueprint.get("/trees/<oid>/files/<path:path>")
def tree_file(oid: str, path: str) -> Response:
    return _attachment(tree_file_download(current_project(), oid, path))


@blueprint.get("/objects/<oid>")
def stored_object(oid: str) -> Response:
    return _attachment(object_download(current_project(), oid))


def _attachment(download: Download) -> Response:
    response = Response(download.chunks, mimetype="application/octet-stream")
    if download.size is not None:
        response.content_length = download.size
    response.headers.set("Content-Disposition", "attachment", **_filename(download.filename))
    return response


def _filename(name: str) -> dict[str, str]:
    """``filename`` in ASCII for every client, and the exact name as
    ``filename*`` (RFC 6266) when it is not ASCII."""
    simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    if simple == name:
        return {"filename": name}
    return {"filename": simple or "download", "filename*": f"UTF-8''{quote(name, safe='')}"}
