"""A tiny Hugging Face Hub on 127.0.0.1, for testing downloads with no network.

It answers exactly what `huggingface_hub.snapshot_download` asks (huggingface_hub 2.x; the routes are the
Hub's own, so 0.2x and 1.x clients work too):

    GET  /api/models/{repo}/revision/{revision}    the commit a branch or tag points to ({"id", "sha"})
    GET  /api/models/{repo}/tree/{commit}          the file listing (path, size, git blob id)
    HEAD /{repo}/resolve/{commit}/{path}           ETag, X-Repo-Commit, Content-Length
    GET  /{repo}/resolve/{commit}/{path}           the bytes; `Range: bytes=N-` gives 206 and the rest

Errors carry the Hub's `X-Error-Code` (RepoNotFound, RevisionNotFound, EntryNotFound), which
huggingface_hub turns into its own exceptions. `hub.requests` records every (method, path, headers with
lower-case names); `hub.cut_after[path] = n` makes the next GET of that file stop after n bytes, as a
dropped connection would, and `hub.fail_next[path] = status` answers it with that HTTP error.

    with LocalHub() as hub:
        hub.add("org/name", folder)                     # branch "main"
        hub.add("org/name", other_folder, revision="v1")
        monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", hub.url)   # what HF_ENDPOINT sets
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

_API = re.compile(r"/api/models/(?P<repo>.+?)/(?P<kind>revision|tree)/(?P<revision>[^/?]+)")
_RESOLVE = re.compile(r"/(?P<repo>.+?)/resolve/(?P<revision>[^/]+)/(?P<path>.+)")


class LocalHub:
    """Repositories held in memory, served over HTTP on a free port of 127.0.0.1."""

    def __init__(self):
        self.refs: dict[str, dict[str, str]] = {}  # repo -> branch or tag -> commit
        self.commits: dict[str, dict[str, dict[str, bytes]]] = {}  # repo -> commit -> path -> bytes
        self.requests: list[tuple[str, str, dict]] = []
        self.cut_after: dict[str, int] = {}
        self.fail_next: dict[str, int] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, repo: str, files: Path | dict[str, bytes], *, revision: str = "main") -> str:
        """Commits `files` (a folder, or path -> bytes) to `repo` as `revision`; returns the commit hash."""
        if isinstance(files, Path):
            files = {str(p.relative_to(files)): p.read_bytes() for p in sorted(files.rglob("*")) if p.is_file()}
        digest = hashlib.sha1(repo.encode() + revision.encode())
        for path, content in sorted(files.items()):
            digest.update(path.encode() + b"\0" + hashlib.sha1(content).digest())
        commit = digest.hexdigest()
        self.commits.setdefault(repo, {})[commit] = dict(files)
        self.refs.setdefault(repo, {})[revision] = commit
        return commit

    def served(self, method: str = "GET", kind: str = "resolve") -> list[str]:
        """The paths of the requests of one method to one kind of route ("resolve", "revision", "tree")."""
        return [path for m, path, _ in self.requests if m == method and f"/{kind}/" in path]

    def __enter__(self) -> LocalHub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # --- what the handler asks ---

    def commit_of(self, repo: str, revision: str) -> str | None:
        if revision in self.commits.get(repo, {}):
            return revision
        return self.refs.get(repo, {}).get(revision)


def _git_blob_id(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _handler(hub: LocalHub):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet: the test reads hub.requests instead
            pass

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

        def _answer(self, body: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            hub.requests.append((self.command, path, {k.lower(): v for k, v in self.headers.items()}))
            if match := _API.fullmatch(path):
                return self._api(match["repo"], match["kind"], match["revision"])
            if match := _RESOLVE.fullmatch(path):
                return self._file(match["repo"], match["revision"], match["path"], body)
            self._error(404, "RepoNotFound")

        def _api(self, repo: str, kind: str, revision: str) -> None:
            if repo not in hub.refs:
                return self._error(404, "RepoNotFound")
            commit = hub.commit_of(repo, revision)
            if commit is None:
                return self._error(404, "RevisionNotFound")
            files = hub.commits[repo][commit]
            if kind == "revision":
                siblings = [{"rfilename": path} for path in files]
                return self._json({"id": repo, "sha": commit, "siblings": siblings}, commit)
            listing = [
                {"type": "file", "path": path, "size": len(content), "oid": _git_blob_id(content)}
                for path, content in files.items()
            ]
            self._json(listing, commit)

        def _file(self, repo: str, revision: str, path: str, body: bool) -> None:
            if repo not in hub.refs:
                return self._error(404, "RepoNotFound")
            commit = hub.commit_of(repo, revision)
            if commit is None:
                return self._error(404, "RevisionNotFound")
            content = hub.commits[repo][commit].get(path)
            if content is None:
                return self._error(404, "EntryNotFound", commit)
            if body and (status := hub.fail_next.pop(path, None)):
                return self._error(status, "ServerError", commit)
            start = 0
            if body and (requested := re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))):
                start = int(requested[1])
            self.send_response(206 if start else 200)
            self.send_header("ETag", f'"{_git_blob_id(content)}"')
            self.send_header("X-Repo-Commit", commit)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(len(content) - start))
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(content) - 1}/{len(content)}")
            self.end_headers()
            if not body:
                return
            cut = hub.cut_after.pop(path, None)
            self.wfile.write(content[start:] if cut is None else content[start : start + cut])
            if cut is not None:
                self.wfile.flush()
                self.close_connection = True  # fewer bytes than Content-Length said: a dropped connection

        def _json(self, value, commit: str) -> None:
            data = json.dumps(value).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Repo-Commit", commit)
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: str, commit: str | None = None) -> None:
            data = json.dumps({"error": code}).encode()
            self.send_response(status)
            self.send_header("X-Error-Code", code)
            if commit:
                self.send_header("X-Repo-Commit", commit)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def use_local_hub(hub: LocalHub, monkeypatch, cache: Path) -> None:
    """Points this process's huggingface_hub at `hub`, online, with no token and the cache folder `cache`:
    what HF_ENDPOINT and HF_HUB_CACHE do when set before it is imported (it reads them once, into its
    constants). `monkeypatch` undoes it after the test."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", hub.url + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    for variable in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(variable, raising=False)


def hub_environment(hub: LocalHub, cache: Path, base: dict) -> dict:
    """`base` (e.g. os.environ) with the variables that send a fresh process's huggingface_hub to `hub`
    with the cache folder `cache`, online and with no token: as a user's run reaches huggingface.co."""
    drop = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "HF_HOME")
    environment = {key: value for key, value in base.items() if key not in drop}
    return {**environment, "HF_ENDPOINT": hub.url, "HF_HUB_CACHE": str(cache)}
