"""A browser's HTTP side for the web page's tests: cookies kept, the CSRF token sent once it has
one, multipart uploads as a file picker sends them.

    >>> visitor = Visitor("http://127.0.0.1:8080")
    >>> visitor.log_in("correct horse battery")
    >>> status, answer, headers = visitor.call("/api/do", {"cmd": "next"})
"""

import http.cookiejar
import json
import urllib.error
import urllib.request
import uuid

PASSWORD = "correct horse battery"


class Visitor:
    """A browser's HTTP side: cookies kept, the CSRF token sent once it has one."""

    def __init__(self, base: str) -> None:
        self.base, self.csrf = base, None
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def call(self, path, body=None, headers=None, raw=None, content_type="application/json"):
        """(HTTP status, the JSON answer or the text, the response headers)."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.base + path, data=data, method="POST" if data is not None else "GET")
        if data is not None:
            request.add_header("Content-Type", content_type)
        if self.csrf:
            request.add_header("X-CSRF-Token", self.csrf)
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with self.opener.open(request, timeout=60) as response:
                status, text, answer_headers = response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as error:
            status, text, answer_headers = error.code, error.read().decode(), error.headers
        try:
            return status, json.loads(text), answer_headers
        except ValueError:
            return status, text, answer_headers

    def log_in(self, password=PASSWORD):
        status, answer, _ = self.call("/api/login", {"password": password})
        assert status == 200, answer
        self.csrf = answer["csrf"]

    def upload(self, filename: str, data: bytes, **fields):
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                 for k, v in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.call("/api/upload", raw=body, content_type=f"multipart/form-data; boundary={boundary}")
