"""The client SDK: runs, the record queue, the run log, the sender, sync.

Modules, in the order data flows through them:

* :mod:`heron.sdk.client` — ``init()`` and the module-level functions (a default
  :class:`~heron.sdk.client.Client`; tests build their own).
* :mod:`heron.sdk.run` — :class:`~heron.sdk.run.Run`: ``log``, ``config``,
  ``summary``, ``define_metric``, ``save``, ``finish``.
* :mod:`heron.sdk.values` — validation and flattening of logged values.
* :mod:`heron.sdk.writer` — the bounded queue and the writer thread (run log).
* :mod:`heron.sdk.sender` — the sender thread shipping the log to a Store.
* :mod:`heron.sdk.sync` — ``heron sync``: replaying logs later, crash recovery.
* :mod:`heron.sdk.system`, :mod:`heron.sdk.metadata`, :mod:`heron.sdk.console` —
  context capture (system metrics, run metadata, console output).
"""
