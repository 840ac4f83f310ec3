"""The city's X.509 authority: root CA, node TLS certificates, certificate requests.

May import `citychain.log` (key envelopes, identifiers) and the shared basics
(`errors`, `clock`, `files`); knows nothing of nodes or the network.
"""
