"""Certificate figures (issue 4): issue with a sealed PDF, and verify from QR
text, from the PDF and from a 150-dpi page image.

    python bench/certificates.py [--rounds N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pypdfium2  # noqa: E402

from bench.common import machine, percentile  # noqa: E402
from certificates.desk import CertificateDesk  # noqa: E402
from certificates.kinds import PLUGIN  # noqa: E402
from certificates.verify import HomeStatus, Verifier, VerifierConfig  # noqa: E402
from citychain.accounts.users import Argon2Params  # noqa: E402
from citychain.clock import SystemClock  # noqa: E402
from citychain.log.keys import KdfCost  # noqa: E402
from citychain.node.node import Node  # noqa: E402
from democity import samples, spec  # noqa: E402
from democity.build import BUNDLE_FILE, create_demo_city  # noqa: E402


def timed(func, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        out.append((time.perf_counter() - start) * 1000)
    return out


def report(name: str, times: list[float], target: float) -> None:
    p95 = percentile(times, 95)
    print(
        f"{name:<44} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   "
        f"target ≤ {target:.0f} ms  {'ok' if p95 <= target else 'MISSED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        city = create_demo_city(Path(tmp) / "city", (PLUGIN,), KdfCost.cheap(), Argon2Params.fast())
        home = city.home("market-regulation")
        with Node.open(home, (PLUGIN,), argon2=Argon2Params.fast()) as node:
            desk = CertificateDesk(node)
            clerk = node.users.authenticate("clerk", spec.PASSWORDS["clerk"])
            desk.pdf(desk.issue(clerk, "business-licence", samples.SAMPLES["business-licence"]).cert_id)  # warm up

            def issue() -> None:
                desk.pdf(desk.issue(clerk, "business-licence", samples.SAMPLES["business-licence"]).cert_id)

            report("issue a business licence with its sealed PDF", timed(issue, args.rounds), 400)
            cert_id = desk.issue(clerk, "business-licence", samples.SAMPLES["business-licence"]).cert_id
            pdf, qr = desk.pdf(cert_id), desk.qr_text(cert_id)
        offline = Verifier(VerifierConfig.from_bundle(city.path / BUNDLE_FILE))
        assert offline.qr(qr).code == offline.pdf(pdf).code == "VALID"
        report("verify from QR text, offline", timed(lambda: offline.qr(qr), args.rounds * 10), 5)
        report("verify a PDF (seal, attachment, all checks)", timed(lambda: offline.pdf(pdf), args.rounds), 150)
        page = io.BytesIO()
        pypdfium2.PdfDocument(pdf)[0].render(scale=150 / 72).to_pil().save(page, format="PNG")
        image = page.getvalue()
        assert offline.image(image).code == "VALID"
        report("verify from a 150-dpi page image (PNG)", timed(lambda: offline.image(image), args.rounds), 300)
        online = Verifier(VerifierConfig.from_home(home), HomeStatus(home, SystemClock()))
        assert online.qr(qr).code == "VALID"
        report("verify from QR text with the local node home", timed(lambda: online.qr(qr), args.rounds), 150)
        print(f"QR text of a business licence: {len(qr)} characters")


if __name__ == "__main__":
    main()
