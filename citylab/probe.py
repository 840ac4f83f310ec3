"""The lab's hands inside a namespace: a process that talks HTTPS to the nodes
on the lab's behalf, so the test process itself never touches their network.

Run as `ip netns exec NS python -m citylab.probe CA_FILE`; it reads one JSON
request a line on stdin and answers each with one JSON line on stdout, with
the request's `id`, requests running side by side (a writer or a watch does
not hold up a status read). Every request goes through `NodeSession` (the
city CA given, no proxy, a deadline), with one session kept per node.

    {"op": "get", "url", "path"}                 -> {"status", "body"}
    {"op": "post", "url", "path", "json", "token"?} -> {"status", "body"}
    {"op": "writer_start", "name", "url", "path", "json", "key", "user", "password"}
    {"op": "writer_count", "name"}               -> {"acks": n}
    {"op": "writer_stop", "name"}                -> {"acks": [...], "failures": n}
    {"op": "write_and_watch", "url", "path", "json", "token", "agency", "watch": [url…], "within"}
                                                 -> {"seq", "seconds": {url: s | null}}
A failure answers {"error": "CODE: message"}.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from citychain.net.client import Limits, NodeSession, PeerError  # noqa: E402

LIMITS = Limits(connect_timeout=2.0, read_timeout=15.0, deadline=20.0)


class Probe:
    def __init__(self, ca_file: str) -> None:
        self.ca_file = ca_file
        self._out = threading.Lock()
        self._writers: dict[str, tuple[threading.Event, threading.Thread, dict]] = {}

    def session(self, url: str, limits: Limits = LIMITS) -> NodeSession:
        return NodeSession(url, self.ca_file, limits)

    def answer(self, value: dict) -> None:
        with self._out:
            sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
            sys.stdout.flush()

    def handle(self, request: dict) -> None:
        try:
            reply = getattr(self, "op_" + request["op"])(request)
        except PeerError as exc:
            reply = {"error": f"{exc.code}: {exc}"}
        except Exception as exc:  # noqa: BLE001 - said to the lab, which decides
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        self.answer({"id": request.get("id"), **reply})

    # -- one exchange -----------------------------------------------------------------------
    def exchange(self, method: str, request: dict) -> dict:
        session = self.session(request["url"])
        headers = {"Authorization": f"Bearer {request['token']}"} if request.get("token") else {}
        try:
            kwargs: dict[str, Any] = {"headers": headers}
            if method == "POST":
                kwargs["json"] = request.get("json", {})
            answer = session.request(method, request["path"], **kwargs)
        finally:
            session.close()
        try:
            body: Any = answer.json()
        except ValueError:
            body = answer.body.decode("utf-8", "replace")
        return {"status": answer.status, "body": body}

    def op_get(self, request: dict) -> dict:
        return self.exchange("GET", request)

    def op_post(self, request: dict) -> dict:
        return self.exchange("POST", request)

    # -- a client writing until told to stop ------------------------------------------------
    def op_writer_start(self, request: dict) -> dict:
        stop, tally = threading.Event(), {"acks": [], "failures": 0}
        thread = threading.Thread(target=self._write, args=(request, stop, tally), daemon=True)
        self._writers[request["name"]] = (stop, thread, tally)
        thread.start()
        return {"started": request["name"]}

    def op_writer_count(self, request: dict) -> dict:
        return {"acks": len(self._writers[request["name"]][2]["acks"])}

    def op_writer_stop(self, request: dict) -> dict:
        stop, thread, tally = self._writers.pop(request["name"])
        stop.set()
        thread.join(30)
        return {"acks": tally["acks"], "failures": tally["failures"]}

    def _write(self, request: dict, stop: threading.Event, tally: dict) -> None:
        """Write until stopped; an answer read in full is an acknowledged write.
        The node may be killed at any moment: then sign in again once it is back
        (its tokens died with it)."""
        quick = Limits(connect_timeout=1.0, read_timeout=10.0, deadline=12.0)
        token = None
        while not stop.is_set():
            session = self.session(request["url"], quick)
            try:
                if token is None:
                    login = {"user": request["user"], "password": request["password"]}
                    answer = session.request("POST", "/v1/login", json=login)
                    if answer.status != 200:
                        raise PeerError("LOGIN", f"sign-in answered {answer.status}")
                    token = answer.json()["token"]
                answer = session.request(
                    "POST", request["path"], json=request["json"], headers={"Authorization": f"Bearer {token}"}
                )
                if answer.status in (200, 201):
                    tally["acks"].append(answer.json()[request["key"]])
                elif answer.status == 401:
                    token = None
                else:
                    tally["failures"] += 1
                    stop.wait(0.1)
            except (PeerError, ValueError, KeyError):
                tally["failures"] += 1
                token = None
                stop.wait(0.1)
            finally:
                session.close()

    # -- propagation ------------------------------------------------------------------------
    def op_write_and_watch(self, request: dict) -> dict:
        """One write at a node, then how long until each watched node holds it
        (its served checkpoint of the writer's log is that large), timed from the
        moment the write was acknowledged."""
        written = self.exchange("POST", request)
        if written["status"] not in (200, 201):
            return {"error": f"write answered {written['status']}: {written['body']}"}
        acked = time.monotonic()
        size = written["body"]["seq"] + 1
        deadline = acked + float(request.get("within", 10))
        seconds: dict[str, float | None] = {}

        def watch(url: str) -> None:
            session = self.session(url, Limits(connect_timeout=1.0, read_timeout=2.0, deadline=3.0))
            try:
                while time.monotonic() < deadline:
                    try:
                        answer = session.request("GET", f"/v1/logs/{request['agency']}/checkpoint")
                        lines = answer.body.decode().split("\n")
                        if answer.status == 200 and len(lines) > 1 and int(lines[1]) >= size:
                            seconds[url] = time.monotonic() - acked
                            return
                    except (PeerError, ValueError):
                        pass
                    time.sleep(0.01)
                seconds[url] = None
            finally:
                session.close()

        threads = [threading.Thread(target=watch, args=(url,)) for url in request["watch"]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return {"seq": written["body"]["seq"], "seconds": seconds}


def main() -> None:
    probe = Probe(sys.argv[1])
    probe.answer({"id": None, "ready": True})
    for line in sys.stdin:
        if line.strip():
            threading.Thread(target=probe.handle, args=(json.loads(line),), daemon=True).start()


if __name__ == "__main__":
    main()
