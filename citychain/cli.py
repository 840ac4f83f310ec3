"""Ledger commands of `main.py`: node, trust, log, user, audit.

Writing commands take `--user` and read the password from CITYCHAIN_PASSWORD
or ask for it, so roles hold outside the GUI too. The node passphrase comes
from CITYCHAIN_PASSPHRASE / CITYCHAIN_PASSPHRASE_FILE, the home's config (demo
homes) or a prompt.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from citychain.accounts.users import password_from_env_or_prompt
from citychain.clock import SystemClock, format_time, parse_time
from citychain.errors import CityChainError
from citychain.files import write_atomic
from citychain.log.encoding import b64decode, b64encode
from citychain.log.keys import KdfCost, kid, passphrase_from_environment
from citychain.log.policy import PolicyError
from citychain.log.records import parse_leaf
from citychain.log.suite import DEFAULT as DEFAULT_SUITE
from citychain.log.suite import ED25519_SHA256, SM2_SM3, SUITES, SuiteProblem, key_suite
from citychain.log.suite import named as suite_named
from citychain.node import backup, check, trust
from citychain.node.bundle import export_bundle, read_bundle, write_bundle
from citychain.node.home import Home, HomeError
from citychain.node.kinds import Plugin
from citychain.node.node import Node
from citychain.node.policies import exported_policy, policy_path_beside

# Errors a person can act on: printed as sentences, never as tracebacks.
USER_ERRORS = (CityChainError, FileNotFoundError, ValueError)

PluginsFactory = Callable[[], Sequence[Plugin]]


def run_command(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return func(args)
    except USER_ERRORS as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2


def open_node(args: argparse.Namespace, write: bool = True) -> Node:
    return Node.open(Path(args.home), args.plugins(), write=write)


def signed_in(node: Node, args: argparse.Namespace, action: str | None = None):
    """The --user, signed in with the password from the environment or a prompt,
    and allowed `action` if one is given (refusals are audited)."""
    password = password_from_env_or_prompt(prompt=f"Password for {args.user}: ")
    user = node.users.authenticate(args.user, password)
    if action is not None:
        node.users.require(user, action)
    return user


# -- node ------------------------------------------------------------------
def cmd_node_init(args: argparse.Namespace) -> int:
    is_root = args.root
    if not is_root and not args.root_key:
        raise HomeError("give --root-key (the city root's public key, base64) or --root for the root authority")
    passphrase = passphrase_from_environment(prompt="New node passphrase: ")
    root_keys = tuple(parse_root_key(k) for k in args.root_key or ())
    identity = Node.create(
        Path(args.home),
        args.city,
        args.agency,
        args.agency if is_root else args.root_agency,
        root_keys,
        passphrase,
        KdfCost(),
        suite=suite_named(args.suite) if args.suite else None,
    )
    with Node.open(Path(args.home), args.plugins(), passphrase=passphrase) as node:
        password = password_from_env_or_prompt(prompt=f"Password for the new admin {args.admin}: ")
        node.users.add_user(None, args.admin, "admin", password, display_name=args.admin)
        if is_root:
            node.bootstrap_trust_log(args.name_zh or args.agency, args.name_en or args.agency)
    print(f"node home: {args.home}\nagency: {identity.agency}\nkid: {identity.kid}")
    print(f"key kind: {key_kind(identity.public_key)}")
    print(f"public key (base64): {b64encode(identity.public_key)}")
    return 0


def key_kind(raw: bytes) -> str:
    return "SM2" if key_suite(raw) is SM2_SM3 else "Ed25519"


def parse_root_key(text: str) -> bytes:
    """`--root-key` as printed (base64), optionally prefixed `ed25519:` or `sm2:` to say its kind."""
    kind, sep, value = text.partition(":")
    raw = b64decode(value if sep else text)
    try:
        suite = key_suite(raw)
    except SuiteProblem as exc:
        raise HomeError(f"--root-key: {exc.message_en}") from None
    if sep and {"ed25519": ED25519_SHA256, "sm2": SM2_SM3}.get(kind.lower()) is not suite:
        raise HomeError(f"--root-key says {kind} but holds a {key_kind(raw)} key")
    return raw


def cmd_node_new_key(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        identity = node.new_key()
    print(f"new key for {identity.agency}: kid {identity.kid}")
    print(f"public key (base64): {b64encode(identity.public_key)}")
    print(
        "the root authority registers it with `trust rotate-key`; this node switches to it by itself once its "
        "trust log lists it"
    )
    return 0


def cmd_node_backup(args: argparse.Namespace) -> int:
    with open_node(args, write=False) as node:
        user = signed_in(node, args, "node.backup")
        made = backup.make_backup(node, Path(args.out))
        node.audit.record(user, "node.backup", "ok", target=str(args.out))
    print(f"backup written: {made.path} ({made.size_bytes} bytes; logs: {made.summary})")
    return 0


def cmd_node_restore(args: argparse.Namespace) -> int:
    password = password_from_env_or_prompt(prompt=f"Password for {args.user}: ")
    restored = backup.restore_backup(Path(args.source), Path(args.home), args.user, password, force=args.force)
    print(f"restored {restored.summary} into {args.home}")
    if restored.warning:
        print(restored.warning)
    return 0


def cmd_node_serve(args: argparse.Namespace) -> int:
    from citychain.net.service import serve

    listen = args.listen or Home(Path(args.home)).config().extra.get("server", {}).get("listen", "127.0.0.1:8700")
    publish = Path(args.publish) if args.publish else None
    return serve(
        Path(args.home), listen, args.peer or (), args.plugins(), args.interval, args.tls, args.ca, publish=publish
    )


def cmd_node_ca_init(args: argparse.Namespace) -> int:
    from citychain.node.tls import ca_passphrase, init_city_ca

    root = Home(Path(args.home))
    path = init_city_ca(root, args.name_zh, args.name_en, SystemClock().now(), ca_passphrase(root))
    print(f"city root CA certificate: {path}")
    return 0


def cmd_node_tls(args: argparse.Namespace) -> int:
    from citychain.node.tls import Issuing, ca_passphrase, issue_node_tls, node_passphrase

    node, root = Home(Path(args.home)), Home(Path(args.ca_home))
    by = Issuing(root, ca_passphrase(root), node_passphrase(node), SystemClock().now())
    path = issue_node_tls(node, args.host or ["127.0.0.1", "localhost"], by)
    print(f"TLS certificate for {args.home}: {path}")
    return 0


def cmd_node_enrol_request(args: argparse.Namespace) -> int:
    from citychain.node.enrol import fingerprint, make_request

    data = make_request(Home(Path(args.home)), args.url, args.host or [], args.name_zh, args.name_en, args.uscc)
    Path(args.out).write_bytes(data)
    print(f"enrolment request written: {args.out}")
    print("give the file and this fingerprint (by another channel) to the root authority")
    print(f"fingerprint: {fingerprint(data)}")
    return 0


def cmd_city_init(args: argparse.Namespace) -> int:
    from citychain.node.founding import Founding, found_city

    plan = Founding(
        args.city, args.name_zh, args.name_en, args.url, tuple(args.host),
        admin=args.admin, agency=args.agency, ca_dir=args.ca_dir, suite=suite_named(args.suite),
    )  # fmt: skip
    passphrase = passphrase_from_environment(prompt="New node passphrase: ")
    password = password_from_env_or_prompt(prompt=f"Password for the new admin {args.admin}: ")
    done = found_city(Path(args.home), plan, passphrase, password, SystemClock().now(), args.plugins())
    print(f"root authority home: {args.home}\nagency: {done.identity.agency}\nkid: {done.identity.kid}")
    print(f"city CA certificate: {done.ca_cert}\ncity CA fingerprint (sha256): {done.ca_fingerprint}")
    print(f"TLS certificate: {done.tls_cert}\nseal certificate: {done.seal_cert}")
    print("keep a copy of the CA offline: main.py city backup-ca --home HOME --out <removable media>")
    print(f"suite: {plan.suite.name} ({plan.suite.label}); key kind: {key_kind(done.identity.public_key)}")
    print(f"public key (base64): {b64encode(done.identity.public_key)}")
    return 0


def cmd_city_backup_ca(args: argparse.Namespace) -> int:
    from citychain.node.founding import backup_ca

    fp = backup_ca(Home(Path(args.home)), Path(args.out), SystemClock().now())
    print(f"city CA copied to {args.out} and opened with the CA passphrase; fingerprint (sha256): {fp}")
    print("keep it offline and apart from the passphrase; it is needed only to enrol, renew or revoke agencies")
    return 0


def cmd_city_enrol(args: argparse.Namespace) -> int:
    from citychain.node.enrol import answered_before, enrol, read_request

    request = read_request(Path(args.request).read_bytes(), args.fingerprint)  # before any password
    attributes = dict(a.split("=", 1) for a in args.attribute or ())
    with open_node(args) as node:
        user = signed_in(node, args)
        renewal = request.agency in node.trust.agencies
        again = answered_before(node.home, request) is not None
        ca_dir = Path(args.ca_dir) if args.ca_dir else None
        data = enrol(node, user, request, args.permission or [], attributes, SystemClock().now(), ca_dir)
    Path(args.out).write_bytes(data)
    if again:
        print("this request was answered before: the same response is written again, nothing new is issued")
    done = "certificates renewed" if renewal and not again else "registered"
    print(f"agency {request.agency} {done}; enrolment response written: {args.out}")
    return 0


def cmd_node_enrol_accept(args: argparse.Namespace) -> int:
    from citychain.node.enrol import accept

    with open_node(args) as node:
        done = accept(node, Path(args.response).read_bytes(), SystemClock().now())
        own = node.trust.agencies[node.config.agency].url
    print(f"TLS certificate: {done.tls_cert}\nseal certificate: {done.seal_cert}")
    print(f"trust log: {done.trust_size} records, verified")
    for url in done.peers:
        if url != own:  # the response lists every agency, this one too
            print(f"peer (from the trust log): {url}")
    return 0


def register_city(city: argparse._SubParsersAction, plugins: PluginsFactory) -> None:
    """`city enrol`, under the `city` command the demo package creates."""
    p = city.add_parser("enrol", help="register an agency from its enrolment request; write the response")
    p.add_argument("--home", required=True, help="the root authority's home (CA passphrase: CITYCHAIN_CA_PASSPHRASE)")
    p.add_argument("--user", required=True, help="node user (password: CITYCHAIN_PASSWORD or prompt)")
    p.add_argument("request", help="the agency's enrolment request file")
    p.add_argument("--fingerprint", required=True, help="the request's fingerprint, as the agency gave it")
    p.add_argument("--permission", action="append")
    p.add_argument("--attribute", action="append", help="public attribute name=value")
    p.add_argument("--out", required=True, help="the response file to hand back")
    p.add_argument("--ca-dir", help="where the city CA is mounted (default: as `city init` recorded)")
    p.set_defaults(func=cmd_city_enrol, plugins=plugins)

    p = city.add_parser(
        "init", help="found a city: the root authority's home, trust log, city CA and node certificates"
    )
    p.add_argument("--home", required=True, help="the new root home (passphrase: CITYCHAIN_PASSPHRASE or prompt)")
    p.add_argument("--city", required=True)
    p.add_argument("--name-zh", required=True)
    p.add_argument("--name-en", required=True)
    p.add_argument("--url", required=True, help="where the root's node serves, https://HOST:PORT")
    p.add_argument("--host", action="append", required=True, help="host name or IP in its TLS certificate")
    p.add_argument("--agency", default="city-root")
    p.add_argument("--admin", default="admin", help="first admin (password: CITYCHAIN_PASSWORD or prompt)")
    p.add_argument("--ca-dir", help="keep the city CA here, e.g. removable media (CA key: CITYCHAIN_CA_PASSPHRASE)")
    p.add_argument(
        "--suite", choices=list(SUITES), default=DEFAULT_SUITE.name,
        help="the city's algorithms, for good: ed25519-sha256 (default) or sm2-sm3 (国密 SM2/SM3/SM4)",
    )  # fmt: skip
    p.set_defaults(func=cmd_city_init, plugins=plugins)
    p = city.add_parser("backup-ca", help="copy the city CA to removable media and check the copy opens")
    p.add_argument("--home", required=True, help="the root authority's home")
    p.add_argument("--out", required=True, help="an empty folder, e.g. on a USB stick")
    p.set_defaults(func=cmd_city_backup_ca, plugins=plugins)


def cmd_sync(args: argparse.Namespace) -> int:
    from citychain.net.sync import Syncer

    with open_node(args) as node:
        ca = node.home.city_ca_path
        syncer = Syncer(node, args.ca or (str(ca) if ca.exists() else None))  # as `node serve` does
        lines = syncer.run_round()
        for line in lines or ["nothing new / 没有新内容"]:
            print(line)
        failed = [s for s in syncer.peers.values() if s.error_code]
    return 1 if failed else 0


def cmd_peer(args: argparse.Namespace) -> int:
    with open_node(args, write=False) as node:
        user = signed_in(node, args, "peer.manage")
        if args.what == "add":
            node.add_peer(args.url)
            node.audit.record(user, "peer.add", "ok", target=args.url)
        elif args.what == "remove":
            if not node.remove_peer(args.url):
                raise HomeError(f"no such peer: {args.url}")
            node.audit.record(user, "peer.remove", "ok", target=args.url)
        for url in node.hand_peer_urls():
            print(url)
    return 0


def cmd_log_forks(args: argparse.Namespace) -> int:
    with open_node(args, write=False) as node:
        forks = node.forks()
        for fork in forks:
            print(f"#{fork['id']} {fork['agency']} detected {fork['detected']} via {fork['source']}")
            if args.out:
                out = Path(args.out) / f"fork-{fork['agency']}-{fork['id']}.json"
                out.write_text(fork["evidence"], encoding="utf-8")
                print(f"   evidence: {out}")
    if not forks:
        print("没有发现分叉 / no forks detected")
    return 1 if forks else 0


def cmd_log_verify_evidence(args: argparse.Namespace) -> int:
    from citychain.log.forks import ForkEvidence, verify_evidence
    from citychain.node.mirror import log_keys

    with open_node(args, write=False) as node:
        evidence = ForkEvidence.from_json(Path(args.file).read_text(encoding="utf-8"))
        keys = log_keys(node.trust, evidence.agency)
    print(verify_evidence(evidence, keys))
    return 0


# -- trust -----------------------------------------------------------------
def _root_append(args: argparse.Namespace, kind: str, body: dict) -> int:
    with open_node(args) as node:
        if not node.is_root:
            raise HomeError(f"{args.home} is not the root authority's home; trust operations run there")
        user = signed_in(node, args)
        appended = node.append(user, [(kind, body)], target=body.get("agency", ""))
    print(f"{kind}: {body.get('agency', body.get('rules'))} — trust log size {appended.size}")
    return 0


def _time_arg(value: str | None) -> str:
    """A time given on the command line (checked), or now."""
    if value:
        parse_time(value)
        return value
    return format_time(SystemClock().now())


def _key_arg(public_key_b64: str, not_before: str) -> dict:
    raw = b64decode(public_key_b64)
    return trust.key_json(kid(raw), raw, not_before)


def cmd_trust_add_agency(args: argparse.Namespace) -> int:
    body = {
        "agency": args.agency,
        "name_zh": args.name_zh,
        "name_en": args.name_en,
        "keys": [_key_arg(args.public_key, _time_arg(args.not_before))],
        "permissions": args.permission or [],
    }
    if args.attribute:
        body["attributes"] = dict(a.split("=", 1) for a in args.attribute)
    if args.url is not None:
        body["url"] = trust.check_url(args.url)  # refused before any password is asked
    return _root_append(args, trust.REGISTERED, body)


def cmd_trust_set_url(args: argparse.Namespace) -> int:
    return _root_append(args, trust.URL_SET, {"agency": args.agency, "url": trust.check_url(args.url)})


def cmd_trust_rotate_key(args: argparse.Namespace) -> int:
    start = _time_arg(args.not_before)
    body = {
        "agency": args.agency,
        "new_key": _key_arg(args.public_key, start),
        "retire_kid": args.retire_kid,
        "retire_at": _time_arg(args.retire_at) if args.retire_at else start,
    }
    return _root_append(args, trust.KEY_ROTATED, body)


def cmd_trust_revoke_key(args: argparse.Namespace) -> int:
    body = {"agency": args.agency, "kid": args.kid, "from": _time_arg(args.since), "reason": args.reason}
    return _root_append(args, trust.KEY_REVOKED, body)


def cmd_trust_revoke_cert(args: argparse.Namespace) -> int:
    fingerprint = args.fingerprint.replace(":", "").strip().lower()  # also as `openssl x509 -fingerprint` prints it
    body = {"agency": args.agency, "fingerprint": fingerprint, "from": _time_arg(args.since), "reason": args.reason}
    return _root_append(args, trust.CERT_REVOKED, body)


def _status_command(kind: str) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        return _root_append(args, kind, {"agency": args.agency, "reason": args.reason})

    return command


def cmd_trust_set_permissions(args: argparse.Namespace) -> int:
    return _root_append(args, trust.PERMISSIONS_SET, {"agency": args.agency, "permissions": args.permission or []})


def cmd_trust_activate_rules(args: argparse.Namespace) -> int:
    body = {"rules": args.rules, **({"from": _time_arg(args.since)} if args.since else {})}
    return _root_append(args, trust.RULES_ACTIVATED, body)


def cmd_trust_show(args: argparse.Namespace) -> int:
    with open_node(args, write=False) as node:
        state = node.trust
        print(f"trust log of {state.root_agency}: {state.size} records")
        if state.ca_fingerprint:
            print(f"city CA: {state.ca_fingerprint}")
        for name, since in state.rules.items():
            print(f"rules {name}: in force from {since}")
        for agency in state.agencies.values():
            status = agency.status
            print(f"- {agency.id}  {agency.name_zh} / {agency.name_en}  [{status.status} since {status.since}]")
            print(f"    permissions: {', '.join(sorted(agency.permissions)) or '(none)'}")
            if agency.url:
                print(f"    url: {agency.url}")
            for key in agency.keys:
                window = f"{key.not_before} .. {key.not_after or 'open'}"
                revoked = f", revoked from {key.revoked_from}" if key.revoked_from else ""
                print(f"    key {key.kid}: {window}{revoked}")
            for cert in agency.certificates:
                revoked = f", revoked from {cert.revoked_from}: {cert.reason}" if cert.revoked_from else ""
                print(f"    {cert.use} certificate {cert.fingerprint}: until {cert.not_after}{revoked}")
    return 0


def cmd_trust_export(args: argparse.Namespace) -> int:
    with open_node(args, write=False) as node:
        config = node.config
        ca_path = node.home.city_ca_path
        ca_pem = ca_path.read_text("ascii") if ca_path.exists() else ""
        bundle = export_bundle(
            node.store, config.city, config.root_agency, config.root_keys, ca_pem, config.witness_quorum
        )
        try:
            policy = exported_policy(node.home, config, node.trust)
        except PolicyError as exc:  # a city on another suite: C2SP has no key type for it (§14)
            policy, why = None, exc
    write_bundle(Path(args.out), bundle)
    print(f"trust bundle written: {args.out} ({len(bundle.entries)} records)")
    if policy is None:
        print(f"no trust policy written: {why}")
        return 0
    write_atomic(policy_path_beside(Path(args.out)), policy)
    print(f"trust policy written: {policy_path_beside(Path(args.out))} (C2SP tlog-policy)")
    return 0


def cmd_trust_import(args: argparse.Namespace) -> int:
    with open_node(args) as node:
        result = node.import_trust_bundle(read_bundle(Path(args.bundle)))
    print(f"trust log: {result.old_size} → {result.new_size} records, verified")
    return 0


# -- log -------------------------------------------------------------------
def cmd_log_show(args: argparse.Namespace) -> int:
    with open_node(args, write=False) as node:
        agency = args.agency or node.config.agency
        head = node.store.head(agency)
        if head is None:
            raise HomeError(f"this node holds no log of {agency!r}")
        if not args.json:
            print(f"{head.origin}: size {head.size}, root {head.root.hex()}, status {head.status}")
        start = max(0, head.size - args.limit) if args.start is None else args.start
        for data in node.store.iter_leaves(head.id, start, start + args.limit):
            leaf = parse_leaf(data, node.store.hasher)
            r = leaf.record
            if args.json:
                print(
                    json.dumps({"leaf_hash": leaf.hash_hex, "kid": leaf.kid, "record": r.to_json()}, ensure_ascii=False)
                )
            else:
                print(f"#{r.seq}  {r.time}  {r.kind}  {json.dumps(r.body, ensure_ascii=False)[:120]}")
    return 0


def cmd_log_publish(args: argparse.Namespace) -> int:
    from citychain.node.publish import publish_home

    home = Home(Path(args.home))
    if not home.db_path.exists():
        raise HomeError(f"{args.home} 不是节点目录（没有账本）", f"{args.home} is not a node home (no ledger)")
    for done in publish_home(home.db_path, Path(args.out)):
        print(f"{done.agency}: size {done.size}, {done.written} files written → {done.prefix}/")
    return 0


def cmd_log_check(args: argparse.Namespace) -> int:
    report = check.check_home(Path(args.home), args.plugins(), workers=args.workers)
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


# -- users and audit -------------------------------------------------------
def cmd_user_add(args: argparse.Namespace) -> int:
    with open_node(args, write=False) as node:
        actor = signed_in(node, args)
        password = password_from_env_or_prompt(
            env_var="CITYCHAIN_NEW_PASSWORD", prompt=f"Password for the new user {args.name}: "
        )
        node.users.add_user(actor, args.name, args.role, password, display_name=args.display_name or args.name)
    print(f"user {args.name} added as {args.role}")
    return 0


def cmd_user_passwd(args: argparse.Namespace) -> int:
    with open_node(args, write=False) as node:
        actor = signed_in(node, args)
        name = args.name or actor.name
        password = password_from_env_or_prompt(env_var="CITYCHAIN_NEW_PASSWORD", prompt=f"New password for {name}: ")
        node.users.set_password(actor, name, password)
    print(f"password changed for {name}")
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    with open_node(args, write=False) as node:
        node.users.disable_user(signed_in(node, args), args.name)
    print(f"user {args.name} disabled")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    with open_node(args, write=False) as node:
        actor = signed_in(node, args)
        for user in node.users.list_users(actor):
            print(f"{user.name}\t{user.role}\t{user.display_name}")
    return 0


def cmd_audit_show(args: argparse.Namespace) -> int:
    with open_node(args, write=False) as node:
        signed_in(node, args, "audit.read")
        for row in node.audit.query(limit=args.limit):
            print(json.dumps(row, ensure_ascii=False))
        problems = node.audit.verify()
    if problems:
        print("审计链被篡改 / the audit trail does not verify:", *problems, sep="\n  ")
        return 1
    return 0


def register(sub: argparse._SubParsersAction, plugins: PluginsFactory) -> None:
    def command(parser: argparse.ArgumentParser, func: Callable, home: bool = True, user: bool = False) -> None:
        if home:
            parser.add_argument("--home", required=True, help="node home folder")
        if user:
            parser.add_argument("--user", required=True, help="node user (password: CITYCHAIN_PASSWORD or prompt)")
        parser.set_defaults(func=func, plugins=plugins)

    node = sub.add_parser("node", help="create, back up and restore node homes").add_subparsers(
        dest="what", required=True
    )
    p = node.add_parser("init", help="create a node home with a new encrypted key and a first admin")
    p.add_argument("--city", required=True)
    p.add_argument("--agency", required=True)
    p.add_argument("--root", action="store_true", help="this node is the city's root authority")
    p.add_argument("--root-agency", default="city-root")
    p.add_argument(
        "--root-key", action="append", help="pinned root public key (base64, or sm2:BASE64 / ed25519:BASE64)"
    )
    p.add_argument("--suite", choices=list(SUITES), help="with --root: the city's algorithms (default ed25519-sha256)")
    p.add_argument("--admin", default="admin")
    p.add_argument("--name-zh")
    p.add_argument("--name-en")
    command(p, cmd_node_init)
    command(node.add_parser("new-key", help="make this node's next signing key (for a key rotation)"), cmd_node_new_key)
    p = node.add_parser("backup", help="a consistent copy of the home (ledger, keys, private store)")
    p.add_argument("--out", required=True)
    command(p, cmd_node_backup, user=True)
    p = node.add_parser("restore", help="bring a home back from a backup")
    p.add_argument("--from", dest="source", required=True)
    p.add_argument("--force", action="store_true", help="replace an existing home")
    command(p, cmd_node_restore, user=True)

    p = node.add_parser("serve", help="serve the HTTP API, sync with peers and witness their logs")
    p.add_argument(
        "--listen", help="HOST:PORT (default: the home's config, else 127.0.0.1:8700; beyond loopback needs TLS)"
    )
    p.add_argument("--peer", action="append", help="a peer node's URL (kept in the home)")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between sync rounds")
    p.add_argument("--tls", action="store_true", help="serve HTTPS with the home's certificate (see `node tls`)")
    p.add_argument("--ca", help="the city root CA certificate for peers' HTTPS (default: the home's tls/city-ca.crt)")
    p.add_argument("--publish", metavar="DIR", help="also write every log as static tlog-tiles files under DIR/tlog/")
    command(p, cmd_node_serve)

    p = node.add_parser("ca-init", help="create the city root CA in the root authority's home")
    p.add_argument("--name-zh", required=True)
    p.add_argument("--name-en", required=True)
    command(p, cmd_node_ca_init)
    p = node.add_parser("tls", help="issue this node a TLS certificate from the city root CA")
    p.add_argument(
        "--ca-home", required=True, help="the root authority's home (CA passphrase: CITYCHAIN_CA_PASSPHRASE)"
    )
    p.add_argument("--host", action="append", help="host name or IP the node is reached at (repeatable)")
    command(p, cmd_node_tls)

    p = node.add_parser("enrol-request", help="make this node's TLS and seal keys and a request for the root")
    p.add_argument("--url", required=True, help="where this node will serve, https://HOST:PORT")
    p.add_argument("--host", action="append", required=True, help="host name or IP in the TLS certificate")
    p.add_argument("--name-zh", required=True)
    p.add_argument("--name-en", required=True)
    p.add_argument("--uscc", help="unified social credit code (public attribute)")
    p.add_argument("--out", required=True, help="the request file to hand to the root authority")
    command(p, cmd_node_enrol_request)
    p = node.add_parser("enrol-accept", help="install the certificates and trust log from the root's response")
    p.add_argument("response")
    command(p, cmd_node_enrol_accept)

    p = sub.add_parser("sync", help="one sync round with every peer; prints what it did")
    p.add_argument("--ca", help="the city root CA certificate for peers' HTTPS (default: the home's tls/city-ca.crt)")
    command(p, cmd_sync)

    pe = sub.add_parser("peer", help="the peers this node syncs with").add_subparsers(dest="what", required=True)
    for name, text in (("add", "add a peer URL"), ("remove", "remove a peer URL")):
        p = pe.add_parser(name, help=text)
        p.add_argument("url")
        command(p, cmd_peer, user=True)
    command(pe.add_parser("list", help="list peers"), cmd_peer, user=True)

    tr = sub.add_parser("trust", help="the root authority's trust log").add_subparsers(dest="what", required=True)
    p = tr.add_parser("add-agency", help="register an agency with its key and permissions")
    p.add_argument("--agency", required=True)
    p.add_argument("--name-zh", required=True)
    p.add_argument("--name-en", required=True)
    p.add_argument(
        "--public-key", required=True, help="the agency's public key (base64; Ed25519, or SM2 in an SM city)"
    )
    p.add_argument("--not-before", help="key valid from (default: now)")
    p.add_argument("--permission", action="append")
    p.add_argument("--attribute", action="append", help="public attribute name=value, e.g. uscc=…")
    p.add_argument("--url", help="the agency's node, https://HOST:PORT (http:// on loopback): peers sync with it")
    command(p, cmd_trust_add_agency, user=True)
    p = tr.add_parser("set-url", help="change the URL where an agency's node serves (every node follows)")
    p.add_argument("--agency", required=True)
    p.add_argument("--url", required=True, help="https://HOST:PORT (http:// on loopback)")
    command(p, cmd_trust_set_url, user=True)
    p = tr.add_parser("rotate-key", help="add an agency's new key and retire the old one")
    p.add_argument("--agency", required=True)
    p.add_argument("--public-key", required=True)
    p.add_argument("--retire-kid", required=True)
    p.add_argument("--not-before")
    p.add_argument("--retire-at")
    command(p, cmd_trust_rotate_key, user=True)
    p = tr.add_parser("revoke-key", help="a compromised key: its signatures from --since on are void")
    p.add_argument("--agency", required=True)
    p.add_argument("--kid", required=True)
    p.add_argument("--since")
    p.add_argument("--reason", required=True)
    command(p, cmd_trust_revoke_key, user=True)
    p = tr.add_parser("revoke-cert", help="a TLS or seal certificate: refused from --since on (see trust show)")
    p.add_argument("--agency", required=True)
    p.add_argument("--fingerprint", required=True, help="SHA-256 of the certificate's DER, hex")
    p.add_argument("--since", help="revoked from (default: now); seals whose ledger record is earlier stay valid")
    p.add_argument("--reason", required=True)
    command(p, cmd_trust_revoke_cert, user=True)
    for name, kind, text in (
        ("suspend-agency", trust.SUSPENDED, "stop accepting an agency's new records"),
        ("reinstate-agency", trust.REINSTATED, "lift a suspension"),
        ("revoke-agency", trust.REVOKED, "end an agency for good"),
    ):
        p = tr.add_parser(name, help=text)
        p.add_argument("--agency", required=True)
        p.add_argument("--reason", required=True)
        command(p, _status_command(kind), user=True)
    p = tr.add_parser("set-permissions", help="replace an agency's permissions")
    p.add_argument("--agency", required=True)
    p.add_argument("--permission", action="append")
    command(p, cmd_trust_set_permissions, user=True)
    p = tr.add_parser("activate-rules", help="put a rule set in force city-wide (e.g. certificates.registry)")
    p.add_argument("--rules", required=True, help="the rule set's name (docs/protocol.md)")
    p.add_argument("--since", help="in force from (default: the record's time; never earlier)")
    command(p, cmd_trust_activate_rules, user=True)
    command(tr.add_parser("show", help="agencies, keys and permissions"), cmd_trust_show)
    p = tr.add_parser(
        "export",
        help="write a trust bundle for kiosks and new nodes, and its C2SP tlog-policy beside it (OUT.tlog-policy)",
    )
    p.add_argument("out")
    command(p, cmd_trust_export)
    p = tr.add_parser("import", help="take in a trust bundle signed under this home's pinned root")
    p.add_argument("bundle")
    command(p, cmd_trust_import)

    lg = sub.add_parser("log", help="inspect and check logs").add_subparsers(dest="what", required=True)
    p = lg.add_parser("show", help="the newest records of a log")
    p.add_argument("--agency")
    p.add_argument("--start", type=int)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    command(p, cmd_log_show)
    p = lg.add_parser("forks", help="list detected forks (exit 1 if any); --out DIR writes evidence files")
    p.add_argument("--out")
    command(p, cmd_log_forks)
    p = lg.add_parser("verify-evidence", help="check a fork evidence file against this home's trust log")
    p.add_argument("file")
    command(p, cmd_log_verify_evidence)
    p = lg.add_parser("publish", help="write every log as static tlog-tiles files under OUT/tlog/ (web root OUT)")
    p.add_argument("--out", required=True)
    command(p, cmd_log_publish)
    p = lg.add_parser("check", help="re-verify every leaf, signature, link, root and checkpoint")
    p.add_argument("--workers", type=int, default=None)
    command(p, cmd_log_check)

    us = sub.add_parser("user", help="node users").add_subparsers(dest="what", required=True)
    p = us.add_parser("add", help="add a user (new password: CITYCHAIN_NEW_PASSWORD or prompt)")
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, choices=("clerk", "supervisor", "auditor", "admin"))
    p.add_argument("--display-name")
    command(p, cmd_user_add, user=True)
    command(us.add_parser("list", help="list users"), cmd_user_list, user=True)
    p = us.add_parser("passwd", help="change a password (your own, or another's as admin; CITYCHAIN_NEW_PASSWORD)")
    p.add_argument("--name", help="whose (default: the signed-in user)")
    command(p, cmd_user_passwd, user=True)
    p = us.add_parser("disable", help="stop a user signing in (admin)")
    p.add_argument("--name", required=True)
    command(p, cmd_user_disable, user=True)

    au = sub.add_parser("audit", help="the node's audit trail").add_subparsers(dest="what", required=True)
    p = au.add_parser("show", help="newest audit rows, and whether the chain verifies")
    p.add_argument("--limit", type=int, default=50)
    command(p, cmd_audit_show, user=True)
