"""A chunked request body over the limit is refused whole (413), never cut at the limit and processed."""
import io

TOO_LARGE = "screener.body_too_large"


class ChunkedBodyLimit:
    """WSGI middleware: read a chunked body (it has no Content-Length) up to one byte past the limit.

    Werkzeug applies MAX_CONTENT_LENGTH to a chunked body by stopping at the limit without an error, so a FHIR
    Bundle padded past 8 MiB was screened on its first 8 MiB. Here an over-long body is dropped and flagged for
    the app to answer 413 (with its usual headers); a body within the limit is handed on as an ordinary one
    with a Content-Length.
    """

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    def __call__(self, environ, start_response):
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            body, stream = bytearray(), environ["wsgi.input"]
            while len(body) <= self.limit:
                piece = stream.read(min(65536, self.limit + 1 - len(body)))
                if not piece:
                    break
                body += piece
            if len(body) > self.limit:
                environ[TOO_LARGE] = True
                body = bytearray()
            environ["wsgi.input"] = io.BytesIO(bytes(body))
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING")
        return self.app(environ, start_response)
