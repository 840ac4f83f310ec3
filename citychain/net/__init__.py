"""A node on the network: the HTTP API it serves, the one hardened client, sync and witnessing.

Every HTTP request the project makes to a node goes through `net.client`.
May import everything else in `citychain` except `documents`.
"""
