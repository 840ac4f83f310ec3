"""One agency's ledger node on disk: its home folder, SQLite store, own and mirrored logs.

Owns the store and its derived tables, the ledger that signs records, trust
(whose keys count), mirrors of peers' logs, the rollback guard, private data,
backup/restore, bundles, witness cosignatures that count, `log check`, and
the logs read as tlog-tiles and published as static files.
May import `citychain.log`, `citychain.pki` and `citychain.accounts`; the
restore gate alone loads `citychain.net` (lazily) to ask peers before the
first signature.
"""
