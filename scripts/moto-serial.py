"""moto's server mode, answering one request at a time.

moto's own `moto_server` is multi-threaded and its DynamoDB models take no locks, so two
concurrent `UpdateItem ... ADD` calls can lose an increment there, which the real service
never does. Served one request at a time, every API call runs whole, as its atomicity
guarantees promise; the tests of our concurrency then test our code, not moto's races.

Usage: python scripts/moto-serial.py PORT
"""

import os
import sys

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    port = int(sys.argv[1])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    # Not threaded: werkzeug then speaks HTTP/1.0 and closes each connection, so no
    # client can hold the single worker with a kept-alive connection.
    run_simple("127.0.0.1", port, app, threaded=False, use_reloader=False, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
