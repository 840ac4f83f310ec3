"""A service counter in the city lab, run inside its own namespace by
test_city_lab.py: `lab_counter.py NODE_URL CA_FILE OUT.pdf`.

It is the counter app's remote backend (ui.remote_backend) without the
window: sign in to the hall's node as the clerk (password from
CITYCHAIN_PASSWORD), issue a business licence, fetch its sealed PDF. Prints one
JSON line: the certificate's id and seq, and what the node says of itself."""

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from democity.samples import SAMPLES  # noqa: E402
from ui.remote_backend import RemoteBackend  # noqa: E402

url, ca_file, out = sys.argv[1:4]
backend = RemoteBackend(url, ca_file)
try:
    info = backend.info()
    session = backend.sign_in("clerk", os.environ["CITYCHAIN_PASSWORD"])
    # Dated yesterday (city time), so a kiosk whose clock is near midnight still calls it valid.
    valid_from = (datetime.now(UTC) + timedelta(hours=8) - timedelta(days=1)).date().isoformat()
    issued = backend.issue(session, "business-licence", SAMPLES["business-licence"], valid_from=valid_from)
    Path(out).write_bytes(backend.certificate_pdf(session, issued.cert_id))
    backend.sign_out(session)
    print(json.dumps({"cert_id": issued.cert_id, "seq": issued.seq, "agency": info.agency, "role": session.role}))
finally:
    backend.close()
