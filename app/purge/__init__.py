"""Exact CDN purges from the outbox: when the worker dispatches a due event, the event's
`data.surrogate_keys` are queued in the same transaction (`Purge` rows, so a purge is
never lost and never sent before the change's commit), and the worker then purges them at
the configured cache (`PURGE_BACKEND`), batched, retried with backoff.

`base` holds what every backend shares, `varnish` and `fastly` one backend each, and
`sender` the queue and the worker's purge step.
"""
