"""Who may do what on a node: users, roles, sessions, lock-out, and the audit trail.

May import `citychain.log` and the shared basics; it is handed its SQLite
connection by `citychain.node` and never opens one itself.
"""
