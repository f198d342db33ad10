"""One cold start: a fresh interpreter imports the app and answers one API Gateway event.

Run by bench/cold_start.py with the event on stdin. It imports only the standard library before
the app, and prints what it measured as one JSON line.
"""

import json
import resource
import sys
import time


class Context:
    function_name = "cfp-bench-api_handler"
    aws_request_id = "bench-cold"
    memory_limit_in_mb = 512

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


def peak_rss_kib() -> int:
    """This process's peak resident memory. Linux's ru_maxrss keeps the parent's peak across fork and
    exec, so a child of a large benchmark process would report the parent's; VmHWM is this process's own."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    event = json.loads(sys.stdin.read())
    started = time.perf_counter()
    from app import app

    imported = time.perf_counter()
    response = app(event, Context())
    answered = time.perf_counter()
    answered_at = time.time()
    heavy = ("boto3", "botocore", "pydantic", "jinja2", "icalendar", "itsdangerous")
    # How many boto3 clients the request built (chalicelib/aws.py keeps one per service).
    aws = sys.modules.get("chalicelib.aws")
    clients = aws._client.cache_info().misses if aws else 0
    print(
        json.dumps(
            {
                "answered_at": answered_at,
                "import_s": imported - started,
                "first_request_s": answered - imported,
                "status": response["statusCode"],
                "body_bytes": len(response.get("body") or ""),
                "max_rss_kib": peak_rss_kib(),
                "loaded": [name for name in heavy if name in sys.modules],
                "modules": len(sys.modules),
                "boto3_clients_built": clients,
            }
        )
    )


if __name__ == "__main__":
    main()
