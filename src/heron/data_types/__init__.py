"""Rich data types for ``run.log``: each serializes itself into blobs plus a JSON stub.

See :mod:`heron.data_types.base` for how a value becomes files and a stub.
"""

from heron.data_types.base import Media, MediaSink, MemorySink, media_path

__all__ = ["Media", "MediaSink", "MemorySink", "media_path"]
