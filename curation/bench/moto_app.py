"""moto's S3 server as a WSGI app, for `python -m curation.bench.s3 --moto` to serve with gunicorn.

`python -m moto.server` runs werkzeug's development server, which closes the
connection after every answer (its source says so: "Always close the
connection"). S3 keeps connections open, so every GET through it would pay
a TCP handshake no client pays against S3 — and client CPU per object is
what the benchmark measures. gunicorn's threaded worker keeps connections
alive; one worker process, because moto keeps the bucket in its memory.
"""

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

app = DomainDispatcherApplication(create_backend_app)
