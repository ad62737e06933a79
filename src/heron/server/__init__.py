"""The HTTP API of ``heron server``: FastAPI over the same Store the SDK writes to.

Every route lives under ``/api/v1`` and is a thin call into a
:class:`heron.store.base.Store` (by default the SQL store the settings point
at), so the server keeps no state of its own and N replicas can stand behind a
load balancer. :mod:`heron.store.http` is the matching client.

Importing this package imports nothing heavy; use :mod:`heron.server.app`::

    from heron.server.app import create_app, serve

    app = create_app(settings)          # an ASGI app (FastAPI)
    serve(settings, port=8765)          # or run it with uvicorn on loopback
"""
