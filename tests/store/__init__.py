"""Tests of heron.store: the Store contract on every backend, the SQL store, blobs."""
